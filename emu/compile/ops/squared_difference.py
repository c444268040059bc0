"""SQUARED_DIFFERENCE, int8, int16, int32 and float32: (a - b)^2 with NumPy-style broadcasting.

int8 follows TFLM's squared_difference: both offset inputs are shifted left by 7 bits,
rescaled to twice the larger input scale as ADD's are, subtracted and squared in int32, and
the square is rescaled to the output by (twice the larger input scale)^2 / (2^14 * out_scale).
int16 is the same without the left shift, and takes only zero points of 0, as TFLM does.
int32 squares the difference of the stored values, wrapping past the int32 range as TFLM's
does on its targets (it reads no quantization).
TFLM broadcasts this operator over at most 4 dimensions, and so does emu.
"""

from __future__ import annotations

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.ops.elementwise import broadcast_params
from emu.compile.quant import quantize_multiplier, quantize_multiplier_smaller_than_one

OPERATORS = ("SQUARED_DIFFERENCE",)
TYPES = ("float32", "int8", "int16", "int32")

HEADER = "squared_difference.h"
LEFT_SHIFT = {"int8": 7, "int16": 0}  # an offset input shifted, rescaled and squared stays in int32
_UNQUANTIZED = {"float32": "emu_squared_difference_f32", "int32": "emu_squared_difference_s32"}
MAX_BROADCAST_RANK = 4  # TFLM's BroadcastBinaryFunction4DSlow


def lower(op, graph) -> KernelCall:
    a, b = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    if not a.dtype == b.dtype == y.dtype or y.dtype not in TYPES:
        raise UnsupportedOperator(f"{a.dtype}, {b.dtype} -> {y.dtype} (supported: {', '.join(TYPES)})")
    if tuple(a.shape) != tuple(b.shape) and len(y.shape) > MAX_BROADCAST_RANK:
        raise UnsupportedOperator(f"broadcasting over {len(y.shape)} dimensions (TFLM takes at most "
                                  f"{MAX_BROADCAST_RANK})")
    params = broadcast_params(a.shape, b.shape, y.shape)
    inputs = [a.index, b.index, y.index]
    inplace = tuple(a.shape) == tuple(y.shape)
    if y.dtype in _UNQUANTIZED:  # no parameters but the broadcast
        return KernelCall(_UNQUANTIZED[y.dtype], HEADER, "emu_squared_difference_f32_params", params, inputs,
                          inplace=inplace)
    for t in (a, b, y):
        if t.quantization is None or t.quantization.per_channel:
            raise UnsupportedOperator(f"{y.dtype} tensors need one scale and zero point")
        if y.dtype == "int16" and t.quantization.zero_point[0] != 0:
            raise UnsupportedOperator("int16 tensors need zero point 0")
    sa, sb, sy = a.quantization.scale[0], b.quantization.scale[0], y.quantization.scale[0]
    twice_max_input_scale = 2.0 * max(sa, sb)
    m1, s1 = quantize_multiplier_smaller_than_one(sa / twice_max_input_scale)
    m2, s2 = quantize_multiplier_smaller_than_one(sb / twice_max_input_scale)
    left_shift = LEFT_SHIFT[y.dtype]
    mo, so = quantize_multiplier(twice_max_input_scale ** 2 / ((1 << (2 * left_shift)) * sy))
    params.update({
        "input1_offset": -a.quantization.zero_point[0],
        "input2_offset": -b.quantization.zero_point[0],
        "left_shift": left_shift,
        "input1_multiplier": m1, "input1_shift": s1,
        "input2_multiplier": m2, "input2_shift": s2,
        "output_multiplier": mo, "output_shift": so,
        "output_offset": y.quantization.zero_point[0],
    })
    # int16 takes int8's parameters
    return KernelCall(f"emu_squared_difference_s{y.dtype[3:]}", HEADER, "emu_squared_difference_s8_params", params,
                      inputs, inplace=inplace)
