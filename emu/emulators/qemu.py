"""QEMU backend: boot a firmware ELF in a Cortex-M machine and count what it executed.

The counting happens in a TCG plugin (plugin/emu_trace.c) built on first use with the
host C compiler. QEMU loads it with the run's window and memory regions as arguments;
the plugin writes a small text file that `parse_trace_file` turns into a Trace.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from emu import cache
from emu.build.elf import function_addresses
from emu.errors import EmuError, FirmwareError
from emu.platforms import Platform
from emu.emulators.trace import Exit, Segment, Trace

PLUGIN_DIR = Path(__file__).resolve().parent / "plugin"
PLUGIN_SOURCES = ("emu_trace.c", "qemu_plugin_api.h")
QEMU = "qemu-system-arm"
DEFAULT_MARKERS = ("emu_mark_start", "emu_mark_end", "emu_mark_layer")

# How long QEMU gets to write its results after being asked to stop, before it is killed.
GRACE_S = 10.0


@dataclass(frozen=True)
class Window:
    """Instruction addresses (Thumb bit cleared) that delimit the measured run; None = not used."""

    start: int | None  # window opens when this address first executes (None: from reset)
    end: int | None  # window closes when this address first executes (None: until exit)
    layer: int | None  # each execution of this address starts a new Segment


# ---- window ----------------------------------------------------------------------------


def window_from_elf(
    elf: Path,
    start: str | None = "emu_mark_start",
    end: str | None = "emu_mark_end",
    layer: str | None = "emu_mark_layer",
) -> Window:
    """The window marked by function symbols; the default marker names may be absent."""
    functions = function_addresses(elf)

    def resolve(name: str | None) -> int | None:
        if name is None:
            return None
        if name in functions:
            return functions[name]
        if name in DEFAULT_MARKERS:
            return None
        raise EmuError(f"{elf} has no function named '{name}'")

    return Window(start=resolve(start), end=resolve(end), layer=resolve(layer))


# ---- plugin build -------------------------------------------------------------------------


def host_compiler() -> str:
    for name in ("cc", "gcc", "clang"):
        path = shutil.which(name)
        if path:
            return path
    raise EmuError("no host C compiler to build the QEMU trace plugin: run `make setup` or `apt-get install gcc`")


def plugin_library() -> Path:
    """The compiled plugin, built once per version of its source."""
    digest = hashlib.sha256()
    for name in PLUGIN_SOURCES:
        digest.update((PLUGIN_DIR / name).read_bytes())
    # The one cache root (EMU_CACHE included), so a test or CI run never loads another's plugin.
    target = cache.root() / "plugins" / f"emu_trace-{digest.hexdigest()[:16]}.so"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build under a private name and rename, so a concurrent run never loads half a file.
    fd, partial = tempfile.mkstemp(prefix=".emu_trace-", suffix=".so", dir=target.parent)
    os.close(fd)
    command = [host_compiler(), "-shared", "-fPIC", "-O2", "-I", str(PLUGIN_DIR),
               "-o", partial, str(PLUGIN_DIR / "emu_trace.c")]
    try:
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            first = (result.stderr.strip().splitlines() or ["no output"])[0]
            raise EmuError(f"building the QEMU trace plugin failed: {first}")
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return target


# ---- running QEMU -------------------------------------------------------------------------


def qemu_executable() -> str:
    path = shutil.which(QEMU)
    if not path:
        raise EmuError(f"{QEMU} not found: run `make setup` or `apt-get install qemu-system-arm`")
    return path


def plugin_arguments(platform: Platform, window: Window, budget: int, out: Path) -> list[str]:
    args = [
        f"out={option_value(out)}",
        f"budget={budget}",
        f"flash={platform.flash_origin:#x}:{platform.flash_bytes:#x}",
        f"ram={platform.ram_origin:#x}:{platform.ram_bytes:#x}",
    ]
    for key in ("start", "end", "layer"):
        address = getattr(window, key)
        if address is not None:
            args.append(f"{key}={address & ~1:#x}")
    return args


def option_value(value: object) -> str:
    """A value inside a QEMU key=value,... option, where a comma is written twice."""
    return str(value).replace(",", ",,")


def qemu_command(elf: Path, platform: Platform, plugin: str, load_files: list[tuple[int, Path]],
                 work: Path) -> list[str]:
    command = [
        qemu_executable(), "-M", platform.qemu_machine, "-nographic", "-monitor", "none",
        # Semihosting text goes to its own file, apart from QEMU's messages.
        "-chardev", f"file,id=semihosting,path={option_value(work / 'semihosting.txt')}",
        "-semihosting-config", "enable=on,target=native,chardev=semihosting",
        "-kernel", str(elf),
        "-plugin", plugin, "-d", "plugin", "-D", str(work / "qemu.log"),
    ]
    for address, path in load_files:
        command += ["-device", f"loader,file={option_value(path)},addr={address:#x},force-raw=on"]
    return command


def kernel_without_zero_fill(elf: Path, loads: Sequence[tuple[int, bytes]], work: Path) -> Path:
    """A copy of the ELF whose segments no longer ask QEMU to zero .bss.

    QEMU refuses two images that cover the same address, and it would count the zeroed
    tail of a segment (.bss, the tensor arena) as covered. Guest RAM starts out zeroed
    anyway, so only the bytes stored in the file need to stay.
    """
    data = bytearray(elf.read_bytes())
    with open(elf, "rb") as f:
        reader = ELFFile(f)
        header = reader.header
        for index, segment in enumerate(reader.iter_segments()):
            if segment["p_type"] != "PT_LOAD":
                continue
            start, stored = segment["p_paddr"], segment["p_filesz"]
            for address, content in loads:
                if address < start + stored and start < address + len(content):
                    raise EmuError(f"input at {address:#x} overlaps data stored in {elf.name} "
                                   f"({start:#x}..{start + stored:#x})")
            # p_memsz is the sixth 32-bit field of an Elf32_Phdr.
            offset = header["e_phoff"] + index * header["e_phentsize"] + 20
            data[offset:offset + 4] = stored.to_bytes(4, "little")
    copy = work / "kernel.elf"
    copy.write_bytes(data)
    return copy


def write_loads(loads: Sequence[tuple[int, bytes]], work: Path) -> list[tuple[int, Path]]:
    files = []
    for i, (address, data) in enumerate(loads):
        path = work / f"load{i}.bin"
        path.write_bytes(bytes(data))
        files.append((address, path))
    return files


def run_qemu(command: list[str], work: Path, timeout_s: float) -> tuple[int | None, str]:
    """QEMU's exit status (None when it had to be stopped) and what it wrote to stderr."""
    with open(work / "stdout.txt", "wb") as out, open(work / "stderr.txt", "wb") as err:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                   start_new_session=True)
        try:
            status = process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            stop(process)
            status = None
        except BaseException:
            stop(process)
            raise
    return status, (work / "stderr.txt").read_text(errors="replace")


