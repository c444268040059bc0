"""Dual issue: the second of two neighbouring instructions shares the first one's cycle."""

from __future__ import annotations

from collections import Counter

from emu.timing.classes import GROUP_OF_CLASS
from emu.timing.core import CoreTable
from emu.timing.issue import issue_cycles
from emu.timing.pipeline import depends_on
from emu.timing.stream import Executed


def dual_issue_total(stream: list[Executed], table: CoreTable) -> Counter:
    """Pairs are formed greedily in address order within straight-line code: an instruction
    that issued as the second of a pair cannot also lead the next one (assumption: the
    pairing seen from the start of each run holds on every pass)."""
    cycles: Counter = Counter()
    if table.dual_issue == "none":
        return cycles
    second_of_pair: set[int] = set()
    for e in stream:
        p = e.previous
        if p is None or p.ins.address in second_of_pair:
            continue
        saved = m33_saving(p, e, table) if table.dual_issue == "m33" else (
            issue_cycles(e, table) * e.after_previous if can_pair(p, e, table) else 0)
        if saved:
            second_of_pair.add(e.ins.address)
            cycles[GROUP_OF_CLASS[e.cls]] -= saved
    return cycles


def m33_saving(p: Executed, e: Executed, table: CoreTable) -> int:
    """Cortex-M33, measured on an RP2350: only two 16-bit instructions pair, and only when
    one is a NOP (arithmetic + arithmetic and load/store + arithmetic do not), or the second
    is a branch: a not-taken branch then costs nothing, a taken one 1 cycle less when the
    first does not set the flags. IT pairs with any instruction before it."""
    if p.ins.is_branch and not p.ins.is_conditional:
        return 0
    if e.cls == "it":
        return issue_cycles(e, table) * e.after_previous
    if p.ins.size != 2 or e.ins.size != 2 or p.ins.is_branch:
        return 0
    if e.ins.is_branch and e.cls in ("branch", "branch-compare"):
        not_taken = min(e.count - e.taken, e.after_previous)
        taken = e.after_previous - not_taken if "flags" not in p.ins.writes else 0
        return not_taken + taken
    if e.ins.is_branch or depends_on(e, p):
        return 0
    if "nop" in (p.cls, e.cls) and issue_cycles(p, table) == 1 and issue_cycles(e, table) == 1:
        return e.after_previous
    return 0


def can_pair(p: Executed, e: Executed, table: CoreTable) -> bool:
    if p.ins.is_branch and not (table.dual_issue == "m7" and p.ins.is_conditional):
        # What follows a taken branch is fetched after it resolves; on the M7 a not-taken
        # branch pairs with the next instruction (measured on an STM32H743), and the pair
        # counts only the executions that fell through.
        return False
    if p.cls in table.single_issue or e.cls in table.single_issue:
        return False
    if issue_cycles(p, table) != 1 or issue_cycles(e, table) != 1:
        return False
    if any(p.cls in group and e.cls in group for group in table.exclusive_pairs):
        return False
    if depends_on(e, p):
        return False  # assumption: no same-cycle forwarding between the pair
    if table.dual_issue == "m55":
        return p.ins.size == 2 and e.ins.size == 2  # docs/sources.md#llvm-schedule-m55: 16-bit pairs only
    return True
