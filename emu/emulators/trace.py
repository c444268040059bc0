"""What the CPU executed: the value every emulator backend produces and the timing model reads.

A trace covers the measured window, from the firmware's start marker to its end marker.
Markers executed inside the window split it into segments: segment 0 runs from the start
marker to the first layer marker, segment k (k >= 1) is everything operator k-1 executed.
Firmware without layer markers yields a single segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class Segment:
    """Counts for one stretch of execution between two markers."""

    # instruction address -> times executed
    executions: dict[int, int] = field(default_factory=dict)
    # conditional-branch address -> times the branch was taken (not taken = executions - taken)
    taken: dict[int, int] = field(default_factory=dict)
    # load instruction address -> (loads from flash, loads from RAM, loads from anything else)
    loads: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    # load instruction address -> lines of the board's flash cache its reads from flash filled
    # (PC-relative loads left out), counted by the emulator through a model of the cache; None
    # where it modelled none (a board file without the cache's geometry, the Renode backend)
    flash_line_fills: dict[int, int] | None = None

    @property
    def instructions(self) -> int:
        return sum(self.executions.values())


@dataclass
class Exit:
    """How the run ended."""

    # "exit" (semihosting exit), "fault", "budget" (instruction budget spent), "timeout",
    # "wait" (a WFI or WFE that no interrupt can end), "refused" (a semihosting call emu
    # does not allow, see emu.emulators.semihosting)
    kind: str
    code: int = 0  # firmware's exit code for kind == "exit"
    pc: int | None = None  # where it stopped, for "fault", "budget", "wait" and "refused"
    # fault status registers, "WFI"/"WFE", the refused call, or other words worth showing a user
    detail: str = ""


@dataclass
class Trace:
    segments: list[Segment]
    exit: Exit
    stdout: str = ""  # what the firmware wrote through semihosting
    # lowest stack address the firmware reached, when known
    min_stack_address: int | None = None
    # instructions executed by the whole run, inside and outside the window
    total_instructions: int = 0

    @property
    def instructions(self) -> int:
        return sum(s.instructions for s in self.segments)


# ---- what emu's runtime reports through semihosting (emu/firmware/runtime), for every backend

FAULT_LINE = re.compile(r"emu: fault pc=(0x[0-9a-fA-F]+) cfsr=(0x[0-9a-fA-F]+) hfsr=(0x[0-9a-fA-F]+)")
STACK_LINE = re.compile(r"emu: stack-low (0x[0-9a-fA-F]+)")


def reported_fault(stdout: str) -> tuple[int, str] | None:
    """(pc, fault status registers) from the runtime's fault handler, when it ran."""
    fault = FAULT_LINE.search(stdout)
    return (int(fault[1], 16), f"cfsr={fault[2]} hfsr={fault[3]}") if fault else None


def lowest_stack(stdout: str) -> int | None:
    """The lowest stack address the runtime saw the firmware reach, when it says."""
    stack = STACK_LINE.search(stdout)
    return int(stack[1], 16) if stack else None
