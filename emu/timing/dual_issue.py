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
        if p is None or p.ins.address in second_of_pair or not can_pair(p, e, table):
            continue
        second_of_pair.add(e.ins.address)
        cycles[GROUP_OF_CLASS[e.cls]] -= issue_cycles(e, table) * e.after_previous
    return cycles


def can_pair(p: Executed, e: Executed, table: CoreTable) -> bool:
    if p.ins.is_branch:
        return False  # what follows a branch is fetched after it resolves
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
