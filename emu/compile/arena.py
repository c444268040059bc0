"""Static tensor arena planning: every activation gets a fixed offset at compile time.

A buffer lives from the operator that writes it to the last operator that reads it.
Buffers whose lifetimes overlap must not overlap in memory; the rest may share it.
Placement is greedy, largest buffer first, each at the lowest offset that fits beside
the buffers already placed whose lifetimes overlap its own. The same greedy-by-size
strategy is what TFLM's default memory planner uses, and it is near optimal for the
chain-like graphs of microcontroller models.

One exception to "must not overlap": a kernel that streams its output row by row may
write it over the part of its input it has finished with (emu/compile/overlap.py). Such
a pair is given as a lead: the output may overlap the input as long as the input starts
at least `lead` bytes after the output.
"""

from __future__ import annotations

import heapq
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


def _forbidden_starts(buf: Buffer, placed: Buffer, leads: dict[tuple[str, str], int]) -> tuple[int, int]:
    """The open interval of start offsets at which buf would collide with placed."""
    lo, hi = placed.offset - buf.size, placed.offset + placed.size
    if (buf.name, placed.name) in leads:  # buf is the output streaming over placed
        lo = placed.offset - min(leads[buf.name, placed.name], buf.size)
    elif (placed.name, buf.name) in leads:  # buf is the input that placed streams over
        hi = placed.offset + min(leads[placed.name, buf.name], placed.size)
    return lo, hi


def _lowest_free_start(forbidden: list[tuple[int, int]]) -> int:
    """The lowest aligned start, from 0, inside none of the open intervals. Taken in order of
    their low ends, an interval that holds the start moves it past its high end; once a low
    end reaches the start, no later interval can hold it (the start only ever grows)."""
    start = 0
    for lo, hi in sorted(forbidden):
        if lo >= start:
            break
        if hi > start:
            start = _align(hi)
    return start


def _neighbours(buffers: list[Buffer]) -> dict[str, list[Buffer]]:
    """For each buffer, the buffers whose lifetimes overlap its own, from one sweep over time:
    n log n plus the overlapping pairs (a few per buffer along a chain of layers), where
    comparing every buffer with every other placed one grew with n squared."""
    near: dict[str, list[Buffer]] = {b.name: [] for b in buffers}
    alive: list[tuple[int, int, Buffer]] = []  # (last, order, buffer), the earliest ending first
    for order, buf in enumerate(sorted(buffers, key=lambda b: b.first)):
        while alive and alive[0][0] < buf.first:
            heapq.heappop(alive)
        for _, _, other in alive:
            near[buf.name].append(other)
            near[other.name].append(buf)
        heapq.heappush(alive, (buf.last, order, buf))
    return near


def _place(buffers: list[Buffer], leads: dict[tuple[str, str], int], reserve_leads: bool) -> ArenaPlan:
    placed: list[Buffer] = []
    done: set[str] = set()
    near = _neighbours(buffers)
    leads_into: dict[str, list[tuple[str, int]]] = {}  # input buffer -> [(output buffer, lead)]
    for (out, inp), lead in leads.items():
        leads_into.setdefault(inp, []).append((out, lead))
    # Largest first; ties by earliest start so the plan does not depend on input order.
    for buf in sorted(buffers, key=lambda b: (-b.size, b.first, b.name)):
        overlapping = [p for p in near[buf.name] if p.name in done]
        # The input of a streaming pair whose output comes later: keep `lead` bytes free below
        # it, where that output can then start and overlap it.
        reserve = max((_align(lead) for out, lead in leads_into.get(buf.name, ())
                       if out not in done), default=0) if reserve_leads else 0
        if reserve:
            grown = Buffer(buf.name, buf.size + reserve, buf.first, buf.last)
            buf.offset = _lowest_free_start([_forbidden_starts(grown, p, {}) for p in overlapping]) + reserve
        else:
            buf.offset = _lowest_free_start([_forbidden_starts(buf, p, leads) for p in overlapping])
        placed.append(buf)
        done.add(buf.name)
    size = _align(max((b.offset + b.size for b in placed), default=0))
    return ArenaPlan(offsets={b.name: b.offset for b in placed}, size=size)


def plan_arena(buffers: list[Buffer], leads: dict[tuple[str, str], int] | None = None) -> ArenaPlan:
    """leads: (output buffer, input buffer) -> bytes the input must start after the output.

    Two greedy passes, the smaller plan kept: the plain one, and one that leaves room below
    the input of each streaming pair for its output (in a residual block the output of the
    second convolution can then overlap the first's while the block's input stays live)."""
    leads = leads or {}
    plans = [_place([Buffer(b.name, b.size, b.first, b.last) for b in buffers], leads, reserve)
             for reserve in (False, True)]
    best = min(plans, key=lambda plan: plan.size)  # the plain plan on a tie
    for b in buffers:
        b.offset = best.offsets[b.name]
    return best
