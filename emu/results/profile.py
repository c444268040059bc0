"""Measure any bare-metal ELF linked for a board, such as firmware a user built with TFLM.

`emu bsp` writes what such an ELF needs (linker script, startup, semihosting exit);
`emu profile` runs it and reports cycles, for the whole window and per function.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from emu.elf import function_table, symbol_address
from emu.emulators.trace import Segment
from emu.errors import EmuError
from emu.platforms import Platform


@dataclass
class FunctionCycles:
    name: str
    instructions: int
    cycles: int


@dataclass
class Profile:
    elf: str
    platform: str
    core: str
    clock_hz: int
    instructions: int
    cycles: int
    latency_ms: float
    energy_uj: float
    stack_bytes: int
    functions: list[FunctionCycles] = field(default_factory=list)
    # cycles by part of the model (issue, branch, pipeline, dual-issue, flash-wait, ram-wait) and by
    # instruction group (alu, load, store, branch, ...), each adding up to `cycles`
    cycles_by_part: dict[str, int] = field(default_factory=dict)
    cycles_by_class: dict[str, int] = field(default_factory=dict)
    cycles_uncertainty_pct: float | None = None  # emu/timing/uncertainty.py
    output: str = ""  # what the firmware printed through semihosting

    def to_dict(self) -> dict:
        return asdict(self)


def split_by_function(segment: Segment, elf: Path) -> dict[str, Segment]:
    functions = function_table(elf)
    parts: dict[str, Segment] = {}
    for addr, n in segment.executions.items():
        name = functions.function_at(addr) or f"0x{addr:08x}"
        part = parts.setdefault(name, Segment(flash_line_fills=None if segment.flash_line_fills is None else {}))
        part.executions[addr] = n
        if addr in segment.taken:
            part.taken[addr] = segment.taken[addr]
        if addr in segment.loads:
            part.loads[addr] = segment.loads[addr]
        if segment.flash_line_fills and addr in segment.flash_line_fills:
            part.flash_line_fills[addr] = segment.flash_line_fills[addr]
    return parts


def profile_elf(elf: Path, platform: Platform, start: str | None = None, end: str | None = None) -> Profile:
    from emu.emulators import run_firmware, window_from_elf
    from emu.results.measure import raise_for_exit
    from emu.results.power import energy_uj, latency_ms
    from emu.timing import count_cycles
    from emu.timing.disasm import read_program
    from emu.timing.uncertainty import uncertainty_pct

    if not elf.is_file():
        raise EmuError(f"ELF file not found: {elf}")
    window = window_from_elf(elf, start=start, end=end, layer=None)
    trace = run_firmware(elf, platform, window=window)
    raise_for_exit(trace, elf)
    counted_fills = bool(trace.segments) and all(s.flash_line_fills is not None for s in trace.segments)
    whole = Segment(flash_line_fills={} if counted_fills else None)
    for seg in trace.segments:
        for addr, n in seg.executions.items():
            whole.executions[addr] = whole.executions.get(addr, 0) + n
        for addr, n in seg.taken.items():
            whole.taken[addr] = whole.taken.get(addr, 0) + n
        for addr, counts in seg.loads.items():
            prev = whole.loads.get(addr, (0, 0, 0))
            whole.loads[addr] = tuple(a + b for a, b in zip(prev, counts, strict=True))
        if counted_fills:
            for addr, n in seg.flash_line_fills.items():
                whole.flash_line_fills[addr] = whole.flash_line_fills.get(addr, 0) + n
    program = read_program(elf, whole.executions)
    functions = []
    for name, part in split_by_function(whole, elf).items():
        functions.append(FunctionCycles(name, part.instructions, count_cycles(part, program, platform).cycles))
    functions.sort(key=lambda f: -f.cycles)
    total = count_cycles(whole, program, platform)
    cycles = total.cycles
    stack_top = symbol_address(elf, "__stack_top")
    stack = stack_top - trace.min_stack_address if (stack_top and trace.min_stack_address) else 0
    return Profile(str(elf), platform.name, platform.core, platform.clock_hz, whole.instructions, cycles,
                   latency_ms(cycles, platform), energy_uj(cycles, platform), stack, functions,
                   cycles_by_part=total.by_part, cycles_by_class=total.by_class,
                   cycles_uncertainty_pct=uncertainty_pct(platform.core),
                   output=firmware_output(trace.stdout))


def firmware_output(stdout: str) -> str:
    """What the firmware printed, without the runtime's own report lines (emu: ...)."""
    return "".join(line for line in stdout.splitlines(keepends=True) if not line.startswith("emu:"))
