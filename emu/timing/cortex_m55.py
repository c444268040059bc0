"""Cortex-M55 (Armv8.1-M with Helium).

Arm's official tables are in the "Cortex-M55 Software Optimization Guide" (doc 102692),
which was not available to us. Figures come from LLVM's Cortex-M55 scheduling model
(ARMScheduleM55.td) and the SLOTHY model (docs/sources.md#llvm-schedule-m55, docs/sources.md#slothy):
in-order, one pipeline stage more than the M4/M33,
limited dual issue of 16-bit pairs, mispredict 3, ALU latency 1, shifted ALU, MUL, MAC, DIV
and DSP latency 2 (single issue), scalar LDR latency 2.

Helium (MVE), from the same LLVM model (written by Arm): the vector unit has four pipes,
control (VCTP, VPST), load/store, integer and float/multiply (integer multiplies, multiply-
accumulates, reductions and compares run there too). Each 128-bit instruction takes two beats
of 64 bits in its pipe; the first beat of the next instruction overlaps the second when it
needs another pipe (VLDR; VADD; VMUL; VSTR in 5 cycles), not when it needs the same one (two
loads take 4). Latency, from reading operands to the result: 1 for loads, integer ALU
operations and moves; 2 for rounding shifts, multiplies, multiply-accumulates and reductions.
Stores read their data a cycle late. Vector instructions never dual-issue. Assumption: scalar
instructions do not hold a vector pipe (LLVM gives them a resource of their own), so one
between two vector instructions covers the second beat.
"""

from emu.timing import cortex_m4
from emu.timing.core import CoreTable, Cost

_ONE = ("alu", "alu-shifted", "bitfield", "nop", "it", "mul", "mac", "mul-long", "mac-long",
        "dsp", "dsp-mul", "div", "load", "store", "store-register-offset", "load-pc",
        "branch", "branch-compare", "call", "branch-indirect", "loop-start", "loop-end")

_VECTOR = ("vector-load", "vector-store", "vector-alu", "vector-shift-round", "vector-compare", "vector-mul",
           "vector-mac", "vector-reduce", "vector-fp", "vector-move", "vector-predicate")

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
        # Scalar FP: no figures in the sources (docs/sources.md#llvm-schedule-m55). Assumption: the Cortex-M4's FPv4
        # costs (Table 7-1); double precision, which the M55's FPU has and FPv4 lacks, taken as
        # twice the single-precision cost.
        **{cls: cortex_m4.COSTS[cls] for cls in (
            "fp-alu", "fp-mul", "fp-mac", "fp-div", "fp-sqrt", "fp-move", "fp-move-pair",
            "fp-load", "fp-store", "fp-load-multiple", "fp-store-multiple")},
        "fp-alu-f64": Cost(2), "fp-mul-f64": Cost(2), "fp-mac-f64": Cost(6),
        "fp-div-f64": Cost(28), "fp-sqrt-f64": Cost(28),
        # Helium: one issue cycle each; the beats are vector_pipes below.
        **{cls: Cost(1) for cls in _VECTOR},
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
        # Helium (docs/sources.md#llvm-schedule-m55): results written in E2 (1) or E3 (2)
        "vector-load": 1, "vector-alu": 1, "vector-compare": 1, "vector-move": 1, "vector-predicate": 1,
        "vector-shift-round": 2, "vector-mul": 2, "vector-mac": 2, "vector-reduce": 2, "vector-fp": 2,
    },
    fp_result_stall=1,  # assumption: as the Cortex-M4
    dual_issue="m55",
    # (pipe, cycles it is held): two beats, except VCTP/VPST/VPNOT and moves of the predicate
    # (one cycle; LLVM puts VMRS/VMSR on the float pipe, here they share the control pipe).
    vector_pipes={
        "vector-load": ("load-store", 2), "vector-store": ("load-store", 2),
        "vector-alu": ("integer", 2), "vector-shift-round": ("integer", 2),
        "vector-mul": ("float-mul", 2), "vector-mac": ("float-mul", 2), "vector-reduce": ("float-mul", 2),
        "vector-fp": ("float-mul", 2), "vector-compare": ("float-mul", 2), "vector-move": ("float-mul", 2),
        "vector-predicate": ("control", 1),
    },
    # Single issue per docs/sources.md#llvm-schedule-m55: shifted ALU, MUL, MAC, DIV, DSP; assumption: also
    # everything that moves memory or changes the flow (one load/store unit, one branch).
    single_issue=frozenset({
        "alu-shifted", "mul", "mac", "mul-long", "mac-long", "div", "dsp", "dsp-mul",
        "load-double", "store-double", "load-multiple", "store-multiple", "pop-pc",
        "load-pc", "table-branch", "system", "barrier",
        "fp-alu", "fp-mul", "fp-mac", "fp-div", "fp-sqrt", "fp-move", "fp-move-pair",
        "fp-load", "fp-store", "fp-load-multiple", "fp-store-multiple",
        "fp-alu-f64", "fp-mul-f64", "fp-mac-f64", "fp-div-f64", "fp-sqrt-f64", *_VECTOR,
    }),
    # Assumption: one load/store unit, so two memory accesses never pair.
    exclusive_pairs=(frozenset({"load", "store", "store-register-offset"}),),
)
