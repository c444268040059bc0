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
    """Cortex-M3/M4: a single load's second cycle overlaps the next instruction when that is
    a single load or store not addressed by the loaded register (TRM 3.3.2: LDR;LDR = 3,
    3 x LDR = 4) or a NOP (measured: a load "eats" a following NOP; CMP and TST it cannot).
    Measured too: an immediate-offset store after a load removes the stall, LDR;STR = 2, when
    it does not store the loaded value (3.3.2's LDR R0,..; STR R0,[R3,#20] takes 3).
    A register-offset store (2 cycles) likewise eats a following NOP. LDRD/STRD, LDM/STM and
    loads of the PC do not pipeline (3.3.2)."""
    if not table.load_pipelining:
        return "", 0
    if p.cls == "store-register-offset" and e.cls == "nop":
        return GROUP_OF_CLASS[e.cls], -issue_cycles(e, table)
    if p.cls not in SINGLE_LOADS or e.cls not in SINGLE_LOADS | SINGLE_STORES | {"nop"}:
        return "", 0
    if p.ins.loaded_registers & e.ins.address_registers:
        return "", 0
    if e.cls == "store" and p.ins.loaded_registers & e.ins.reads:
        return "", 0  # the loaded value is forwarded to the store: STR keeps its cycle
    return GROUP_OF_CLASS[e.cls], -1


def store_then_load(p: Executed, e: Executed, table: CoreTable) -> tuple[str, int]:
    """Cortex-M3/M4, measured: a store cannot pipeline with a following load (or LDM): the
    store takes a cycle more."""
    if not table.store_load_stall or p.cls != "store":
        return "", 0
    if e.cls not in ("load", "load-double", "load-multiple", "fp-load", "fp-load-multiple"):
        return "", 0
    return GROUP_OF_CLASS[p.cls], table.store_load_stall


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
    """Cores with a latency table (M7, M33, M55): reading the previous instruction's result
    waits until it is ready, `latency` cycles after the producer started issuing.
    A store needs its data a stage after its address, so data from the previous instruction
    costs it nothing (measured on the M7 and M33: load-to-store 1); an accumulator operand
    is likewise read late (accumulate_latency)."""
    if not table.latency or not depends_on(e, p):
        return "", 0
    if p.ins.vector and e.ins.vector and table.vector_pipes:
        return "", 0  # vector_beats
    key = latency_key(p)
    latency = table.latency.get(key, 1)
    needed = produced_by(p) & e.ins.reads
    if e.ins.is_store and not needed & e.ins.address_registers:
        return "", 0
    if needed <= accumulator_registers(e):
        latency = table.accumulate_latency.get(key, latency - 1)
    elif key == "load" and table.load_to_multiply and e.cls in MULTIPLIES:
        latency = table.load_to_multiply
    stall = latency - issue_cycles(p, table)
    return ("stall", stall) if stall > 0 else ("", 0)


def vector_beats(p: Executed, e: Executed, table: CoreTable) -> tuple[str, int]:
    """Helium on a dual-beat core (Cortex-M55): a vector instruction holds its pipe for two
    beats, so the next vector instruction waits a cycle when it needs the same pipe (two loads
    or stores, two multiplies), and otherwise overlaps the second beat. It waits as well for
    an operand the previous one produces: latency - 1 cycles, a stored value one cycle less
    (stores read their data a stage late). The larger wait applies (LLVM's ARMScheduleM55.td,
    docs/sources.md#llvm-schedule-m55)."""
    if not table.vector_pipes or not (p.ins.vector and e.ins.vector):
        return "", 0
    pipe, beats = table.vector_pipes.get(p.cls, ("", 1))
    busy = beats - 1 if pipe and table.vector_pipes.get(e.cls, ("", 1))[0] == pipe else 0
    wait = 0
    needed = produced_by(p) & e.ins.reads
    if needed:
        wait = table.latency.get(p.cls, 1) - 1
        if e.ins.is_store and not needed & e.ins.address_registers:
            wait -= 1
    stall = max(busy, wait)
    return ("stall", stall) if stall > 0 else ("", 0)


MULTIPLIES = frozenset({"mul", "mac", "mul-long", "mac-long", "dsp-mul"})


def accumulator_registers(e: Executed) -> frozenset[str]:
    """The registers e reads only to accumulate into: MLA/SMLAD's last operand, SMLAL's
    RdLo/RdHi, VMLA/VFMA's destination."""
    operands = [op.strip() for op in e.ins.op_str.split(",")]
    if e.cls in ("mac", "dsp-mul") and len(operands) == 4:
        return frozenset(operands[3:])
    if e.cls == "mac-long":
        return frozenset(operands[:2])
    if e.cls.startswith("fp-mac") and operands:
        return frozenset(operands[:1])
    return frozenset()


def latency_key(p: Executed) -> str:
    if p.cls == "load" and p.ins.access_bytes < 4:
        return "load-narrow"
    return p.cls


def produced_by(p: Executed) -> frozenset[str]:
    return p.ins.loaded_registers if p.ins.is_load else p.ins.writes


def depends_on(e: Executed, p: Executed) -> bool:
    """Does e read a register p produces? A load's base write-back is ready early, and a
    branch's flags are the predictor's business, so neither counts."""
    read = e.ins.reads - {"flags"} if e.ins.is_branch else e.ins.reads
    return bool(produced_by(p) & read)


_RULES = (load_pipelining, store_then_load, address_dependency, it_folding, fp_result_dependency,
          result_latency, vector_beats)
