"""Compiled model + platform -> firmware ELF, with its section sizes, cached by content.

The linker script is written from the board's flash and RAM sizes, so a model that does
not fit fails here with the sizes it needs. A build is assembled in a temporary folder
and renamed into the cache only when complete: a failed or interrupted build leaves
nothing behind, and concurrent builds of the same key never see half a firmware.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from elftools.elf.elffile import ELFFile

import emu
from emu.compile.codegen import CompiledModel, TensorIO
from emu.errors import EmuError
from emu.platforms import Platform

FIRMWARE = Path(__file__).resolve().parent.parent / "firmware"
RUNTIME_SOURCES = ("startup.c", "semihost.c", "markers.c", "main.c")
# Stack reserved above the arena. The RAM a result reports uses the measured peak instead.
STACK_RESERVE = 8 * 1024
COMMON_FLAGS = ("-std=c99", "-O2", "-ffunction-sections", "-fdata-sections", "-Wall",
                "-fno-common", "-g")
LINK_FLAGS = ("-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections")


@dataclass
class Sections:
    text: int  # code
    rodata: int  # weights, parameters, tables
    data: int  # initialised data (in flash and copied to RAM)
    bss: int
    arena: int
    stack_reserved: int

    @property
    def flash(self) -> int:
        return self.text + self.rodata + self.data

    @property
    def static_ram(self) -> int:
        return self.data + self.bss + self.arena


@dataclass
class Firmware:
    elf: Path
    platform: str
    sections: Sections
    arena_address: int
    stack_top: int
    inputs: list[TensorIO]
    outputs: list[TensorIO]
    info: dict  # everything in build.json


def cache_root() -> Path:
    root = os.environ.get("EMU_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "emu")
    return Path(root)


def linker_script(platform: Platform, stack_reserve: int = STACK_RESERVE) -> str:
    return f"""/* Written by emu for {platform.name}: {platform.flash_bytes} bytes of flash,
 * {platform.ram_bytes} bytes of RAM, at the addresses of the emulated {platform.qemu_machine}. */
