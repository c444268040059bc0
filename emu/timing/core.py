"""What a core's timing table holds. One table per core family, in its own module, as data.

Each field is a rule that count_cycles (emu/timing/__init__.py) applies through its rule
modules (issue, pipeline, branches, dual_issue, flash); a core switches a rule off
with an empty or zero value. Sources and assumptions live beside the numbers, in the
core's module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class Cost:
    """Cycles for one execution: fixed + per_word x words moved (rounded up)."""

    fixed: int
    per_word: float = 0.0


@dataclass(frozen=True)
class CoreTable:
    core: str
    # Issue cycles per instruction class (emu/timing/classes.py), the branch not taken.
    costs: Mapping[str, Cost]
    # Cycles added each time a branch is taken (pipeline refill, "P" in Arm's tables), per
    # class with a default, for cores without branch prediction.
    refill: Mapping[str, int]
    # Cores with a branch predictor: cycles lost per mispredicted branch; 0 = no predictor.
    mispredict: int = 0
    # Bytes the core fetches per access: the unit flash wait states are paid in.
    fetch_bytes: int = 4
    # Cortex-M3/M4 load/store pipelining (M4 TRM section 3.3.2): a single load followed by
    # a single load or store that does not take its address from the loaded register.
    load_pipelining: bool = False
    # Cycles an immediate-offset store adds when a load follows it (it cannot pipeline
    # with the load, measured on the Cortex-M3/M4).
    store_load_stall: int = 0
    # Cycles a load or store stalls when its address comes from the previous instruction's
    # data-processing result.
    address_dependency_stall: int = 0
    # IT folds onto a preceding 16-bit instruction and costs nothing.
    it_folding: bool = False
    # Cycles added when the next instruction reads an FP arithmetic result.
    fp_result_stall: int = 0
    # Result latency per class for cores that model it (M7, M55): an instruction reading the
    # result of the one just before it waits latency - 1 cycles.
    latency: Mapping[str, int] = field(default_factory=dict)
    # Latency, per producing class, when the next instruction reads the result only as its
    # accumulator (MLA's Ra, VFMA's Sd), which it needs a stage later; classes not listed
    # are ready one cycle earlier than their latency.
    accumulate_latency: Mapping[str, int] = field(default_factory=dict)
    # Latency of a word load into a multiply's operands (the Cortex-M7 multiplier reads
    # its operands a stage earlier than the ALU); 0 = the load's latency.
    load_to_multiply: int = 0
    # Dual issue: "none", "m7" (pairing rules of the Cortex-M7), "m33" (16-bit pairs of
    # the Cortex-M33) or "m55" (16-bit pairs).
    dual_issue: str = "none"
    # Classes that never share an issue cycle.
    single_issue: frozenset[str] = frozenset()
    # Groups of classes of which no two may issue together.
    exclusive_pairs: tuple[frozenset[str], ...] = ()
    # Helium (MVE) beats: per vector class, the pipe it runs in and the cycles it holds it. A
    # vector instruction issues in one cycle; the next one in the same pipe waits until the
    # pipe is free, one in another pipe overlaps it (emu.timing.pipeline.vector_beats).
    vector_pipes: Mapping[str, tuple[str, int]] = field(default_factory=dict)

    def cost(self, cls: str) -> Cost | None:
        return self.costs.get(cls)

    def refill_for(self, cls: str) -> int:
        return self.refill.get(cls, self.refill.get("default", 0))
