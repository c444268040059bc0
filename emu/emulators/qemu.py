"""QEMU backend: boot a firmware ELF in a Cortex-M machine and count what it executed.

The counting happens in a TCG plugin (plugin/emu_trace.c) built on first use with the
host C compiler, for the plugin API of the installed QEMU (PLUGIN_APIS). QEMU loads it
with the run's window and memory regions as arguments; the plugin writes a small text
file that `parse_trace_file` turns into a Trace.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from emu import cache
from emu.elf import check_arm_elf, function_addresses, load_segments
from emu.errors import EmuError, FirmwareError
from emu.platforms import Platform
from emu.resources import PLUGIN
from emu.tools import tool_version
from emu.emulators.trace import Exit, Segment, Trace

PLUGIN_DIR = PLUGIN
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


# ---- QEMU version and plugin API ----------------------------------------------------------

# (first QEMU version, plugin API it speaks), from QEMU's include/qemu/qemu-plugin.h at each
# release tag (docs/sources.md#qemu-plugin-api). QEMU loads a plugin built for any version
# between its minimum and its own; 9.0 raised the minimum to 2, so each QEMU gets its own.
PLUGIN_APIS = (
    ((7, 2), 1),   # 7.2 to 8.2; older QEMU is not supported by emu at all
    ((9, 0), 2),
    ((9, 1), 3),
    ((9, 2), 4),   # 9.2 and 10.0
    ((10, 1), 5),  # 10.1 and 10.2
    ((11, 0), 6),  # 11.x
)
FIRST_UNCHECKED = (12, 0)
VERSION_LINE = re.compile(r"version (\d+)\.(\d+)(?:\.(\d+))?")


def parse_qemu_version(line: str) -> tuple[int, int, int]:
    """(major, minor, micro) from the first line of `qemu-system-arm --version`."""
    found = VERSION_LINE.search(line)
    if not found:
        raise EmuError(f"cannot tell the QEMU version from '{line.strip()}'")
    return int(found[1]), int(found[2]), int(found[3] or 0)


def plugin_api_for(version: tuple[int, int, int]) -> int:
    """The TCG plugin API version the trace plugin is built for on this QEMU."""
    shown = ".".join(map(str, version))
    if version[:2] < PLUGIN_APIS[0][0]:
        raise EmuError(f"QEMU {shown} is too old: emu needs qemu-system-arm 7.2 or newer")
    if version[:2] >= FIRST_UNCHECKED:
        raise EmuError(f"QEMU {shown} is newer than emu's trace plugin supports (QEMU 7.2 to 11.x); "
                       f"use one of those or update emu")
    return [api for first, api in PLUGIN_APIS if version[:2] >= first][-1]


def qemu_version() -> tuple[int, int, int]:
    qemu_executable()  # says how to install QEMU when it is missing
    return parse_qemu_version(tool_version(QEMU))


# ---- plugin build -------------------------------------------------------------------------


def host_compiler() -> str:
    for name in ("cc", "gcc", "clang"):
        path = shutil.which(name)
        if path:
            return path
    raise EmuError("no host C compiler to build the QEMU trace plugin: run `make setup` or `apt-get install gcc`")


def plugin_library(api: int | None = None) -> Path:
    """The compiled plugin for plugin API `api` (default: the installed QEMU's), built once
    per version of its source and API."""
    api = plugin_api_for(qemu_version()) if api is None else api
    digest = hashlib.sha256(f"api {api}\n".encode())
    for name in PLUGIN_SOURCES:
        digest.update((PLUGIN_DIR / name).read_bytes())
    # The one cache root (EMU_CACHE included), so a test or CI run never loads another's plugin.
    target = cache.root() / "plugins" / f"emu_trace-api{api}-{digest.hexdigest()[:16]}.so"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Build under a private name and rename, so a concurrent run never loads half a file; in
    # this run's scratch folder (same file system), so a killed run's partial file is swept.
    fd, partial = tempfile.mkstemp(prefix=".emu_trace-", suffix=".so", dir=cache.run_folder())
    os.close(fd)
    command = [host_compiler(), "-shared", "-fPIC", "-O2", f"-DEMU_QEMU_PLUGIN_API={api}",
               "-I", str(PLUGIN_DIR), "-o", partial, str(PLUGIN_DIR / "emu_trace.c")]
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


def plugin_arguments(platform: Platform, window: Window, budget: int, out: Path,
                     stop_at_wait: bool = False) -> list[str]:
    args = [
        f"out={option_value(out)}",
        f"budget={budget}",
        f"flash={platform.flash_origin:#x}:{platform.flash_bytes:#x}",
        f"ram={platform.ram_origin:#x}:{platform.ram_bytes:#x}",
        f"wait={'stop' if stop_at_wait else 'sleep'}",
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
    for segment in load_segments(elf):
        start, stored = segment.address, segment.stored
        for address, content in loads:
            if address < start + stored and start < address + len(content):
                raise EmuError(f"input at {address:#x} overlaps data stored in {elf.name} "
                               f"({start:#x}..{start + stored:#x})")
        # p_memsz is the sixth 32-bit field of an Elf32_Phdr.
        offset = segment.header_offset + 20
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


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent(parent: int):
    """A preexec_fn that has the kernel kill the child when `parent` dies (Linux), so a
    killed emu leaves no QEMU behind; elsewhere, nothing. The kernel sends the signal when
    the thread that started the child ends, and run_qemu waits for QEMU in that thread."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def arrange() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return arrange


def run_qemu(command: list[str], work: Path, timeout_s: float) -> tuple[int | None, str]:
    """QEMU's exit status (None when it had to be stopped) and what it wrote to stderr."""
    with open(work / "stdout.txt", "wb") as out, open(work / "stderr.txt", "wb") as err:
        # The preexec_fn makes one prctl call through a library loaded before the fork.
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                   start_new_session=True,
                                   preexec_fn=die_with_parent(os.getpid()))  # noqa: PLW1509
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
        stop_at_wait = not interrupts_can_come(elf, platform)
        plugin_spec = ",".join([option_value(plugin),
                                *plugin_arguments(platform, window, budget, results, stop_at_wait)])
        kernel = kernel_without_zero_fill(elf, loads, work) if loads else elf
        command = qemu_command(kernel, platform, plugin_spec, write_loads(loads, work), work)
        status, stderr = run_qemu(command, work, timeout_s)
        stdout = read_text(work / "semihosting.txt") + read_text(work / "stdout.txt")
        recorded = parse_trace_file(results) if results.exists() else None
    return assemble_trace(status, stderr, stdout, recorded)


