"""Compiled model + platform -> firmware ELF, with its section sizes, cached by content.

The linker script is written from the board's flash and RAM sizes, so a model that does
not fit fails here with the sizes it needs. A build is assembled in this run's scratch
folder and renamed into the cache only when complete (emu.cache.publish): a failed or
interrupted build leaves nothing behind, concurrent builds of the same key never see half
a firmware, and an entry damaged later is noticed on the next read and built again.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import emu
from emu import cache, processes
from emu.compile.codegen import CompiledModel, TensorIO
from emu.compile.fits import check_fits, emulator_limit
from emu.compile.kernel_library import firmware_digest, kernel_archive, kernel_includes
from emu.elf import Sections, section_sizes
from emu.errors import DoesNotFit, EmuError
from emu.link.bsp import FIRMWARE, STACK_RESERVE, linker_script
from emu.platforms import Platform
from emu.tools import find_tool, tool_version

RUNTIME_SOURCES = ("startup.c", "semihost.c", "markers.c", "outputs.c", "main.c")
# A validation firmware loops over test samples held in flash (samples.c) instead.
VALIDATION_SOURCES = ("startup.c", "semihost.c", "markers.c", "outputs.c", "samples_main.c")
COMMON_FLAGS = ("-std=c99", "-O2", "-ffunction-sections", "-fdata-sections", "-Wall",
                "-fno-common", "-g")
LINK_FLAGS = ("-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections")


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


def toolchain() -> str:
    return find_tool("arm-none-eabi-gcc")


def build_key(compiled: CompiledModel, platform: Platform, gcc: str, samples: str = "") -> str:
    return cache.key(compiled.source, samples, compiled.kernel_set, cache.platform_fingerprint(platform),
                     " ".join(platform.compile_flags + list(COMMON_FLAGS)),
                     emu.__version__, firmware_digest(FIRMWARE), tool_version(gcc), length=24)


_OVERFLOW = re.compile(r"region `(FLASH|WEIGHTS|RAM)' overflowed by (\d+) bytes")


def _link_failure(stderr: str, platform: Platform) -> EmuError:
    """A region the linked firmware overflowed: the part's limit when the part could not hold
    it either (DoesNotFit), else the emulated machine's (NotRunnable, emulator_limit)."""
    overflow = {m.group(1): int(m.group(2)) for m in _OVERFLOW.finditer(stderr)}
    regions = {"FLASH": ("flash", platform.code_region[1], platform.flash_bytes,
                         "code" if platform.weights_region else "code and weights"),
               "RAM": ("RAM", platform.ram_region[1], platform.ram_bytes, "data")}
    if platform.weights_region is not None:
        regions["WEIGHTS"] = ("flash", platform.weights_region[1], platform.flash_bytes, "weights")
    parts, reasons = [], []
    for region, (what, length, part_has, holds) in regions.items():
        if region not in overflow:
            continue
        need = length + overflow[region]
        if need <= part_has:
            return emulator_limit("the model", platform, f"{need:,} B of {what} for its {holds} (the linked firmware)",
                                  holds, length, f"{part_has:,} B")
        parts.append(f"{what}: needs {need / 1024:.1f} KB, {platform.name} has {part_has / 1024:.1f} KB")
        reasons.append(f"needs {need:,} B of {what} (the linked firmware), board has {part_has:,} B")
    if parts:
        return DoesNotFit("the model does not fit: " + "; ".join(parts), "; ".join(reasons))
    return EmuError("firmware link failed:\n" + stderr.strip())


def _check_linked(sections: Sections, platform: Platform) -> None:
    """With a weights region, code and weights are linked into two regions of the emulated
    machine, each within the part's flash; together they must be within it too."""
    if sections.flash > platform.flash_bytes:
        raise DoesNotFit(f"the model does not fit: flash: needs {sections.flash / 1024:.1f} KB, {platform.name} "
                         f"has {platform.flash_bytes / 1024:.1f} KB",
                         f"needs {sections.flash:,} B of flash (the linked firmware), board has "
                         f"{platform.flash_bytes:,} B")


def _compile(compiled: CompiledModel, platform: Platform, gcc: str, work: Path, samples: str) -> Path:
    cache.atomic_write(work / "model.c", compiled.source)
    cache.atomic_write(work / "link.ld", linker_script(platform))
    sources = [work / "model.c", *(FIRMWARE / "runtime" / s for s in RUNTIME_SOURCES)]
    if samples:
        cache.atomic_write(work / "samples.c", samples)
        sources = [work / "model.c", work / "samples.c", *(FIRMWARE / "runtime" / s for s in VALIDATION_SOURCES)]
    # The kernels come compiled once for these flags (emu.compile.kernel_library); the linker
    # takes the ones the model calls, and --gc-sections drops what they do not use.
    kernels = kernel_archive(gcc, (*platform.compile_flags, *COMMON_FLAGS), FIRMWARE)
    elf = work / "firmware.elf"
    cmd = [gcc, *platform.compile_flags, *COMMON_FLAGS, f"-I{FIRMWARE / 'runtime'}", *kernel_includes(FIRMWARE),
           *map(str, sources), "-T", str(work / "link.ld"), *LINK_FLAGS,
           f"-Wl,-Map={work / 'firmware.map'}", str(kernels), "-lm", "-o", str(elf)]
    result = processes.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        if "overflowed" in result.stderr or "will not fit" in result.stderr:
            raise _link_failure(result.stderr, platform)
        raise EmuError(f"firmware build failed for {platform.name}:\n{result.stderr.strip()}")
    return elf


def build_firmware(compiled: CompiledModel, platform: Platform, samples: str = "") -> Firmware:
    """`samples`: for a validation firmware, the test samples as C (emu.compile.samples),
    which the firmware runs one after the other in one boot; "" for one inference on the
    inputs the emulator places in the arena."""
    check_fits(compiled, platform, STACK_RESERVE)
    gcc = toolchain()
    builds = cache.root() / "builds"
    key = build_key(compiled, platform, gcc, samples)
    final = builds / key
    if cache.entry(final) is None:  # missing, or damaged and removed: build it (again)
        with cache.staging(builds, key) as work:
            elf = _compile(compiled, platform, gcc, work, samples)
            sections, symbols = section_sizes(elf)
            _check_linked(sections, platform)
            info = _build_info(compiled, platform, sections, symbols, key)
            cache.atomic_write(work / "build.json", json.dumps(info, indent=2) + "\n")
            cache.publish(work, final)
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
        "cflags": list(platform.compile_flags + list(COMMON_FLAGS)),
        "flash_bytes": sections.flash,
        "static_ram_bytes": sections.static_ram,
        "arena_bytes": compiled.arena_bytes,
        "weight_bytes": compiled.weight_bytes,
        "sections": asdict(sections),
        "symbols": symbols,
        "kernel_set": compiled.kernel_set,
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
