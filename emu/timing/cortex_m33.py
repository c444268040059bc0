"""Cortex-M33 (Armv8-M Mainline, 3-stage pipeline, DSP and FPv5-SP options).

Arm publishes no per-instruction table for the Cortex-M33, and it is not a Cortex-M4
(LLVM schedules it with the M4 model; silicon disagrees). Figures come from measurements
with the cycle counter on an RP2350 (Cortex-M33 r1p0), github.com/jnk0le/random, "pipeline
cycle test/doc/cortex_m33.md" ([RP2350] below, docs/sources.md); the corpus in benchmarks/silicon_corpus.py checks them.
"""

from emu.timing import cortex_m4
from emu.timing.core import CoreTable, Cost

_ONE = ("alu", "alu-shifted", "bitfield", "nop", "it", "mul", "mac", "mul-long", "mac-long",
        "dsp", "dsp-mul", "load", "store", "store-register-offset", "branch", "branch-compare",
        "call", "branch-indirect")

TABLE = CoreTable(
    core="cortex-m33",
    costs={
        # [RP2350] loads and stores issue in one cycle (a load stalls only when its result
        # is used next, see latency); ALU, MUL and MAC instructions in one.
        **{cls: Cost(1) for cls in _ONE},
        # [RP2350] LDRD/STRD 2; LDM/STM of x registers exactly x cycles.
        "load-double": Cost(0, 1), "store-double": Cost(0, 1),
        "load-multiple": Cost(0, 1), "store-multiple": Cost(0, 1), "pop-pc": Cost(0, 1),
        "load-pc": Cost(1),
        "table-branch": Cost(2),  # assumption: a load and an add, as the M4's TBB less its refill
        "div": Cost(7),  # assumption: SDIV/UDIV at the midpoint of the M4's 2-12
        "system": Cost(2), "barrier": Cost(3),  # assumption, as the Cortex-M4
        # [RP2350] VADD/VMUL issue every cycle (fully pipelined); FMA/MLA issue in 1 but no
        # FP instruction can issue in the 2 cycles after, so they take 3 in an FP stream.
        **{cls: cortex_m4.COSTS[cls] for cls in ("fp-alu", "fp-mul", "fp-div", "fp-sqrt",
                                                "fp-move", "fp-move-pair")},
        "fp-mac": Cost(3),
        "fp-load": Cost(0, 1), "fp-store": Cost(0, 1),  # assumption: a word a cycle, as LDM
        "fp-load-multiple": Cost(0, 1), "fp-store-multiple": Cost(0, 1),
    },
    refill={
        # [RP2350] a taken branch takes 2 cycles (1 when it dual-issues, see dual_issue.py).
        "default": 1,
        # Assumptions, as the Cortex-M4 TRM: register branches reload 2, loads of the PC 3;
        # [RP2350]: POP {..,LR} then BX LR is 1-2 cycles faster than POP {..,PC}, so 4.
        "branch-indirect": 2, "load-pc": 3, "table-branch": 3, "pop-pc": 4,
    },
    fetch_bytes=4,
    latency={
        "load": 2, "load-narrow": 2,  # [RP2350] load-to-use 2 (1 into a MAC accumulate)
        "mul": 2, "mac": 2, "mul-long": 2, "mac-long": 2, "dsp-mul": 2,  # [RP2350] MAC 2
        "alu-shifted": 2,  # [RP2350] operand2 shifted register/constant: 2
        "dsp": 2,  # [RP2350] DSP/SIMD (QSUB, UADD8, PKH, XTA*): 2
        "fp-alu": 2, "fp-mul": 2,  # [RP2350] VADD/VMUL latency 2
        "fp-mac": 3,  # [RP2350] FMA 3 into the next accumulator (4 as a multiplicand)
    },
    # [RP2350] the accumulate operand chains every cycle from a MAC, XTA* or shifted
    # operand2 result, and takes a load's result after 1.
    accumulate_latency={"load": 1, "load-narrow": 1, "mac": 1, "mac-long": 1, "dsp-mul": 1,
                        "mul": 1, "alu-shifted": 1, "dsp": 1},
    dual_issue="m33",
)