def interrupts_can_come(elf: Path, platform: Platform) -> bool:
    """Whether the vector table at the start of flash gives any interrupt (PendSV, SysTick,
    external IRQs) a handler other than the HardFault handler.

    emu's startup code routes every interrupt to its fault handler, as does a CMSIS startup
    file whose handlers are all the default one; for such firmware a WFI or WFE can only
    sleep until the timeout, so the plugin ends the run there and reports where.
    """
    table = flash_words(elf, platform.flash_origin, 16 + 240)
    if len(table) < 16:
        return True  # no table where the core looks for it: claim nothing
    fault = table[3]

    def is_handler(word: int) -> bool:
        inside = platform.flash_origin <= word < platform.flash_origin + platform.flash_bytes
        return bool(word & 1) and inside

    for index, word in enumerate(table[14:], start=14):
        if not is_handler(word):
            if index >= 16:
                break  # past the end of the table (code or constants follow)
            continue
        if word != fault:
            return True
    return False


def flash_words(elf: Path, address: int, count: int) -> list[int]:
    """Up to `count` little-endian words the ELF stores from `address` on."""
    for segment in load_segments(elf):
        start, data = segment.address, segment.data
        if start <= address < start + len(data):
            chunk = data[address - start:address - start + 4 * count]
            return [int.from_bytes(chunk[i:i + 4], "little") for i in range(0, len(chunk) - 3, 4)]
    return []


def read_text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


# ---- results ------------------------------------------------------------------------------


