"""Cortex-M55 (Armv8.1-M with Helium), scalar code only.

Arm's official tables are in the "Cortex-M55 Software Optimization Guide" (doc 102692),
which was not available to us. Figures come from LLVM's Cortex-M55 scheduling model
(ARMScheduleM55.td) and the SLOTHY model (docs/sources.md#llvm-schedule-m55, docs/sources.md#slothy):
in-order, one pipeline stage more than the M4/M33,
limited dual issue of 16-bit pairs, mispredict 3, ALU latency 1, shifted ALU, MUL, MAC, DIV
and DSP latency 2 (single issue), scalar LDR latency 2.
"""

from emu.timing import cortex_m4
from emu.timing.core import Cost, CoreTable

_ONE = ("alu", "alu-shifted", "bitfield", "nop", "it", "mul", "mac", "mul-long", "mac-long",
        "dsp", "dsp-mul", "div", "load", "store", "store-register-offset", "load-pc",
        "branch", "branch-compare", "call", "branch-indirect", "loop-start", "loop-end")

TABLE = CoreTable(
    core="cortex-m55",
    costs={
        **{cls: Cost(1) for cls in _ONE},  # one issue cycle; latency below
        # Assumption: a 64-bit data path (the M55 data TCM interface, docs/sources.md#llvm-schedule-m55) moves two
        # words a cycle: LDRD/STRD 1 + 1, LDM/STM 1 + ceil(N/2).
        "load-double": Cost(1, 0.5), "store-double": Cost(1, 0.5),
        "load-multiple": Cost(1, 0.5), "store-multiple": Cost(1, 0.5),
        "pop-pc": Cost(1, 0.5),
        "table-branch": Cost(2),  # assumption: a load and a branch
        "system": Cost(2), "barrier": Cost(3),  # assumption, as the Cortex-M3
        # Scalar FP: no figures in the sources (docs/sources.md#llvm-schedule-m55). Assumption: the Cortex-M4's FPv4 costs
        # (Table 7-1); double precision, which the M55's FPU has and FPv4 lacks, taken as
        # twice the single-precision cost.
        **{cls: cortex_m4.COSTS[cls] for cls in (
            "fp-alu", "fp-mul", "fp-mac", "fp-div", "fp-sqrt", "fp-move", "fp-move-pair",
            "fp-load", "fp-store", "fp-load-multiple", "fp-store-multiple")},
        "fp-alu-f64": Cost(2), "fp-mul-f64": Cost(2), "fp-mac-f64": Cost(6),
        "fp-div-f64": Cost(28), "fp-sqrt-f64": Cost(28),
    },
    # Mispredict 3. Assumption: no dynamic predictor is modelled, so every taken branch pays
    # the 3 cycles, except LE, whose loop start the low-overhead-branch cache holds
    # (Armv8.1-M LOB): LE costs its issue cycle only.
    refill={"default": 3, "loop-end": 0},
    fetch_bytes=8,  # assumption: 64-bit instruction fetch from the ITCM
    latency={
        "alu-shifted": 2, "mul": 2, "mac": 2, "mul-long": 2, "mac-long": 2,
        "div": 2, "dsp": 2, "dsp-mul": 2,  # docs/sources.md#llvm-schedule-m55: latency 2
        "load": 2, "load-narrow": 2,  # scalar LDR latency 2
    },
    fp_result_stall=1,  # assumption: as the Cortex-M4
    dual_issue="m55",
    # Single issue per docs/sources.md#llvm-schedule-m55: shifted ALU, MUL, MAC, DIV, DSP; assumption: also
    # everything that moves memory or changes the flow (one load/store unit, one branch).
    single_issue=frozenset({
        "alu-shifted", "mul", "mac", "mul-long", "mac-long", "div", "dsp", "dsp-mul",
        "load-double", "store-double", "load-multiple", "store-multiple", "pop-pc",
        "load-pc", "table-branch", "system", "barrier",
        "fp-alu", "fp-mul", "fp-mac", "fp-div", "fp-sqrt", "fp-move", "fp-move-pair",
        "fp-load", "fp-store", "fp-load-multiple", "fp-store-multiple",
        "fp-alu-f64", "fp-mul-f64", "fp-mac-f64", "fp-div-f64", "fp-sqrt-f64",
    }),
    # Assumption: one load/store unit, so two memory accesses never pair.
    exclusive_pairs=(frozenset({"load", "store", "store-register-offset"}),),
)
