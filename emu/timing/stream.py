"""The executed instructions of one segment, each with its class and its predecessor.

Executions are counted per address, not in order, so rules about neighbouring instructions
are applied statically: an instruction's predecessor is the instruction just before it in
memory, and the two ran back to back as many times as the predecessor fell through to it
(all its executions for a non-branch, the not-taken ones for a conditional branch), capped
by the instruction's own count. Entries from elsewhere (branch targets) get no pair rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from emu.emulators.trace import Segment
from emu.errors import EmuError
from emu.timing.classes import classify
from emu.timing.instruction import Instruction


@dataclass(frozen=True)
class Executed:
    ins: Instruction
    cls: str
    count: int  # times executed
    taken: int  # times it branched (all executions for an unconditional branch)
    previous: Executed | None  # the instruction before it in memory, if that one ran
    after_previous: int  # executions that directly followed `previous`

    @property
    def falls_through(self) -> int:
        return self.count - self.taken if self.ins.is_branch else self.count


def executed_stream(segment: Segment, program: dict[int, Instruction]) -> list[Executed]:
    stream: list[Executed] = []
    ending_at: dict[int, Executed] = {}
    for address in sorted(segment.executions):
        count = segment.executions[address]
        if count <= 0:
            continue
        ins = program.get(address)
        if ins is None:
            raise EmuError(f"the trace executed {address:#x}, which the firmware's code does not hold")
        previous = ending_at.get(address)
        after_previous = min(previous.falls_through, count) if previous else 0
        executed = Executed(
            ins=ins,
            cls=classify(ins),
            count=count,
            taken=_taken(ins, count, segment),
            previous=previous if after_previous else None,
            after_previous=after_previous,
        )
        stream.append(executed)
        ending_at[address + ins.size] = executed
    return stream


def _taken(ins: Instruction, count: int, segment: Segment) -> int:
    if not ins.is_branch:
        return 0
    if not ins.is_conditional:
        return count
    if ins.address in segment.taken:
        return min(segment.taken[ins.address], count)
    if ins.operation in _COUNTED_BY_TRACE:
        return 0  # the trace records every taken B<cc>/CBZ/CBNZ; absent means never taken
    # Other conditional branches (BXEQ LR or POPNE {..,PC} in an IT block, LE, WLS) have no
    # taken count in the trace. Estimate: the executions that did not fall through to the
    # next instruction (a lower bound, exact when nothing else branches to that one).
    following = segment.executions.get(ins.address + ins.size, 0)
    return count - min(count, following)


# Conditional branches whose taken count the emulator records (emu/emulators/trace.py, Segment.taken).
_COUNTED_BY_TRACE = frozenset({"b", "cbz", "cbnz"})
