"""Renode backend: boot a firmware ELF on a Cortex-M platform generated for the board.

For each run emu writes a platform description (`emu.repl`: the core, its NVIC, flash and
RAM at the board's addresses and the semihosting UART emu's firmware prints through) and
a script (`emu.resc`) that loads the ELF and the input tensors, starts Renode's execution
tracer in its binary format with opcodes and memory accesses, runs until the firmware
exits or the instruction budget is spent, and quits. The trace is then counted by
emu.emulators.retrace into the same Trace the QEMU backend gives.

Renode is found as `renode` or `renode-test` on PATH, or as the pyrenode3 package.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Sequence

from emu import cache, processes
from emu.elf import check_arm_elf, code_ranges, function_addresses
from emu.emulators import retrace, semihosting
from emu.emulators.image import write_loads
from emu.emulators.process import read_text, run_process
from emu.emulators.trace import Exit, Trace, lowest_stack, reported_fault
from emu.emulators.window import Window, window_from_elf
from emu.errors import EmuError, first_line
from emu.platforms import Platform
from emu.tools import RENODE_INSTALL, locate

# Virtual speed of the core: the budget in instructions becomes a virtual run time.
MIPS = 100
# emu's runtime (emu/firmware/runtime/semihost.c) leaves through this function with the exit code in r0.
EXIT_FUNCTION = "emu_exit"
TRACER = "emu_trace"
# What Renode does with a semihosting call (`bkpt 0xab`), read in its sources
# (docs/sources.md#renode-semihosting): until April 2026 (Arm.cs) it answers SYS_WRITEC and
# SYS_WRITE0 (to the SemihostingUart below) and SYS_READC (0 when nothing was typed: it never
# waits) and ignores every other call; since then (SemihostingHandler.cs) it also opens
# files, but only inside a semihosting folder that emu never sets, and still implements no
# SYS_SYSTEM, SYS_REMOVE or SYS_RENAME. Neither reaches the host. The calls emu refuses
# on QEMU that a firmware cannot mean harmlessly are also caught before Renode sees them, by
# a hook at each `bkpt 0xab` of the ELF, so that the run ends the same way: a firmware
# failure naming the call (emu.emulators.semihosting).
REFUSED_CALLS = (0x07, 0x0E, 0x0F, 0x12)  # SYS_READC, SYS_REMOVE, SYS_RENAME, SYS_SYSTEM
BKPT_SEMIHOSTING = (0xBEAB).to_bytes(2, "little")


# ---- finding Renode ---------------------------------------------------------------------


def renode_executable() -> str | None:
    """`renode` on PATH, else the Renode beside `renode-test` (Renode's test runner)."""
    found = locate("renode")
    if found:
        return found
    runner = locate("renode-test")
    if runner and Path(runner).with_name("renode").exists():
        return str(Path(runner).with_name("renode"))
    return None


def renode_launcher() -> list[str]:
    """The command that runs a Renode script: `renode`, `renode-test`'s Renode, or pyrenode3."""
    renode = renode_executable()
    if renode:
        return [renode, "--disable-gui", "--plain", "--console", "-e"]
    if importlib.util.find_spec("pyrenode3") is not None:
        runner = "from pyrenode3.wrappers import Monitor; import sys; Monitor().execute(sys.argv[1])"
        return [sys.executable, "-c", runner]
    raise EmuError(f"Renode not found (needed by --emulator renode): {RENODE_INSTALL}")


def renode_version() -> str | None:
    """Renode's version line, or None when it is not installed."""
    renode = renode_executable()
    if renode:
        try:
            out = processes.run([renode, "--version"], capture_output=True, text=True, timeout=60).stdout
        except (OSError, subprocess.TimeoutExpired):
            return "renode (version unknown)"
        return first_line(out) or "renode (version unknown)"
    if importlib.util.find_spec("pyrenode3") is not None:
        return "pyrenode3 (Python package)"
    return None


# ---- what Renode is given ---------------------------------------------------------------


# emu's core names -> Renode's cpuType; the Cortex-M4 with an FPU is a type of its own.
CPU_TYPES = {"cortex-m0plus": "cortex-m0+", "cortex-m3": "cortex-m3", "cortex-m4": "cortex-m4",
             "cortex-m7": "cortex-m7", "cortex-m33": "cortex-m33", "cortex-m55": "cortex-m55"}


def cpu_type(platform: Platform) -> str:
    if platform.core == "cortex-m4" and platform.fpu:
        return "cortex-m4f"
    return CPU_TYPES[platform.core]


def platform_description(platform: Platform) -> str:
    """The .repl text: core, NVIC, and the memories where the board's firmware is linked."""
    return "\n".join([
        f"// {platform.name}: {platform.description}",
        "cpu: CPU.CortexM @ sysbus",
        f'    cpuType: "{cpu_type(platform)}"',
        "    nvic: nvic",
        "",
        "nvic: IRQControllers.NVIC @ sysbus 0xE000E000",
        f"    systickFrequency: {platform.clock_hz}",
        "    -> cpu@0",
        "",
        f"flash: Memory.MappedMemory @ sysbus {platform.code_region[0]:#x}",
        f"    size: {platform.code_region[1]:#x}",
        "",
        *([f"weights: Memory.MappedMemory @ sysbus {platform.weights_region[0]:#x}",
           f"    size: {platform.weights_region[1]:#x}", ""] if platform.weights_region else []),
        f"sram: Memory.MappedMemory @ sysbus {platform.ram_region[0]:#x}",
        f"    size: {platform.ram_region[1]:#x}",
        "",
        "// emu's firmware prints through semihosting (SYS_WRITE0 / SYS_WRITEC on bkpt 0xab)",
        "semihosting: UART.SemihostingUart @ cpu",
        "",
    ])


def renode_path(path: Path) -> str:
    """A path as a Renode script argument (@path; quoted, so spaces survive)."""
    return f'@"{path}"'


def semihosting_call_sites(elf: Path) -> list[int]:
    """The address of every `bkpt 0xab` in the ELF's code (literal pools left out)."""
    return [address + offset for address, code in code_ranges(elf)
            for offset in range(0, len(code) - 1, 2) if code[offset:offset + 2] == BKPT_SEMIHOSTING]


def run_script(elf: Path, platform: Platform, work: Path, load_files: Sequence[tuple[int, Path]],
               budget: int, exit_hook: int | None, call_sites: Sequence[int] = ()) -> str:
    """The .resc text for one run."""
    seconds = budget / (MIPS * 1e6)
    lines = [
        "using sysbus",
        'mach create "emu"',
        f"machine LoadPlatformDescription {renode_path(work / 'emu.repl')}",
        f"sysbus LoadELF {renode_path(elf)}",
        # The initial SP and reset vector are read from the vector table, which emu's
        # linker script puts first in flash.
        f"cpu VectorTableOffset {platform.flash_origin:#x}",
    ]
    lines += [f"sysbus LoadBinary {renode_path(path)} {address:#x}" for address, path in load_files]
    lines += [
        f"cpu PerformanceInMips {MIPS}",
        f"cpu.semihosting CreateFileBackend {renode_path(work / 'semihosting.txt')} true",
        # Binary format with opcodes (PCAndOpcode ... true), then every load and store.
        f'cpu CreateExecutionTracing "{TRACER}" {renode_path(work / "trace.bin")} PCAndOpcode true',
        f"{TRACER} TrackMemoryAccesses",
    ]
    if exit_hook is not None:
        # Renode's Arm semihosting prints (SYS_WRITEC, SYS_WRITE0) but does not exit, so
        # emu_exit(code) is caught at its entry: record r0, then halt the core so that no
        # further instruction runs while the rest of the virtual time passes.
        exit_file = work / "exit.txt"
        hook = (f"open(r'{exit_file}', 'w').write(str(self.GetRegister(0).RawValue)); "
                "self.IsHalted = True")
        lines.append(f'cpu AddHook {exit_hook:#x} "{hook}"')
    refused_file = work / "refused.txt"
    for site in call_sites:
        # Before the `bkpt` runs: a refused operation number (r0) is written down with the
        # address, and the core halted, so Renode never handles the call.
        hook = (f"r0 = self.GetRegister(0).RawValue; refused = r0 in {REFUSED_CALLS}; "
                f"refused and open(r'{refused_file}', 'w').write(str(r0) + ' {site}'); "
                "refused and setattr(self, 'IsHalted', True)")
        lines.append(f'cpu AddHook {site:#x} "{hook}"')
    lines += [
        f'emulation RunFor "{seconds:.6f}"',
        "cpu DisableExecutionTracing",
        "quit",
        "",
    ]
    return "\n".join(lines)


# ---- running ----------------------------------------------------------------------------


def run_firmware(
    elf: Path,
    platform: Platform,
    *,
    loads: Sequence[tuple[int, bytes]] = (),
    window: Window | None = None,
    budget: int = 5_000_000_000,
    timeout_s: float = 900.0,
) -> Trace:
    """Boot `elf` in Renode on a platform made for the board; the same contract as the QEMU backend."""
    elf = Path(elf).resolve()
    check_arm_elf(elf)
    window = window if window is not None else window_from_elf(elf)
    launcher = renode_launcher()
    exit_hook = function_addresses(elf).get(EXIT_FUNCTION)
    with cache.temp_folder("emu-renode-") as tmp:
        work = Path(tmp)
        (work / "emu.repl").write_text(platform_description(platform))
        script = work / "emu.resc"
        script.write_text(run_script(elf, platform, work, write_loads(loads, work), budget, exit_hook,
                                     semihosting_call_sites(elf)))
        status, stderr = run_process(launcher + [f"include {renode_path(script)}"], work, timeout_s, cwd=work)
        stdout = read_text(work / "semihosting.txt")
        trace_file = work / "trace.bin"
        if not trace_file.exists():
            raise EmuError(f"Renode wrote no execution trace (exit status {status}): "
                           f"{first_line(stderr) or first_line(read_text(work / 'stdout.txt')) or 'no message'}")
        regions = retrace.Regions(*platform.code_region, *platform.ram_region,
                                  weights=platform.weights_region)
        try:
            counted = retrace.count_file(trace_file, regions, window.start, window.end, window.layer)
        except retrace.TraceFormatError:
            if status is not None:
                raise
            counted = None  # stopped by the timeout in the middle of a record
        exit_text = read_text(work / "exit.txt").strip()
        refused_text = read_text(work / "refused.txt").strip()
    return assemble_trace(status, stdout, exit_text, counted, refused_text)


def assemble_trace(status: int | None, stdout: str, exit_text: str, counted: retrace.Counted | None,
                   refused_text: str = "") -> Trace:
    last_pc = counted.last_pc if counted else None
    fault = reported_fault(stdout)
    refused = refused_text.split()
    if len(refused) == 2 and all(field.isdigit() for field in refused):  # "<r0> <pc>", from the hook
        call = int(refused[0])
        end = semihosting.Refusal(semihosting.CALL_NAMES.get(call, f"{call:#04x}"), pc=int(refused[1])).as_exit()
    elif status is None:
        end = Exit(kind="timeout", pc=last_pc)
    elif fault:
        end = Exit(kind="fault", code=int(exit_text) if exit_text.isdigit() else 0, pc=fault[0], detail=fault[1])
    elif exit_text:
        end = Exit(kind="exit", code=int(exit_text) if exit_text.isdigit() else 1)
    else:
        # The virtual run time (budget / MIPS) passed without the firmware leaving.
        end = Exit(kind="budget", pc=last_pc)
    return Trace(
        segments=counted.segments if counted else [],
        exit=end,
        stdout=stdout,
        min_stack_address=lowest_stack(stdout),
        total_instructions=counted.total if counted else 0,
    )
