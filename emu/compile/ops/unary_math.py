"""Elementwise math: ABS, NEG, SQRT, RSQRT, EXP, LOG, SIN, COS, SQUARE, FLOOR, CEIL and ROUND.

TFLM's kernels take float32 for all of them, and besides: ABS and RSQRT on int8 and int16
(elementwise.cc). ROUND rounds halves to the even neighbour, as tf.round and TFLM do. The
converter also makes int8 EXP, LOG and SQRT, which TFLM refuses,
and so does emu. Prepare-time arithmetic follows TFLM: ABS rescales by input_scale /
output_scale (the ratio taken in float) only when the two scales differ; RSQRT rescales by
1 / (sqrt(input_scale) * output_scale), sqrt and product in float; int16 needs zero points
of 0.
"""

from __future__ import annotations

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.quant import quantize_multiplier

OPERATORS = ("ABS", "NEG", "SQRT", "RSQRT", "EXP", "LOG", "SIN", "COS", "SQUARE", "FLOOR", "CEIL", "ROUND")

HEADER = "unary_math.h"
# ABS and RSQRT take integers too; the others float32 only, as TFLM's elementwise kernels
TYPES = {name: ("float32", "int8", "int16") if name in ("ABS", "RSQRT") else ("float32",) for name in OPERATORS}
# RSQRT's kernel rescales a value carrying this many bits of headroom, taken back by the
# output shift: a shift below -31 would be undefined in C (and in TFLM).
RSQRT_HEADROOM = 20
# ROUND's kernel names its rounding (emu_quant.h's emu_round_f32 rounds halves away from zero)
KERNEL_NAMES = {"ROUND": "round_half_even"}


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    types = TYPES[op.op]
    if x.dtype not in types:
        raise UnsupportedOperator(f"{x.dtype} inputs (TFLM's kernel takes {', '.join(types)})")
    if y.dtype != x.dtype:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (TFLM needs the input's type)")
    name = op.op.lower()
    args = [x.index, y.index]
    if x.dtype == "float32":
        return KernelCall(f"emu_{KERNEL_NAMES.get(op.op, name)}_f32", HEADER, "emu_unary_math_f32_params",
                          {"size": x.size}, args, inplace=True, path=f"{name}/reference")
    if op.op == "ABS" and x.dtype == "int16" and x.quantization is None:
        # TFLM takes an unquantized int16 ABS as plain integers
        return KernelCall("emu_abs_s16_plain", HEADER, "emu_unary_math_f32_params", {"size": x.size}, args,
                          inplace=True, path="abs/reference")
    for t in (x, y):
        if t.quantization is None or t.quantization.per_channel:
            raise UnsupportedOperator(f"{x.dtype} tensors need one scale and zero point")
    zx, zy = x.quantization.zero_point[0], y.quantization.zero_point[0]
    if x.dtype == "int16" and (zx, zy) != (0, 0):
        raise UnsupportedOperator("int16 tensors need zero point 0 (TFLM requires it)")
    sx, sy = np.float32(x.quantization.scale[0]), np.float32(y.quantization.scale[0])
    params = {"size": x.size, "input_offset": zx, "output_offset": zy}
    if op.op == "ABS":
        rescale = bool(sx != sy)
        multiplier, shift = quantize_multiplier(float(sx / sy)) if rescale else (0, 0)
        params.update(multiplier=multiplier, shift=shift, rescale=int(rescale))
        return KernelCall(f"emu_abs_s{x.dtype[3:]}", HEADER, "emu_abs_params", params, args, inplace=True,
                          path="abs/reference")
    multiplier, shift = quantize_multiplier(1.0 / float(np.sqrt(sx) * sy))
    if shift - RSQRT_HEADROOM < -31:
        raise UnsupportedOperator(f"an output scale {float(sy):g} too large for an input scale {float(sx):g} "
                                  "(the rescale would shift by more than 31 bits)")
    params.update(multiplier=multiplier, shift=shift)
    return KernelCall(f"emu_rsqrt_s{x.dtype[3:]}", HEADER, "emu_rsqrt_params", params, args, inplace=True,
                      path="rsqrt/reference")
