"""Issue cycles: what each executed instruction costs by itself, from the core's table."""

from __future__ import annotations

import math
from collections import Counter

from emu.errors import EmuError
from emu.timing.classes import GROUP_OF_CLASS, TRANSFER_CLASSES
from emu.timing.core import CoreTable
from emu.timing.stream import Executed


def issue_cycles(e: Executed, table: CoreTable) -> int:
    """Cycles of one execution of e, before any rule about its neighbours."""
    cost = table.cost(e.cls)
    if cost is None:
        raise EmuError(
            f"{table.core} has no timing for '{e.ins.mnemonic} {e.ins.op_str}' at "
            f"{e.ins.address:#x} (class {e.cls}): the firmware does not match the core"
        )
    words = e.ins.words_moved if e.cls in TRANSFER_CLASSES else 0
    return cost.fixed + math.ceil(cost.per_word * words)


def issue_total(stream: list[Executed], table: CoreTable) -> Counter:
    cycles: Counter = Counter()
    for e in stream:
        cycles[GROUP_OF_CLASS[e.cls]] += issue_cycles(e, table) * e.count
    return cycles