MEMORY
{{
    FLASH (rx) : ORIGIN = {platform.flash_origin:#x}, LENGTH = {platform.flash_bytes}
    RAM (rwx) : ORIGIN = {platform.ram_origin:#x}, LENGTH = {platform.ram_bytes}
}}
ENTRY(emu_reset_handler)
SECTIONS
{{
    .text : {{ KEEP(*(.vectors)) *(.text*) . = ALIGN(8); }} > FLASH
    .rodata : {{ *(.rodata*) . = ALIGN(8); }} > FLASH
    .ARM.exidx : {{ *(.ARM.exidx*) }} > FLASH
    .data : {{ . = ALIGN(4); __data_start = .; *(.data*) . = ALIGN(4); __data_end = .; }} > RAM AT > FLASH
    __data_load = LOADADDR(.data);
    .bss (NOLOAD) : {{ . = ALIGN(4); __bss_start = .; *(.bss*) *(COMMON) . = ALIGN(4); __bss_end = .; }} > RAM
    .noinit (NOLOAD) : {{ . = ALIGN(8); *(.noinit*) . = ALIGN(8); }} > RAM
    .stack (NOLOAD) : {{ . = ALIGN(8); __stack_limit = .; . += {stack_reserve}; __stack_top = .; }} > RAM
    end = __stack_limit;
}}
"""


def toolchain() -> str:
    gcc = shutil.which("arm-none-eabi-gcc")
    if gcc is None:
        raise EmuError("arm-none-eabi-gcc not found: run 'make setup' "
                       "(or apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)")
    return gcc


def _compiler_version(gcc: str) -> str:
    return subprocess.run([gcc, "--version"], capture_output=True, text=True).stdout.splitlines()[0]


def _firmware_digest() -> str:
    h = hashlib.sha256()
    for path in sorted(FIRMWARE.rglob("*")):
        if path.is_file() and path.suffix in (".c", ".h"):
            h.update(str(path.relative_to(FIRMWARE)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def build_key(compiled: CompiledModel, platform: Platform, gcc: str) -> str:
    h = hashlib.sha256()
    for part in (compiled.source, platform.path.read_text(), " ".join(platform.cflags + COMMON_FLAGS),
                 emu.__version__, _firmware_digest(), _compiler_version(gcc)):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:24]


def _section_sizes(elf: Path) -> tuple[Sections, dict[str, int]]:
    with elf.open("rb") as f:
        e = ELFFile(f)
        sizes = {s.name: s["sh_size"] for s in e.iter_sections()}
        symbols = {}
        symtab = e.get_section_by_name(".symtab")
        wanted = ("emu_arena", "__stack_top", "__stack_limit", "emu_mark_start", "emu_mark_layer", "emu_mark_end")
        for name in wanted:
            found = symtab.get_symbol_by_name(name) if symtab else None
            if found:
                symbols[name] = found[0]["st_value"] & ~1
    sections = Sections(
        text=sizes.get(".text", 0) + sizes.get(".ARM.exidx", 0),
        rodata=sizes.get(".rodata", 0),
        data=sizes.get(".data", 0),
        bss=sizes.get(".bss", 0),
        arena=sizes.get(".noinit", 0),
        stack_reserved=sizes.get(".stack", 0),
    )
    return sections, symbols


_OVERFLOW = re.compile(r"region `(FLASH|RAM)' overflowed by (\d+) bytes")


def _explain_link_failure(stderr: str, platform: Platform) -> str:
    overflow = {m.group(1): int(m.group(2)) for m in _OVERFLOW.finditer(stderr)}
    parts = []
    for region, have in (("FLASH", platform.flash_bytes), ("RAM", platform.ram_bytes)):
        if region in overflow:
            need = have + overflow[region]
            parts.append(f"{region.lower()}: needs {need / 1024:.1f} KB, {platform.name} has {have / 1024:.1f} KB")
    if parts:
        return "the model does not fit: " + "; ".join(parts)
    return "firmware link failed:\n" + stderr.strip()


def _compile(compiled: CompiledModel, platform: Platform, gcc: str, work: Path) -> Path:
    (work / "model.c").write_text(compiled.source)
    (work / "link.ld").write_text(linker_script(platform))
    sources = [work / "model.c", *(FIRMWARE / "runtime" / s for s in RUNTIME_SOURCES)]
    # Every kernel is compiled; --gc-sections keeps only what the model calls.
    sources += sorted((FIRMWARE / "kernels").glob("*.c"))
    elf = work / "firmware.elf"
    cmd = [gcc, *platform.cflags, *COMMON_FLAGS, f"-I{FIRMWARE / 'runtime'}", f"-I{FIRMWARE / 'kernels'}",
           *map(str, sources), "-T", str(work / "link.ld"), *LINK_FLAGS,
           f"-Wl,-Map={work / 'firmware.map'}", "-lm", "-o", str(elf)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        if "overflowed" in result.stderr or "will not fit" in result.stderr:
            raise EmuError(_explain_link_failure(result.stderr, platform))
        raise EmuError(f"firmware build failed for {platform.name}:\n{result.stderr.strip()}")
    return elf


def build_firmware(compiled: CompiledModel, platform: Platform, cache: Path | None = None) -> Firmware:
    gcc = toolchain()
    cache = cache or cache_root()
    key = build_key(compiled, platform, gcc)
    final = cache / "builds" / key
    if not (final / "build.json").is_file():
        (cache / "builds").mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=cache / "builds"))
        try:
            elf = _compile(compiled, platform, gcc, work)
            sections, symbols = _section_sizes(elf)
            info = _build_info(compiled, platform, sections, symbols, key)
            (work / "build.json").write_text(json.dumps(info, indent=2) + "\n")
            try:
                work.rename(final)
            except OSError:  # another process published the same build first: theirs is identical
                pass
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return load_firmware(final)


def _build_info(compiled: CompiledModel, platform: Platform, sections: Sections,
                symbols: dict[str, int], key: str) -> dict:
    return {
        "emu_version": emu.__version__,
        "build_key": key,
        "model": compiled.name,
        "model_sha256": compiled.sha256,
        "platform": platform.name,
        "core": platform.core,
        "fpu": platform.fpu,
        "cflags": list(platform.cflags + COMMON_FLAGS),
        "flash_bytes": sections.flash,
        "static_ram_bytes": sections.static_ram,
        "arena_bytes": compiled.arena_bytes,
        "weight_bytes": compiled.weight_bytes,
        "sections": asdict(sections),
        "symbols": symbols,
        "kernels": compiled.kernels,
        "operators": [asdict(layer) for layer in compiled.layers],
        "inputs": [asdict(io) for io in compiled.inputs],
        "outputs": [asdict(io) for io in compiled.outputs],
    }


def load_firmware(folder: Path) -> Firmware:
    info = json.loads((folder / "build.json").read_text())
    return Firmware(
        elf=folder / "firmware.elf",
        platform=info["platform"],
        sections=Sections(**info["sections"]),
        arena_address=info["symbols"]["emu_arena"],
        stack_top=info["symbols"]["__stack_top"],
        inputs=[TensorIO(**{**io, "shape": tuple(io["shape"])}) for io in info["inputs"]],
        outputs=[TensorIO(**{**io, "shape": tuple(io["shape"])}) for io in info["outputs"]],
        info=info,
    )
