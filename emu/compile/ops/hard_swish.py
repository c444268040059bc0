"""HARD_SWISH, int8 and float32: x * relu6(x + 3) / 6.

int8 follows TFLM's hard_swish: the offset input is moved to a "high resolution" scale (in
int16, times 2^7), rescaled once to the output scale and once to a "relu-ish" scale on which
3.0 is 2^15, and the two are multiplied in 16-bit fixed point. The two rescales are int32
multipliers rounded to int16. Their ratios are taken in double: TFLM's Prepare spells them
in float32, but the interpreter's results are those of double ratios (tests/test_ops_arith.py
checks scales where the two differ). TFLM refuses an output rescale that would shift left,
and so does emu.
"""

from __future__ import annotations

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.quant import INT32_MAX, quantize_multiplier

OPERATORS = ("HARD_SWISH",)
TYPES = ("float32", "int8")

HEADER = "hard_swish.h"
HIRES_INPUT_SHIFT = 7  # the int8 input's offset value, times 2^7, still fits int16
RELUISH_SCALE = 3.0 / 32768.0  # 3.0 is 2^15 on the relu-ish scale


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.dtype != y.dtype or x.dtype not in TYPES:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (supported: {', '.join(TYPES)})")
    if x.dtype == "float32":
        return KernelCall("emu_hard_swish_f32", HEADER, "emu_hard_swish_f32_params", {"size": x.size},
                          [x.index, y.index], inplace=True)
    if x.quantization is None or y.quantization is None or x.quantization.per_channel:
        raise UnsupportedOperator("int8 tensors need one scale and zero point")
    hires_input_scale = x.quantization.scale[0] / (1 << HIRES_INPUT_SHIFT)
    output_multiplier, output_exponent = quantize_multiplier(hires_input_scale / y.quantization.scale[0])
    if output_exponent > 0:
        raise UnsupportedOperator("int8 HARD_SWISH whose output scale is below 1/128 of its input scale "
                                  "(TFLM refuses it too)")
    reluish_multiplier, reluish_exponent = quantize_multiplier(hires_input_scale / RELUISH_SCALE)
    return KernelCall("emu_hard_swish_s8", HEADER, "emu_hard_swish_s8_params", {
        "size": x.size,
        "input_zero_point": x.quantization.zero_point[0],
        "output_zero_point": y.quantization.zero_point[0],
        "output_multiplier": int16_multiplier(output_multiplier), "output_exponent": output_exponent,
        "reluish_multiplier": int16_multiplier(reluish_multiplier), "reluish_exponent": reluish_exponent,
    }, [x.index, y.index], inplace=True)


def int16_multiplier(multiplier: int) -> int:
    """An int32 fixed-point multiplier rounded to its top 16 bits, saturating (TFLM's
    DownScaleInt32ToInt16Multiplier)."""
    rounding = 1 << 15
    if multiplier >= INT32_MAX - rounding:
        return (1 << 15) - 1
    return (multiplier + rounding) >> 16
