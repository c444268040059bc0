"""QEMU backend: boot a firmware ELF in a Cortex-M machine and count what it executed.

The counting happens in the trace plugin (emu.emulators.qemu_plugin builds it). QEMU loads
it with the run's window, budget and memory regions as arguments; the plugin writes a text
file (read by emu.emulators.qemu_trace), and how the run ended is told from that file, the
firmware's semihosting output and QEMU's own messages.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

from emu import cache
from emu.elf import check_arm_elf
from emu.emulators.image import interrupts_can_come, kernel_without_zero_fill, write_loads
from emu.emulators.process import read_text
from emu.emulators.qemu_plugin import plugin_library
from emu.emulators.qemu_trace import Recorded, parse_trace_file
from emu.emulators.semihosting import run_served, sandbox_options
from emu.emulators.trace import Exit, Trace, lowest_stack, reported_fault
from emu.emulators.window import Window, window_from_elf
from emu.errors import EmuError, FirmwareError, first_line
from emu.platforms import Platform
from emu.tools import find_tool

QEMU = "qemu-system-arm"


# ---- the command line ----------------------------------------------------------------------


def option_value(value: object) -> str:
    """A value inside a QEMU key=value,... option, where a comma is written twice."""
    return str(value).replace(",", ",,")


def plugin_spec(plugin: Path, out: Path, flash: tuple[int, int], ram: tuple[int, int], *,
                weights: tuple[int, int] | None = None, flash_cache: tuple[int, int, int] | None = None,
                window: Window = Window(None, None, None), budget: int | None = None,
                stop_at_wait: bool = False) -> str:
    """The -plugin option: the library and its arguments (see plugin/emu_trace.c)."""
    args = [option_value(plugin), f"out={option_value(out)}"]
    if budget is not None:
        args.append(f"budget={budget}")
    args += [f"flash={flash[0]:#x}:{flash[1]:#x}", f"ram={ram[0]:#x}:{ram[1]:#x}",
             f"wait={'stop' if stop_at_wait else 'sleep'}"]
    if weights is not None:
        args.append(f"weights={weights[0]:#x}:{weights[1]:#x}")
    if flash_cache is not None:
        args.append("flashcache={}:{}:{}".format(*flash_cache))
    for key in ("start", "end", "layer"):
        address = getattr(window, key)
        if address is not None:
            args.append(f"{key}={address & ~1:#x}")
    return ",".join(args)


def qemu_command(kernel: Path, machine: str, plugin: str, load_files: Sequence[tuple[int, Path]],
                 work: Path) -> list[str]:
    """The one QEMU command line emu runs: `kernel` (an ELF or a raw image) on `machine`, with
    the trace plugin (a plugin_spec), the inputs placed in memory, every file QEMU writes (its
    log) inside `work`, and QEMU's system-call filter where it has one. Semihosting is added
    by emu.emulators.semihosting.run_served, which answers it."""
    command = [
        find_tool(QEMU), "-M", machine, "-nographic", "-monitor", "none",
        *sandbox_options(QEMU),
        "-kernel", str(kernel),
        "-plugin", plugin, "-d", "plugin", "-D", str(work / "qemu.log"),
    ]
    for address, path in load_files:
        command += ["-device", f"loader,file={option_value(path)},addr={address:#x},force-raw=on"]
    return command


# ---- a run ---------------------------------------------------------------------------------


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

    `loads` are (address, bytes) placed in guest memory before the core starts. The run
    ends when the firmware exits, faults, spends `budget` instructions, waits for an
    interrupt no handler can serve, or QEMU runs `timeout_s` seconds.
    """
    elf = Path(elf).resolve()  # QEMU runs in its own folder, so relative paths would miss
    check_arm_elf(elf)
    window = window if window is not None else window_from_elf(elf)
    plugin = plugin_library()
    with cache.temp_folder("emu-qemu-") as tmp:
        work = Path(tmp)
        results = work / "trace.txt"
        spec = plugin_spec(plugin, results, platform.code_region, platform.ram_region,
                           weights=platform.weights_region, flash_cache=platform.flash_cache, window=window,
                           budget=budget,
                           stop_at_wait=not interrupts_can_come(elf, platform))
        kernel = kernel_without_zero_fill(elf, loads, work) if loads else elf
        command = qemu_command(kernel, platform.qemu_machine, spec, write_loads(loads, work), work)
        status, stderr, served = run_served(command, work, timeout_s)
        stdout = served.text + read_text(work / "stdout.txt")
        recorded = parse_trace_file(results) if results.exists() else None
    if served.refusal:
        return Trace(segments=[], exit=served.refusal.as_exit(), stdout=stdout)
    return assemble_trace(status, stderr, stdout, recorded)


# ---- how it ended --------------------------------------------------------------------------

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
    fault = reported_fault(stdout)
    if fault:
        return Exit(kind="fault", code=status, pc=fault[0], detail=fault[1])
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


def assemble_trace(status: int | None, stderr: str, stdout: str, recorded: Recorded | None) -> Trace:
    return Trace(
        segments=recorded.segments if recorded else [],
        exit=how_it_ended(status, stderr, stdout, recorded),
        stdout=stdout,
        min_stack_address=lowest_stack(stdout),
        total_instructions=recorded.total if recorded else 0,
    )
