"""Cycles from what the CPU executed: the per-core timing model.

count_cycles adds, for one segment of a trace:
  issue cycles of each instruction (the core's table, emu/timing/cortex_*.py)
+ cycles lost to taken or mispredicted branches (branches.py)
+ rules about neighbouring instructions: load/store pipelining, address and result
  dependencies, IT folding (pipeline.py)
- cycles saved by dual issue (dual_issue.py)
+ flash wait states for code and data (flash.py)
+ SRAM wait states for data reads (sram.py)
docs/timing.md states each rule's source and the assumptions.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace

from emu.emulators.trace import Segment
from emu.errors import EmuError
from emu.platforms import Platform
from emu.timing import cortex_m0plus, cortex_m3, cortex_m4, cortex_m7, cortex_m33, cortex_m55
from emu.timing.branches import branch_total
from emu.timing.core import CoreTable
from emu.timing.dual_issue import dual_issue_total
from emu.timing.flash import flash_total
from emu.timing.instruction import Instruction
from emu.timing.issue import issue_total
from emu.timing.pipeline import pipeline_total
from emu.timing.sram import ram_total
from emu.timing.stream import executed_stream

CORE_TABLES: dict[str, CoreTable] = {
    t.core: t for t in (cortex_m0plus.TABLE, cortex_m3.TABLE, cortex_m4.TABLE,
                        cortex_m7.TABLE, cortex_m33.TABLE, cortex_m55.TABLE)
}


@dataclass
class CycleCount:
    cycles: int
    # cycles per instruction group (alu, mul, div, dsp, load, store, branch, fp, system,
    # stall, flash-wait, ram-wait), for reports; they add up to `cycles`
    by_class: dict[str, int] = field(default_factory=dict)
    # cycles per part of the model (issue, branch, pipeline, dual-issue, flash-wait, ram-wait); they
    # add up to `cycles` too (pipeline and dual-issue are usually negative)
    by_part: dict[str, int] = field(default_factory=dict)

    def __add__(self, other: CycleCount) -> CycleCount:
        merged, parts = Counter(self.by_class), Counter(self.by_part)
        merged.update(other.by_class)
        parts.update(other.by_part)
        return CycleCount(self.cycles + other.cycles, dict(merged), dict(parts))


def core_table(platform: Platform) -> CoreTable:
    """The core's table; without the FPU classes when the board's FPU is not in use, so
    FP instructions in firmware built for it are reported rather than timed."""
    table = CORE_TABLES.get(platform.core)
    if table is None:
        raise EmuError(f"no timing model for core '{platform.core}'")
    if platform.fpu:
        return table
    integer_only = {cls: cost for cls, cost in table.costs.items() if not cls.startswith("fp-")}
    return replace(table, costs=integer_only)


def count_cycles(segment: Segment, program: dict[int, Instruction], platform: Platform) -> CycleCount:
    table = core_table(platform)
    stream = executed_stream(segment, program)
    parts: Counter = Counter()
    by_part: dict[str, int] = {}
    for name, part in (("issue", issue_total(stream, table)), ("branch", branch_total(stream, table)),
                       ("pipeline", pipeline_total(stream, table)),
                       ("dual-issue", dual_issue_total(stream, table)),
                       ("flash-wait", flash_total(stream, segment, platform, table)),
                       ("ram-wait", ram_total(segment, platform))):
        parts.update(part)
        # Only the flash part is fractional, and it is the whole flash-wait group, so
        # rounding it here rounds it as by_class does.
        by_part[name] = _round_half_up(sum(part.values()))
    rounded = {group: _round_half_up(value) for group, value in sorted(parts.items())}
    by_class = {group: value for group, value in rounded.items() if value}
    return CycleCount(cycles=sum(by_class.values()), by_class=by_class, by_part=by_part)


def _round_half_up(value: float) -> int:
    # Flash stalls are fractional (a share of a line per load); whole groups round once.
    return math.floor(value + 0.5)
