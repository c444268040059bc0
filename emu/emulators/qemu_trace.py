"""Reading the text file the trace plugin writes (its format is described at the top of
plugin/emu_trace.c) into the segments of a Trace and how the run ended."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from emu.emulators.trace import Segment


@dataclass
class Recorded:
    """What the plugin wrote: segments and, if it got to the end, how the run ended."""

    segments: list[Segment]
    end_kind: str | None  # "exit", "budget" or "wait"; None when QEMU died before the plugin finished
    total: int
    last_pc: int | None
    wait_instruction: str = ""  # "WFI", "WFE" or "branch-to-self" (`b .`) for end_kind "wait"


def parse_trace_file(path: Path) -> Recorded:
    blocks: dict[int, list[int]] = {}
    segments: list[Segment] = []
    recorded = Recorded(segments, None, 0, None)
    counts_fills = False  # the plugin modelled a flash cache (its "flashcache" record)
    for line in path.read_text().splitlines():
        kind, *fields = line.split()
        numbers = [int(f) for f in fields] if kind != "end" else []
        if kind == "flashcache":
            counts_fills = True
        elif kind == "block":
            blocks[numbers[0]] = numbers[1:]
        elif kind == "segment":
            segments.append(Segment(flash_line_fills={} if counts_fills else None))
        elif kind == "x":
            executions = segments[-1].executions
            for address in blocks[numbers[0]]:
                executions[address] = executions.get(address, 0) + numbers[1]
        elif kind == "t":
            segments[-1].taken[numbers[0]] = numbers[1]
        elif kind == "l":
            segments[-1].loads[numbers[0]] = (numbers[1], numbers[2], numbers[3])
            if counts_fills and numbers[4]:
                segments[-1].flash_line_fills[numbers[0]] = numbers[4]
        elif kind == "c":  # block numbers[0] stopped before numbers[1], numbers[2] times
            executions = segments[-1].executions
            for address in blocks[numbers[0]]:
                if address >= numbers[1]:
                    left = executions.get(address, 0) - numbers[2]
                    if left > 0:
                        executions[address] = left
                    else:
                        executions.pop(address, None)
        elif kind == "end":
            recorded.end_kind, recorded.total, recorded.last_pc = fields[0], int(fields[1]), int(fields[2])
            recorded.wait_instruction = fields[3] if len(fields) > 3 else ""
    return recorded
