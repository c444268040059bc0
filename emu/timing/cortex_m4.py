"""Cortex-M4 and M4F (Armv7E-M, 3-stage pipeline, optional FPv4-SP).

Source: Arm DDI 0439D (Cortex-M4 TRM) Tables 3-1 (integer), 3-2 (DSP) and 7-1 (FPU), and
section 3.3.2 (load/store pipelining); the same lists appear in TI SWCU192 Tables 3-25 and
3-27. docs/sources.md#arm-cortex-m4-trm, #ti-swcu192. Integer timing is the
Cortex-M3's except for the multiplier.
"""

from dataclasses import replace

from emu.timing import cortex_m3
from emu.timing.core import Cost

COSTS = {
    **cortex_m3.COSTS,
    # Table 3-1: MUL, MLA, MLS, SMULL, UMULL, SMLAL, UMLAL all 1 cycle on the M4.
    "mul": Cost(1),
    "mac": Cost(1),
    "mul-long": Cost(1),
    "mac-long": Cost(1),
    # Table 3-2: every DSP instruction is 1 cycle (SMLAD, SMUAD, SMLA<xy>, QADD8, SEL...).
    "dsp": Cost(1),
    "dsp-mul": Cost(1),
    # Table 7-1 (FPv4-SP, single precision only).
    "fp-alu": Cost(1),  # VADD, VSUB, VABS, VNEG, VCMP, VCVT, VMOV imm/reg, VMRS, VMSR: 1
    "fp-mul": Cost(1),  # VMUL, VNMUL: 1
    "fp-mac": Cost(3),  # VMLA, VMLS, VNMLA, VNMLS, VFMA, VFMS, VFNMA, VFNMS: 3
    "fp-div": Cost(14),  # VDIV.F32: 14
    "fp-sqrt": Cost(14),  # VSQRT.F32: 14
    "fp-move": Cost(1),  # VMOV between one core and one FP register: 1
    "fp-move-pair": Cost(2),  # VMOV between two core registers and a D register: 2
    "fp-load": Cost(1, 1),  # VLDR.32 2, VLDR.64 3: 1 + words
    "fp-store": Cost(1, 1),  # VSTR.32 2, VSTR.64 3
    "fp-load-multiple": Cost(1, 1),  # VLDM/VPOP 1+N (.32), 1+2N (.64): 1 + words
    "fp-store-multiple": Cost(1, 1),  # VSTM/VPUSH likewise
    # No f64 classes: FPv4-SP has no double-precision hardware; doubles run as library calls.
}

TABLE = replace(
    cortex_m3.TABLE,
    core="cortex-m4",
    costs=COSTS,
    fp_result_stall=1,  # Table 7-1 notes: an FP result consumed by the next instruction +1
)
