"""Cortex-M33 (Armv8-M Mainline, 3-stage pipeline, DSP and FPv5-SP options).

Arm publishes no per-instruction table for the Cortex-M33. LLVM schedules cortex-m33 with
its Cortex-M4 model (docs/sources.md#llvm-arm-processors). Assumption: the
Cortex-M4 table and rules apply unchanged, including load/store pipelining and IT folding;
FPv5's extra instructions (VSEL, VMAXNM, VRINT) cost as the M4's single-cycle FP ops.
"""

from dataclasses import replace

from emu.timing import cortex_m4

TABLE = replace(cortex_m4.TABLE, core="cortex-m33")
