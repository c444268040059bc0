"""ELU, float32 and int8: x where x >= 0, exp(x) - 1 elsewhere.

int8 follows TFLM's elu: a 256-entry table of the float function over every input value, built
at compile time in float32 as TFLM's Prepare builds it (the input dequantized, exp taken by the
C library's expf, the result scaled by the reciprocal of the output scale, rounded half away
from zero, offset by the output zero point and clamped), which the kernel indexes.
"""

from __future__ import annotations

import numpy as np

from emu.compile.kernel_call import ConstArray, KernelCall, UnsupportedOperator
from emu.compile.quant import RescaleOutOfRange, expf, round_half_away

OPERATORS = ("ELU",)
TYPES = ("float32", "int8")

HEADER = "elu.h"


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.dtype != y.dtype or x.dtype not in TYPES:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (supported: {', '.join(TYPES)})")
    if x.dtype == "float32":
        return KernelCall("emu_elu_f32", HEADER, "emu_elu_f32_params", {"size": x.size}, [x.index, y.index],
                          inplace=True)
    if x.quantization is None or y.quantization is None or x.quantization.per_channel or y.quantization.per_channel:
        raise UnsupportedOperator("int8 tensors need one scale and zero point")
    table = elu_table_s8(x.quantization.scale[0], x.quantization.zero_point[0],
                         y.quantization.scale[0], y.quantization.zero_point[0])
    return KernelCall("emu_elu_s8", HEADER, "emu_elu_s8_params",
                      {"size": x.size, "table": ConstArray("int8_t", table)}, [x.index, y.index], inplace=True)


def elu_table_s8(input_scale: float, input_zero_point: int, output_scale: float, output_zero_point: int) -> np.ndarray:
    """The int8 output for each int8 input, input -128 first."""
    f = np.float32
    inverse_scale = f(f(1.0) / f(output_scale))
    table = np.zeros(256, dtype=np.int8)
    for i, value in enumerate(range(-128, 128)):
        dequantized = f(f(input_scale) * f(value - input_zero_point))
        transformed = f(expf(dequantized) - f(1.0)) if dequantized < 0 else dequantized
        scaled = f(transformed * inverse_scale)
        if not np.isfinite(scaled):  # TFLM's conversion of it to int32 is undefined
            raise RescaleOutOfRange(f"an int8 ELU output scale of {output_scale:g} against input scale "
                                    f"{input_scale:g}: the scales are out of proportion")
        rescaled = f(round_half_away(float(scaled)))
        shifted = float(f(rescaled + f(output_zero_point)))
        # TFLM converts to int32 (truncating) before it clamps to int8; clamping first is the same
        table[i] = int(max(-128.0, min(127.0, shifted)))
    return table
