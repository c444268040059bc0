"""Rules about an instruction and the one that ran just before it.

Each rule returns cycles to add (or, negative, to remove) for the executions in which the
pair ran back to back (Executed.after_previous); a core's table switches rules on.
"""

from __future__ import annotations

from collections import Counter

from emu.timing.classes import FP_ARITHMETIC, GROUP_OF_CLASS, SINGLE_LOADS, SINGLE_STORES
from emu.timing.core import CoreTable
from emu.timing.issue import issue_cycles
from emu.timing.stream import Executed

# Classes whose result is a data-processing result (the address dependency rule).
_DATA_PROCESSING = frozenset({
    "alu", "alu-shifted", "bitfield", "mul", "mac", "mul-long", "mac-long", "dsp", "dsp-mul",
    "div",
})


def pipeline_total(stream: list[Executed], table: CoreTable) -> Counter:
    cycles: Counter = Counter()
    for e in stream:
        if e.previous is None:
            continue
        for rule in _RULES:
            group, delta = rule(e.previous, e, table)
            if delta:
                cycles[group] += delta * e.after_previous
    return cycles


def load_pipelining(p: Executed, e: Executed, table: CoreTable) -> tuple[str, int]:
    """M3/M4 TRM 3.3.2: a load followed by a single load or store whose address does not use
    the loaded register costs one cycle less (LDR;LDR = 3, 3 x LDR = 4, LDR;STR = 3).
    A pipelined instruction takes one cycle; STR with an immediate offset already does.
    LDRD/STRD, LDM/STM and loads of the PC do not pipeline (3.3.2), nor does anything after
    a store."""
    if not table.load_pipelining or p.cls not in SINGLE_LOADS:
        return "", 0
    if e.cls not in SINGLE_LOADS | SINGLE_STORES:
        return "", 0
    if p.ins.loaded_registers & e.ins.address_registers:
        return "", 0
    return GROUP_OF_CLASS[e.cls], 1 - issue_cycles(e, table)


def address_dependency(p: Executed, e: Executed, table: CoreTable) -> tuple[str, int]:
    """A load or store whose address register the previous data-processing instruction
    wrote stalls (docs/sources.md#arm-cortex-m4-trm, section 3.3.2)."""
    if not table.address_dependency_stall or not (e.ins.is_load or e.ins.is_store):
        return "", 0
    if p.cls not in _DATA_PROCESSING or not (p.ins.writes & e.ins.address_registers):
        return "", 0
    return "stall", table.address_dependency_stall


def it_folding(p: Executed, e: Executed, table: CoreTable) -> tuple[str, int]:
    """M3 TRM Table 3-1: IT takes no cycle when folded onto a preceding 16-bit instruction."""
    if not table.it_folding or e.cls != "it" or p.ins.size != 2:
        return "", 0
    return GROUP_OF_CLASS["it"], -issue_cycles(e, table)


def fp_result_dependency(p: Executed, e: Executed, table: CoreTable) -> tuple[str, int]:
    """M4 TRM Table 7-1 notes: an FP result the next instruction consumes costs a cycle more."""
    if not table.fp_result_stall or p.cls not in FP_ARITHMETIC:
        return "", 0
    if not (p.ins.writes & e.ins.reads):
        return "", 0
    return "stall", table.fp_result_stall


def result_latency(p: Executed, e: Executed, table: CoreTable) -> tuple[str, int]:
    """Cores with a latency table (M7, M55): reading the previous instruction's result
    waits until it is ready, latency - 1 cycles after the producer issued."""
    if not table.latency:
        return "", 0
    latency = table.latency.get(latency_key(p), 1)
    if latency <= 1 or not depends_on(e, p):
        return "", 0
    return "stall", latency - 1


def latency_key(p: Executed) -> str:
    if p.cls == "load" and p.ins.access_bytes < 4:
        return "load-narrow"
    return p.cls


def depends_on(e: Executed, p: Executed) -> bool:
    """Does e read a register p produces? A load's base write-back is ready early, and a
    branch's flags are the predictor's business, so neither counts."""
    produced = p.ins.loaded_registers if p.ins.is_load else p.ins.writes
    read = e.ins.reads - {"flags"} if e.ins.is_branch else e.ins.reads
    return bool(produced & read)


_RULES = (load_pipelining, address_dependency, it_folding, fp_result_dependency, result_latency)
