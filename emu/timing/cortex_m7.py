"""Cortex-M7 (Armv7E-M, 6-stage in-order dual-issue pipeline, branch prediction).

Arm publishes no per-instruction table for the Cortex-M7. Figures come from two places
(docs/sources.md#llvm-schedule-m7, docs/sources.md#jnk0le-pipeline-tests):
- [LLVM] LLVM's Cortex-M7 scheduling model (ARMScheduleM7.td): issue width 2, result
  latencies, which instructions issue alone.
- [H7] a hardware measurement write-up on an STM32H743 (secondary source): which pairs
  cannot dual-issue, LDM/STM ceil(N/2), mispredict about 8, VDIV.F32 16, VSQRT.F32 14.
"""

from emu.timing.core import CoreTable, Cost

STORES = frozenset({"store", "store-register-offset"})
MULTIPLIES = frozenset({"mul", "mac", "mul-long", "mac-long", "dsp-mul"})
DSP_AND_BITFIELD = frozenset({"dsp", "bitfield"})
FP_ARITHMETIC = frozenset({"fp-alu", "fp-mul", "fp-mac", "fp-alu-f64", "fp-mul-f64", "fp-mac-f64"})
SHIFTED = frozenset({"alu-shifted"})

TABLE = CoreTable(
    core="cortex-m7",
    costs={
        # One issue cycle for everything that is not listed otherwise [LLVM: ALU latency 1].
        "alu": Cost(1), "alu-shifted": Cost(1), "bitfield": Cost(1), "nop": Cost(1),
        "it": Cost(1), "mul": Cost(1), "mac": Cost(1), "mul-long": Cost(1),
        "mac-long": Cost(1), "dsp": Cost(1), "dsp-mul": Cost(1),
        # [LLVM] SDIV/UDIV latency 7, single issue. Assumption: the iterative divider blocks
        # issue for its whole latency.
        "div": Cost(7),
        "load": Cost(1), "store": Cost(1), "store-register-offset": Cost(1),
        # [H7] LDM/STM/PUSH/POP take ceil(N/2) cycles (64-bit data path). Assumption: LDRD
        # and STRD, two words, likewise take 1.
        "load-double": Cost(0, 0.5), "store-double": Cost(0, 0.5),
        "load-multiple": Cost(0, 0.5), "store-multiple": Cost(0, 0.5),
        "pop-pc": Cost(0, 0.5),
        "load-pc": Cost(1),
        "table-branch": Cost(2),  # assumption: a load then a branch, single issue [LLVM]
        "branch": Cost(1), "branch-compare": Cost(1), "call": Cost(1),
        "branch-indirect": Cost(1),
        "system": Cost(1),  # assumption: MRS/MSR/BKPT/SVC as one issue slot
        "barrier": Cost(8),  # assumption: a barrier drains the pipeline, like a mispredict
        # FP: one issue cycle; the latency below makes a dependent instruction wait.
        "fp-alu": Cost(1), "fp-mul": Cost(1), "fp-mac": Cost(1),
        "fp-div": Cost(16),  # [H7] and [LLVM]: VDIV.F32 16
        "fp-sqrt": Cost(14),  # [H7]: VSQRT.F32 14 ([LLVM] says 16)
        "fp-move": Cost(1), "fp-move-pair": Cost(1),
        "fp-load": Cost(1), "fp-store": Cost(1),
        "fp-load-multiple": Cost(0, 0.5), "fp-store-multiple": Cost(0, 0.5),  # as LDM [H7]
        # [LLVM] double precision, for M7 parts with the DP FPU: add 4, mul 7, MAC 11,
        # div/sqrt 30 latency. Assumption: add/mul/MAC pipelined (1 issue), div/sqrt block.
        "fp-alu-f64": Cost(1), "fp-mul-f64": Cost(1), "fp-mac-f64": Cost(1),
        "fp-div-f64": Cost(30), "fp-sqrt-f64": Cost(30),
    },
    refill={},  # predicted branches cost nothing extra; see mispredict
    # [H7] mispredict about 8 cycles (6 when flags are set 3+ cycles early); [LLVM] models 4.
    # We take the hardware measurement.
    mispredict=8,
    fetch_bytes=8,  # 64-bit instruction fetch (docs/sources.md#llvm-schedule-m7)
    latency={
        # [H7] a word load feeds the (late) ALU the next cycle: no stall; byte and halfword
        # loads one cycle later. [LLVM] says 2 and 3; the measurement wins. VLDR.32 likewise
        # has 1-cycle latency [H7].
        "load-narrow": 2,
        "mul": 2, "mac": 2, "mul-long": 2, "mac-long": 2, "dsp-mul": 2,  # [LLVM] MUL/MAC 2
        "fp-alu": 3, "fp-mul": 3,  # [LLVM] FP add/mul/convert 3
        "fp-mac": 6,  # [LLVM] FP MAC 6; [H7] 5-6 into a VMUL operand
        "fp-alu-f64": 4, "fp-mul-f64": 7, "fp-mac-f64": 11,  # [LLVM]
    },
    # [H7] multiply-accumulates chain on the accumulator every cycle (the accumulator is
    # read a stage after the late ALU); a VFMA/VMLA result reaches the next one's
    # accumulator in 3.
    accumulate_latency={"mac": 1, "mac-long": 1, "dsp-mul": 1, "mul": 1, "fp-mac": 3},
    load_to_multiply=2,  # [H7] a MUL cannot consume an LDR result from the previous cycle
    dual_issue="m7",
    # [LLVM] LDM/STM/LDRD/STRD/TBB and divides issue alone; assumption: so do the other
    # multi-cycle classes (FP divide/sqrt, barriers, system) and loads of the PC.
    single_issue=frozenset({
        "div", "load-double", "store-double", "load-multiple", "store-multiple", "pop-pc",
        "load-pc", "table-branch", "fp-div", "fp-sqrt", "fp-div-f64", "fp-sqrt-f64",
        "fp-load-multiple", "fp-store-multiple", "barrier", "system",
    }),
    # [H7] no two stores, no two MUL/MAC, no two DSP/bitfield, no two FP arithmetic, no two
    # shifted-operand instructions. A load and a store may pair; two loads are not listed
    # as a conflict, so (assumption) they may pair too.
    exclusive_pairs=(STORES, MULTIPLIES, DSP_AND_BITFIELD, FP_ARITHMETIC, SHIFTED),
)
