"""Static tensor arena planning: every activation gets a fixed offset at compile time.

A buffer lives from the operator that writes it to the last operator that reads it.
Buffers whose lifetimes overlap must not overlap in memory; the rest may share it.
Placement is greedy, largest buffer first, each at the lowest offset that fits beside
the buffers already placed whose lifetimes overlap its own. The same greedy-by-size
strategy is what TFLM's default memory planner uses, and it is near optimal for the
chain-like graphs of microcontroller models.
"""

from __future__ import annotations

from dataclasses import dataclass

ALIGNMENT = 8  # float and int32 tensors need 4; 8 keeps 64-bit loads (LDRD) legal too


@dataclass
class Buffer:
    name: str
    size: int
    first: int  # index of the first operator that needs it (-1: before the first operator)
    last: int  # index of the last operator that needs it
    offset: int = -1

    def overlaps_in_time(self, other: "Buffer") -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass
class ArenaPlan:
    offsets: dict[str, int]
    size: int


def _align(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def plan_arena(buffers: list[Buffer]) -> ArenaPlan:
    placed: list[Buffer] = []
    # Largest first; ties by earliest start so the plan does not depend on input order.
    for buf in sorted(buffers, key=lambda b: (-b.size, b.first, b.name)):
        conflicts = sorted((p for p in placed if p.overlaps_in_time(buf)), key=lambda p: p.offset)
        offset = 0
        for p in conflicts:
            if offset + buf.size <= p.offset:
                break
            offset = max(offset, _align(p.offset + p.size))
        buf.offset = offset
        placed.append(buf)
    size = _align(max((b.offset + b.size for b in placed), default=0))
    return ArenaPlan(offsets={b.name: b.offset for b in placed}, size=size)
