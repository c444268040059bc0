"""Cycles lost to taken or mispredicted branches."""

from __future__ import annotations

from collections import Counter

from emu.timing.core import CoreTable
from emu.timing.stream import Executed

# Branches whose target comes from a register or from memory.
INDIRECT = frozenset({"branch-indirect", "load-pc", "pop-pc", "table-branch"})


def branch_total(stream: list[Executed], table: CoreTable) -> Counter:
    cycles: Counter = Counter()
    for e in stream:
        if e.ins.is_branch:
            cycles["branch"] += _lost_cycles(e, table)
    return cycles


def _lost_cycles(e: Executed, table: CoreTable) -> int:
    if not table.mispredict:
        # No predictor: every taken branch refills the pipeline (Arm's "P").
        return e.taken * table.refill_for(e.cls)
    return _mispredictions(e) * table.mispredict


def _mispredictions(e: Executed) -> int:
    """Assumption for predicting cores (no source gives the predictor's behaviour):
    - a conditional branch is predicted in its majority direction, so the minority outcomes
      are the mispredictions: a loop's back edge mispredicts once, at the exit;
    - direct unconditional branches (B, BL) always hit the branch target address cache;
    - indirect branches (BX, POP/LDR PC, TBB) mispredict every time they are taken.
    """
    if e.cls in INDIRECT:
        return e.taken
    if e.ins.is_conditional:
        return min(e.taken, e.count - e.taken)
    return 0