@dataclass
class Recorded:
    """What the plugin wrote: segments and, if it got to the end, how the run ended."""

    segments: list[Segment]
    end_kind: str | None  # "exit", "budget" or "wait"; None when QEMU died before the plugin finished
    total: int
    last_pc: int | None
    wait_instruction: str = ""  # "WFI", "WFE" or "branch-to-self" (`b .`) for end_kind "wait"


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
        elif kind == "c":  # block numbers[0] stopped before numbers[1], numbers[2] times
            executions = segments[-1].executions
            for address in blocks[numbers[0]]:
                if address >= numbers[1]:
                    left = executions.get(address, 0) - numbers[2]
                    if left > 0:
                        executions[address] = left
                    else:
                        executions.pop(address, None)
        elif kind == "end":
            recorded.end_kind, recorded.total, recorded.last_pc = fields[0], int(fields[1]), int(fields[2])
            recorded.wait_instruction = fields[3] if len(fields) > 3 else ""
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
    if recorded and recorded.end_kind == "wait":
        return Exit(kind="wait", pc=last_pc, detail=recorded.wait_instruction)
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


# ---- self-test ----------------------------------------------------------------------------

# A raw image for mps2-an385 (Cortex-M3, code at 0): the vector table's stack pointer and
# reset vector, then three Thumb instructions that leave through semihosting SYS_EXIT with
# ADP_Stopped_ApplicationExit, and the literal they load.
SELF_TEST_MACHINE = "mps2-an385"
SELF_TEST_IMAGE = b"".join([
    (0x20001000).to_bytes(4, "little"),  # initial SP
    (0x00000009).to_bytes(4, "little"),  # reset: 0x8, Thumb
    (0x2018).to_bytes(2, "little"),      # 0x08 movs r0, #0x18 (SYS_EXIT)
    (0x4901).to_bytes(2, "little"),      # 0x0a ldr r1, [pc, #4] (the word at 0x10)
    (0xBEAB).to_bytes(2, "little"),      # 0x0c bkpt 0xab (semihosting call)
    (0xE7FE).to_bytes(2, "little"),      # 0x0e b . (never reached)
    (0x00020026).to_bytes(4, "little"),  # 0x10 ADP_Stopped_ApplicationExit
])
SELF_TEST_INSTRUCTIONS = 3  # movs, ldr, bkpt: one block, counted once


def plugin_self_test(timeout_s: float = 30.0) -> str:
    """Boot SELF_TEST_IMAGE with the trace plugin and check what the plugin wrote.

    Returns a one-line summary; raises EmuError saying what went wrong.
    """
    plugin = plugin_library()
    with cache.temp_folder("emu-selftest-") as tmp:
        work = Path(tmp)
        image = work / "selftest.bin"
        image.write_bytes(SELF_TEST_IMAGE)
        results = work / "trace.txt"
        spec = ",".join([option_value(plugin), f"out={option_value(results)}",
                         "flash=0x0:0x400000", "ram=0x20000000:0x400000"])
        command = [qemu_executable(), "-M", SELF_TEST_MACHINE, "-nographic", "-monitor", "none",
                   "-semihosting-config", "enable=on,target=native",
                   "-kernel", str(image), "-plugin", spec, "-d", "plugin", "-D", str(work / "qemu.log")]
        status, stderr = run_qemu(command, work, timeout_s)
        if status is None:
            raise EmuError(f"QEMU did not finish the plugin self-test within {timeout_s:.0f} s")
        if not results.exists():
            reason = qemu_complaint(stderr) or first_line(stderr) or f"exit status {status}"
            raise EmuError(f"QEMU did not load the trace plugin: {reason}")
        recorded = parse_trace_file(results)
    if recorded.end_kind != "exit" or recorded.total != SELF_TEST_INSTRUCTIONS:
        raise EmuError(f"the trace plugin counted {recorded.total} instructions of the self-test "
                       f"(expected {SELF_TEST_INSTRUCTIONS}), ending '{recorded.end_kind}'")
    return f"loads and counts ({plugin.name})"