def stop(process: subprocess.Popen) -> None:
    """Ask QEMU to quit (its exit handlers let the plugin write its counts), then insist."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=GRACE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_firmware(
    elf: Path,
    platform: Platform,
    *,
    loads: Sequence[tuple[int, bytes]] = (),
    window: Window | None = None,
    budget: int = 5_000_000_000,
    timeout_s: float = 900.0,
) -> Trace:
    """Boot `elf` on the platform's QEMU machine and return what it executed in `window`.

    `loads` are (address, bytes) placed in guest memory before the core starts.
    """
    elf = Path(elf)
    check_arm_elf(elf)
    window = window if window is not None else window_from_elf(elf)
    plugin = plugin_library()
    with cache.temp_folder("emu-qemu-") as tmp:
        work = Path(tmp)
        results = work / "trace.txt"
        plugin_spec = ",".join([option_value(plugin), *plugin_arguments(platform, window, budget, results)])
        kernel = kernel_without_zero_fill(elf, loads, work) if loads else elf
        command = qemu_command(kernel, platform, plugin_spec, write_loads(loads, work), work)
        status, stderr = run_qemu(command, work, timeout_s)
        stdout = read_text(work / "semihosting.txt") + read_text(work / "stdout.txt")
        recorded = parse_trace_file(results) if results.exists() else None
    return assemble_trace(status, stderr, stdout, recorded)


def check_arm_elf(elf: Path) -> None:
    if not elf.is_file():
        raise EmuError(f"firmware {elf} not found")
    try:
        with open(elf, "rb") as f:
            reader = ELFFile(f)
            is_arm = reader.elfclass == 32 and reader.little_endian and reader.header["e_machine"] == "EM_ARM"
    except ELFError as e:
        raise EmuError(f"{elf} is not an ELF file: {e}") from None
    if not is_arm:
        raise EmuError(f"{elf} is not a 32-bit little-endian Arm ELF")


def read_text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


# ---- results ------------------------------------------------------------------------------


@dataclass
class Recorded:
    """What the plugin wrote: segments and, if it got to the end, how the run ended."""

    segments: list[Segment]
    end_kind: str | None  # "exit" or "budget"; None when QEMU died before the plugin finished
    total: int
    last_pc: int | None


def parse_trace_file(path: Path) -> Recorded:
    blocks: dict[int, list[int]] = {}
    segments: list[Segment] = []
    recorded = Recorded(segments, None, 0, None)
    for line in path.read_text().splitlines():
        kind, *fields = line.split()
        numbers = [int(f) for f in fields] if kind != "end" else []
        if kind == "block":
            blocks[numbers[0]] = numbers[1:]
        elif kind == "segment":
            segments.append(Segment())
        elif kind == "x":
            executions = segments[-1].executions
            for address in blocks[numbers[0]]:
                executions[address] = executions.get(address, 0) + numbers[1]
        elif kind == "t":
            segments[-1].taken[numbers[0]] = numbers[1]
        elif kind == "l":
            segments[-1].loads[numbers[0]] = (numbers[1], numbers[2], numbers[3])
        elif kind == "end":
            recorded.end_kind, recorded.total, recorded.last_pc = fields[0], int(fields[1]), int(fields[2])
    return recorded


FAULT_LINE = re.compile(r"emu: fault pc=(0x[0-9a-fA-F]+) cfsr=(0x[0-9a-fA-F]+) hfsr=(0x[0-9a-fA-F]+)")
STACK_LINE = re.compile(r"emu: stack-low (0x[0-9a-fA-F]+)")
LOCKUP_LINE = re.compile(r"qemu: fatal: (Lockup.*)")
LOCKUP_PC = re.compile(r"R15=([0-9a-fA-F]{8})")


def how_it_ended(status: int | None, stderr: str, stdout: str, recorded: Recorded | None) -> Exit:
    last_pc = recorded.last_pc if recorded else None
    if status is None:
        return Exit(kind="timeout", pc=last_pc)
    if recorded and recorded.end_kind == "budget":
        return Exit(kind="budget", pc=last_pc)
    fault = FAULT_LINE.search(stdout)
    if fault:
        return Exit(kind="fault", code=status, pc=int(fault[1], 16), detail=f"cfsr={fault[2]} hfsr={fault[3]}")
    lockup = LOCKUP_LINE.search(stderr)
    if lockup:
        pc = LOCKUP_PC.search(stderr)
        return Exit(kind="fault", pc=int(pc[1], 16) if pc else last_pc, detail=lockup[1].strip())
    complaint = qemu_complaint(stderr)
    if status != 0 and complaint:
        raise EmuError(f"QEMU failed: {complaint}")
    if recorded is None or recorded.end_kind is None:
        raise FirmwareError(f"QEMU stopped without finishing the trace (exit status {status}): {first_line(stderr)}")
    return Exit(kind="exit", code=status)


def qemu_complaint(stderr: str) -> str:
    """QEMU's own error message (bad machine, unreadable file, ...), if it wrote one."""
    for line in stderr.splitlines():
        if line.startswith(f"{QEMU}:"):
            return line.strip()
    return ""


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else ""


def assemble_trace(status: int | None, stderr: str, stdout: str, recorded: Recorded | None) -> Trace:
    stack = STACK_LINE.search(stdout)
    return Trace(
        segments=recorded.segments if recorded else [],
        exit=how_it_ended(status, stderr, stdout, recorded),
        stdout=stdout,
        min_stack_address=int(stack[1], 16) if stack else None,
        total_instructions=recorded.total if recorded else 0,
    )
