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
at least `lead` bytes after the output. A chain of such pairs (layer after layer streaming
over the one before, as in a depthwise-separable network) is placed as one block stepping
down through memory (_chains); of the plans with and without those blocks, the smallest is
kept.
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


def _chains(buffers: list[Buffer], leads: dict[tuple[str, str], int]) -> list[list[tuple[Buffer, int]]]:
    """Runs of streaming pairs placed as one block, each buffer at an offset within the block:
    along a chain b0 -> b1 -> b2 ... (each written over the one before by a row-streaming
    kernel) every output starts its lead below its input, so the chain steps down through
    memory and takes its largest buffer plus the leads instead of two buffers side by side.
    A run ends where stepping down would cost more than putting its two largest buffers side
    by side, or would collide with a run member alive at the same time."""
    by_name = {b.name: b for b in buffers}
    outs: dict[str, list[str]] = {}
    ins: dict[str, list[str]] = {}
    for out, inp in leads:
        outs.setdefault(inp, []).append(out)
        ins.setdefault(out, []).append(inp)
    runs: list[list[tuple[Buffer, int]]] = []
    seen: set[str] = set()
    for head in sorted(buffers, key=lambda b: (b.first, b.name)):
        if head.name in seen or len(ins.get(head.name, ())) == 1:
            continue  # not the start of a chain: its input streams into it
        run: list[tuple[Buffer, int]] = [(head, 0)]  # (buffer, offset from the run's top buffer)
        seen.add(head.name)
        current = head
        while len(outs.get(current.name, ())) == 1:
            nxt = by_name[outs[current.name][0]]
            if nxt.name in seen or len(ins[nxt.name]) != 1:
                break
            seen.add(nxt.name)
            below = run[-1][1] - _align(min(leads[nxt.name, current.name], nxt.size))
            trial = run + [(nxt, below)]
            if _run_fits(trial, leads):
                run = trial
            else:
                if len(run) > 1:
                    runs.append(run)
                run = [(nxt, 0)]
            current = nxt
        if len(run) > 1:
            runs.append(run)
    # offsets from the run's lowest buffer, all >= 0
    return [[(b, rel - min(r for _, r in run)) for b, rel in run] for run in runs]


def _run_fits(run: list[tuple[Buffer, int]], leads: dict[tuple[str, str], int]) -> bool:
    low = min(rel for _, rel in run)
    span = max(rel + b.size for b, rel in run) - low
    sizes = sorted((b.size for b, _ in run), reverse=True)
    if span > sizes[0] + sizes[1]:
        return False
    for i, (a, ra) in enumerate(run):
        for b, rb in run[i + 1:]:
            if not a.overlaps_in_time(b):
                continue
            lo, hi = _forbidden_starts(b, Buffer(a.name, a.size, a.first, a.last, ra), leads)
            if lo < rb < hi:
                return False
    return True


def _place(buffers: list[Buffer], leads: dict[tuple[str, str], int], reserve_leads: bool,
           chained: bool) -> ArenaPlan:
    placed: list[Buffer] = []
    done: set[str] = set()
    near = _neighbours(buffers)
    leads_into: dict[str, list[tuple[str, int]]] = {}  # input buffer -> [(output buffer, lead)]
    for (out, inp), lead in leads.items():
        leads_into.setdefault(inp, []).append((out, lead))
    # A unit is a buffer alone or a chain run, placed together at the lowest start that fits.
    units = _chains(buffers, leads) if chained else []
    in_runs = {b.name for run in units for b, _ in run}
    units += [[(b, 0)] for b in buffers if b.name not in in_runs]

    def height(unit: list[tuple[Buffer, int]]) -> int:
        return max(rel + b.size for b, rel in unit)

    # Largest first; ties by earliest start so the plan does not depend on input order.
    for unit in sorted(units, key=lambda u: (-height(u), u[0][0].first, u[0][0].name)):
        members = {b.name for b, _ in unit}
        if len(unit) > 1:
            forbidden = [(lo - rel, hi - rel) for b, rel in unit for p in near[b.name]
                         if p.name in done and p.name not in members
                         for lo, hi in [_forbidden_starts(b, p, leads)]]
            base = _lowest_free_start(forbidden)
            for b, rel in unit:
                b.offset = base + rel
        else:
            buf = unit[0][0]
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
        placed.extend(b for b, _ in unit)
        done |= members
    size = _align(max((b.offset + b.size for b in placed), default=0))
    return ArenaPlan(offsets={b.name: b.offset for b in placed}, size=size)


def plan_arena(buffers: list[Buffer], leads: dict[tuple[str, str], int] | None = None) -> ArenaPlan:
    """leads: (output buffer, input buffer) -> bytes the input must start after the output.

    Four greedy passes, the smallest plan kept: the plain one, and one that leaves room below
    the input of each streaming pair for its output (in a residual block the output of the
    second convolution can then overlap the first's while the block's input stays live),
    each with and without chains of streaming pairs placed as blocks."""
    leads = leads or {}
    plans = [_place([Buffer(b.name, b.size, b.first, b.last) for b in buffers], leads, reserve, chained)
             for chained in (False, True) for reserve in (False, True)]
    best = min(plans, key=lambda plan: plan.size)  # the plain plan on a tie
    for b in buffers:
        b.offset = best.offsets[b.name]
    return best
