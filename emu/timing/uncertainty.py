"""How far the cycle model may be from silicon, per core: the one place records and reports
read it from.

`sequences` and `worst_cycles` are what the silicon corpus (benchmarks/silicon_corpus.py,
benchmarks/silicon.py) shows: how many measured instruction sequences the model was
checked against and its largest error on any of them, documented deviations included.
tests/test_timing_silicon.py fails when these numbers no longer match the corpus.

`whole_program_pct` is the stated uncertainty of a whole program's cycle count, a judgement
from what the model leaves out (docs/timing.md, "Known gaps"): effects between non-adjacent
instructions, memory bank and alignment effects, the predictor on the M7, and for the M55 the
lack of any silicon measurement. Treat a reported cycle count as +/- this percentage.
`comparisons` are the published whole programs reproduced so far (emu / silicon, from
docs/timing.md, "Whole-program checks", which tests/test_timing_docs.py checks them against,
and against the band); only the M33 has any.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Uncertainty:
    sequences: int  # silicon corpus sequences checked
    worst_cycles: float  # largest |emu - silicon| over them
    whole_program_pct: float  # stated uncertainty of a whole program's cycles
    comparisons: tuple[str, ...] = ()  # whole-program comparisons against published runs

    def describe(self) -> str:
        checked = (f"{self.sequences} silicon sequences, worst error {self.worst_cycles:g} cycles"
                   if self.sequences else "no silicon sequences checked")
        return f"+/-{self.whole_program_pct:g}% ({checked})"


UNCERTAINTY = {
    # Every figure in Arm's/Raspberry Pi's table reproduces; the 2-stage core has few
    # interactions. Remaining: the flash/XIP model.
    "cortex-m0plus": Uncertainty(sequences=9, worst_cycles=0, whole_program_pct=5),
    # Documented deviation: a not-taken 32-bit branch after 32-bit code (-1).
    "cortex-m3": Uncertainty(sequences=21, worst_cycles=1, whole_program_pct=10),
    "cortex-m4": Uncertainty(sequences=27, worst_cycles=1, whole_program_pct=10),
    # Dual issue is decided pair by pair in address order; real pairing depends on
    # alignment and on instructions further apart.
    "cortex-m7": Uncertainty(sequences=24, worst_cycles=0, whole_program_pct=15),
    # Documented deviation: flag-setting 2-stage MULS.N (-2 for two).
    "cortex-m33": Uncertainty(sequences=27, worst_cycles=2, whole_program_pct=10, comparisons=(
        "MLPerf Tiny v0.7 EK-RA6M4 KWS 1.010", "MLPerf Tiny v0.7 EK-RA6M4 VWW 0.979",
        "MLPerf Tiny v0.7 EK-RA6M4 IC 0.997", "MLPerf Tiny v0.7 EK-RA6M4 AD 1.009")),
    # No public silicon measurement: compiler scheduling models only.
    "cortex-m55": Uncertainty(sequences=0, worst_cycles=0, whole_program_pct=30),
}


def uncertainty_of(core: str) -> Uncertainty | None:
    return UNCERTAINTY.get(core)


def uncertainty_pct(core: str) -> float | None:
    known = UNCERTAINTY.get(core)
    return known.whole_program_pct if known else None
