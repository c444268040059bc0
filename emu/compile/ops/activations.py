"""RELU, RELU6, LOGISTIC and TANH: elementwise activations on int8 and float32.

Prepare-time arithmetic follows TFLM's kernels: RELU on int8 rescales to the output's
quantization and clamps at its zero; RELU6 on int8 clamps in the input's quantization;
LOGISTIC and TANH on int8 rescale the input to Q4.27 fixed point and produce outputs in
the fixed quantizations 1/256 (zero point -128) and 1/128 (zero point 0).
"""

from __future__ import annotations

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.quant import (
    calculate_input_radius,
    float_to_quantized_int8,
    quantize_multiplier,
)

OPERATORS = ("RELU", "RELU6", "LOGISTIC", "TANH")
TYPES = ("float32", "int8")

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
        raise UnsupportedOperator("int8 tensors need one scale and zero point")
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


def _relu_s8(x, y) -> KernelCall:
    multiplier, shift = quantize_multiplier(x.quantization.scale[0] / y.quantization.scale[0])
    y_zero = y.quantization.zero_point[0]
    return _call("emu_relu_s8", "emu_relu_s8_params", {
        "input_zero_point": x.quantization.zero_point[0],
        "output_zero_point": y_zero,
        "multiplier": multiplier,
        "shift": shift,
        "act_min": max(-128, y_zero),
        "act_max": 127,
    }, x, y)


def _relu6_s8(x, y) -> KernelCall:
    # Clamped in the input's quantization: the output is assumed to share it.
    scale, zero = x.quantization.scale[0], x.quantization.zero_point[0]
    return _call("emu_relu6_s8", "emu_relu6_s8_params",
                 {"lo": zero, "hi": float_to_quantized_int8(6.0, scale, zero)}, x, y)


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
