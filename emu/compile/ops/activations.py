"""RELU, RELU6, LOGISTIC and TANH: elementwise activations on int8, int16 and float32.

Prepare-time arithmetic follows TFLM's kernels: RELU on int8 rescales to the output's
quantization and clamps at its zero; RELU6 on int8 clamps in the input's quantization;
LOGISTIC and TANH on int8 rescale the input to Q4.27 fixed point and produce outputs in
the fixed quantizations 1/256 (zero point -128) and 1/128 (zero point 0).

RELU and RELU6 on int16 are int8's arithmetic with int16's range (RELU's zero points 0, as
TFLM requires). LOGISTIC and TANH on int16 follow TFLM's 16-bit kernels: zero points 0, output scale 2^-15,
the input rescaled onto a table of sigmoid(i / 24) read with linear interpolation.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from emu.compile.kernel_call import ConstArray, KernelCall, UnsupportedOperator
from emu.compile.quant import (
    calculate_input_radius,
    float_to_quantized_int8,
    quantize_multiplier,
    round_half_away,
)

OPERATORS = ("RELU", "RELU6", "LOGISTIC", "TANH")
TYPES = ("float32", "int8", "int16")

HEADER = "activations.h"
# LOGISTIC and TANH evaluate their fixed-point function on inputs with this many integer bits.
SIGMOID_INPUT_INTEGER_BITS = 4


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.dtype != y.dtype or x.dtype not in TYPES:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (supported: {', '.join(TYPES)})")
    if x.dtype == "float32":
        return _lower_float(op.op, x, y)
    if x.quantization is None or y.quantization is None or x.quantization.per_channel:
        raise UnsupportedOperator(f"{x.dtype} tensors need one scale and zero point")
    if x.dtype == "int16":
        if op.op in ("LOGISTIC", "TANH"):
            return _sigmoid_s16(op.op, x, y)
        if op.op == "RELU" and (x.quantization.zero_point[0] or y.quantization.zero_point[0]):
            raise UnsupportedOperator("int16 RELU needs zero points 0")
        return (_relu_s8 if op.op == "RELU" else _relu6_s8)(x, y, INT16_SUFFIX)
    return {"RELU": _relu_s8, "RELU6": _relu6_s8, "LOGISTIC": _logistic_s8, "TANH": _tanh_s8}[op.op](x, y)


def _call(function: str, params_type: str, params: dict, x, y) -> KernelCall:
    return KernelCall(function, HEADER, params_type, {"size": x.size, **params}, [x.index, y.index],
                      inplace=True)


def _lower_float(name: str, x, y) -> KernelCall:
    if name in ("RELU", "RELU6"):
        hi = float("inf") if name == "RELU" else 6.0
        return _call("emu_relu_f32", "emu_relu_f32_params", {"lo": 0.0, "hi": hi}, x, y)
    function = "emu_logistic_f32" if name == "LOGISTIC" else "emu_tanh_f32"
    return _call(function, "emu_unary_f32_params", {}, x, y)


INT8_SUFFIX, INT16_SUFFIX = ("s8", (-128, 127)), ("s16", (-32768, 32767))  # kernel suffix, value range


def _relu_s8(x, y, kind=INT8_SUFFIX) -> KernelCall:
    """RELU on int8, or with kind INT16_SUFFIX on int16 (the same arithmetic, TFLM's too)."""
    suffix, (lo, hi) = kind
    multiplier, shift = quantize_multiplier(x.quantization.scale[0] / y.quantization.scale[0])
    y_zero = y.quantization.zero_point[0]
    return _call(f"emu_relu_{suffix}", "emu_relu_s8_params", {
        "input_zero_point": x.quantization.zero_point[0],
        "output_zero_point": y_zero,
        "multiplier": multiplier,
        "shift": shift,
        "act_min": max(lo, y_zero),
        "act_max": hi,
    }, x, y)


def _relu6_s8(x, y, kind=INT8_SUFFIX) -> KernelCall:
    # Clamped in the input's quantization: the output is assumed to share it.
    suffix, bounds = kind
    scale, zero = x.quantization.scale[0], x.quantization.zero_point[0]
    return _call(f"emu_relu6_{suffix}", "emu_relu6_s8_params",
                 {"lo": zero, "hi": float_to_quantized_int8(6.0, scale, zero, bounds)}, x, y)


def _sigmoid_params(x) -> dict:
    multiplier, left_shift = quantize_multiplier(x.quantization.scale[0] * (1 << (31 - SIGMOID_INPUT_INTEGER_BITS)))
    return {
        "input_zero_point": x.quantization.zero_point[0],
        "input_range_radius": calculate_input_radius(SIGMOID_INPUT_INTEGER_BITS, left_shift),
        "input_multiplier": multiplier,
        "input_left_shift": left_shift,
    }


def _logistic_s8(x, y) -> KernelCall:
    if y.quantization.zero_point[0] != -128:
        raise UnsupportedOperator("int8 LOGISTIC needs output zero point -128")
    return _call("emu_logistic_s8", "emu_sigmoid_s8_params", _sigmoid_params(x), x, y)


def _tanh_s8(x, y) -> KernelCall:
    return _call("emu_tanh_s8", "emu_sigmoid_s8_params", _sigmoid_params(x), x, y)


# ---- int16 LOGISTIC and TANH ----------------------------------------------------------------

SIGMOID_S16_INPUT_INTEGER_BITS = 3
SIGMOID_S16_OUTPUT_LOG2_SCALE = -15


def checked_log2(x: float) -> int | None:
    """log2(x) when x is a power of two (to within 1e-3 in the exponent), else None."""
    exponent = math.log2(x)
    rounded = round_half_away(exponent)
    return rounded if abs(exponent - rounded) < 1e-3 else None


@functools.lru_cache(maxsize=1)
def sigmoid_table() -> np.ndarray:
    """sigmoid(i / 24) in Q0.16 for i = 0 .. 255, each entry lowered by half the error linear
    interpolation makes at the middle of its interval (so the interpolated curve straddles the
    function instead of lying under it); the last entry, where the kernels saturate, is the
    largest Q0.16 value."""
    def q(v: float) -> float:
        return 65536.0 / (1.0 + math.exp(-v / 24.0))

    table = [round_half_away(q(i) - ((q(i) + q(i + 1)) / 2 - q(i + 0.5)) / 2) for i in range(255)]
    return np.array([*table, 65535], dtype=np.uint16)


def _sigmoid_s16(name: str, x, y) -> KernelCall:
    if x.quantization is None or y.quantization is None:
        raise UnsupportedOperator("int16 tensors without quantization parameters")
    if x.quantization.zero_point[0] != 0 or y.quantization.zero_point[0] != 0:
        raise UnsupportedOperator(f"int16 {name} needs zero points 0")
    if checked_log2(y.quantization.scale[0]) != SIGMOID_S16_OUTPUT_LOG2_SCALE:
        raise UnsupportedOperator(f"int16 {name} needs output scale 2^{SIGMOID_S16_OUTPUT_LOG2_SCALE}")
    scale = x.quantization.scale[0]
    log2_scale = checked_log2(scale)
    left_shift = 15 - SIGMOID_S16_INPUT_INTEGER_BITS + log2_scale if log2_scale is not None else None
    # A power-of-two input scale TFLM takes as it is: the table's factor 3, shifted.
    if left_shift == 0 or (name == "TANH" and left_shift == 1):
        multiplier, left_shift = 3 << left_shift, 0
    else:
        # Otherwise the input goes to a scale of 1/(3 * 4096), as a 15-bit multiplier and a shift.
        multiplier, left_shift = scale * 4096.0 * 3.0, 0
        while multiplier <= 32767.0 / 2.0 and left_shift <= 30:
            left_shift += 1
            multiplier *= 2.0
        multiplier = int(multiplier)
        if multiplier > 32767:
            raise UnsupportedOperator(f"int16 {name} with input scale {scale:g} (too large for TFLM's rescale)")
    return _call(f"emu_{name.lower()}_s16", "emu_sigmoid_s16_params", {
        "input_multiplier": multiplier, "input_left_shift": left_shift,
        "sigmoid_table": ConstArray("uint16_t", sigmoid_table()),
    }, x, y)
