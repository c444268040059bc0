"""DIV (float32, int8, int32), FLOOR_DIV and FLOOR_MOD (float32), with NumPy-style broadcasting
of either input described as ADD's (emu/compile/ops/elementwise.py).

int8 DIV is TFLM's quantized division: the offset divisor's fixed-point reciprocal times the
offset dividend, rescaled by input1_scale / (input2_scale * output_scale), that ratio taken in
float32 as TFLM's Prepare takes it. float32 and int32 DIV clamp to the fused activation's range
(float32 "no activation" to the finite floats, so x / 0 gives the largest float, as in TFLM);
int32 divides as C does, toward zero. FLOOR_DIV floors the quotient taken in double; FLOOR_MOD
is fmodf moved onto the divisor's sign. TFLM stops with an error on a zero divisor in
FLOOR_DIV and cannot divide integers by zero: a constant zero divisor is refused here, one
computed at run time gives what the arithmetic gives (infinity, NaN).
"""

from __future__ import annotations

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.ops.elementwise import binary_operands, broadcast_params, float_activation_range
from emu.compile.quant import activation_range_float, activation_range_int8, quantize_multiplier

OPERATORS = ("DIV", "FLOOR_DIV", "FLOOR_MOD")
TYPES = {"DIV": ("float32", "int8", "int32"), "FLOOR_DIV": ("float32",), "FLOOR_MOD": ("float32",)}

HEADER = "division.h"
_SUFFIX = {"float32": "f32", "int8": "s8", "int32": "s32"}
# TFLM broadcasts FLOOR_DIV and FLOOR_MOD through its 4-dimensional walk
FLOOR_MAX_RANK = 4
# The int8 quotient's last rescale shifts right by headroom + reciprocal shift - output shift
# bits. The headroom of a dividend within +-256 is at least 23 and a divisor's reciprocal shift
# at least -1, so an output shift up to 22 keeps that a right shift (TFLM's helper would shift
# by a negative amount); with a headroom of at most 31 and a reciprocal shift of at most 8, one
# of at least -24 keeps it below 63 bits (the kernel's mask is 64-bit).
DIV_S8_SHIFTS = (-24, 22)


def lower(op, graph) -> KernelCall:
    a, b, y = binary_operands(op, graph, TYPES[op.op])
    params = broadcast_params(a.shape, b.shape, y.shape)
    divisor = graph.tensor(op.inputs[1])
    if op.op != "DIV" or y.dtype == "int32":
        if divisor is not None and divisor.is_constant and (np.asarray(divisor.data) == 0).any():
            raise UnsupportedOperator("a constant divisor holding 0 (TFLM cannot divide by it)")
    if op.op != "DIV":
        if tuple(a.shape) != tuple(b.shape) and max(len(a.shape), len(b.shape), len(y.shape)) > FLOOR_MAX_RANK:
            raise UnsupportedOperator(f"broadcasting over more than {FLOOR_MAX_RANK} dimensions (TFLM's limit)")
        return _call(op, params, a, b, y, "emu_floor_div_params")
    activation = op.options.get("fused_activation_function", "NONE")
    if activation not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
        raise UnsupportedOperator(f"fused activation {activation}")
    if y.dtype == "float32":
        params.update(float_activation_range(activation))
        return _call(op, params, a, b, y, "emu_binary_f32_params")
    if y.dtype == "int32":
        for t in (a, b):
            if t.quantization is not None:
                raise UnsupportedOperator("quantized int32 inputs (TFLM divides plain integers)")
        lo, hi = activation_range_float(activation)
        limits = np.iinfo(np.int32)
        params.update(act_min=int(max(lo, limits.min)), act_max=int(min(hi, limits.max)))
        return _call(op, params, a, b, y, "emu_div_s32_params")
    for t in (a, b, y):
        if t.quantization is None or t.quantization.per_channel:
            raise UnsupportedOperator("int8 tensors need one scale and zero point")
    sa, sb, sy = (np.float32(t.quantization.scale[0]) for t in (a, b, y))
    multiplier, shift = quantize_multiplier(float(sa / (sb * sy)))
    if not DIV_S8_SHIFTS[0] <= shift <= DIV_S8_SHIFTS[1]:
        raise UnsupportedOperator(f"scales whose ratio {float(sa / (sb * sy)):g} needs a shift of {shift} "
                                  f"(the quotient's rescale takes {DIV_S8_SHIFTS[0]} to {DIV_S8_SHIFTS[1]})")
    try:
        lo, hi = activation_range_int8(activation, y.quantization.scale[0], y.quantization.zero_point[0])
    except ValueError as e:
        raise UnsupportedOperator(str(e)) from None
    params.update(input1_offset=-a.quantization.zero_point[0], input2_offset=-b.quantization.zero_point[0],
                  output_multiplier=multiplier, output_shift=shift, output_offset=y.quantization.zero_point[0],
                  act_min=lo, act_max=hi)
    return _call(op, params, a, b, y, "emu_div_s8_params")


def _call(op, params: dict, a, b, y, params_type: str) -> KernelCall:
    return KernelCall(f"emu_{op.op.lower()}_{_SUFFIX[y.dtype]}", HEADER, params_type, params,
                      [a.index, b.index, y.index], inplace=tuple(a.shape) == tuple(y.shape))
