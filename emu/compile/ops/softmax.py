"""SOFTMAX over the last dimension, int8 (to int8 or int16), int16 and float32; LOG_SOFTMAX,
int8 and float32 (the types TFLM's kernel takes).

For int8, Prepare turns beta * input_scale into a multiplier that maps input differences
into Q5.26 (capped so that it stays an int32 value), and the cut-off below which a
difference is too negative for that format; TFLM's int8 kernel does the same. Its output
is int8 with scale 1/256 and zero point -128, or int16 with scale 1/65536 (within 0.1%) and
zero point -32768, as TFLM requires.

For int16, Prepare builds two 513-entry tables (exp on [-10, 0], and 1 / (1 + x) on [0, 1])
and a multiplier that maps input differences times beta onto [-65535, 0] for [-10, 0]:
both are computed here, the tables as TFLM's LUTPopulate builds them (emu/compile/quant.py).

int8 LOG_SOFTMAX takes int8 SOFTMAX's input scaling (with beta 1) and its sum of
exponentials, then the fixed-point log of the sum; the multiplier's inverse, as a divisor
smaller than one, maps that log back onto input steps for the cut-off below which an output is
the minimum. Its output is int8 with scale 16/256 and zero point 127, as TFLM requires.
"""

from __future__ import annotations

import functools

import numpy as np

from emu.compile.kernel_call import ConstArray, KernelCall, UnsupportedOperator
from emu.compile.quant import (
    calculate_input_radius,
    expf,
    lut_int16,
    quantize_multiplier,
    quantize_multiplier_greater_than_one,
    quantize_multiplier_smaller_than_one,
)

OPERATORS = ("SOFTMAX", "LOG_SOFTMAX")
TYPES = {"SOFTMAX": ("float32", "int8", "int16", "int8->int16"), "LOG_SOFTMAX": ("float32", "int8")}

SCALED_DIFF_INTEGER_BITS = 5


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    beta = float(op.options.get("beta", 1.0))
    depth = x.shape[-1] if x.shape else 1
    shape = {"rows": x.size // depth if depth else 0, "depth": depth}
    args = [x.index, y.index]
    types = TYPES[op.op]
    if (x.dtype if x.dtype == y.dtype else f"{x.dtype}->{y.dtype}") not in types:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (TFLM's kernel takes {', '.join(types)})")
    if op.op == "LOG_SOFTMAX":
        return _log_softmax(x, y, shape, args)
    if x.dtype == "float32":
        return KernelCall("emu_softmax_f32", "softmax.h", "emu_softmax_f32_params",
                          {**shape, "beta": beta}, args)
    if x.dtype == y.dtype == "int16":
        return KernelCall("emu_softmax_s16", "softmax.h", "emu_softmax_s16_params",
                          {**shape, **_int16_params(beta, x, y)}, args)
    out_q = y.quantization
    if y.dtype == "int16":
        if out_q is None or out_q.zero_point[0] != -32768 or abs(out_q.scale[0] - 1.0 / 65536) > 0.001 / 65536:
            raise UnsupportedOperator("int8 -> int16 SOFTMAX needs output scale 1/65536 and zero point -32768")
    elif out_q is None or out_q.zero_point[0] != -128 or out_q.scale[0] != 1.0 / 256:
        raise UnsupportedOperator("int8 SOFTMAX needs output scale 1/256 and zero point -128")
    multiplier, left_shift = softmax_input_scaling(beta, x.quantization.scale[0])
    kernel = "emu_softmax_s8_s16" if y.dtype == "int16" else "emu_softmax_s8"
    return KernelCall(kernel, "softmax.h", "emu_softmax_s8_params", {
        **shape,
        "input_multiplier": multiplier,
        "input_left_shift": left_shift,
        "diff_min": -calculate_input_radius(SCALED_DIFF_INTEGER_BITS, left_shift),
    }, args)


def softmax_input_scaling(beta: float, input_scale: float) -> tuple[int, int]:
    """Multiplier and left shift taking an input difference to Q5.26 times beta.

    A larger multiplier only pushes every non-maximal difference further below the
    representable range, where exp() rounds to 0 anyway, so it is capped at int32 range.
    """
    real = min(beta * input_scale * float(1 << (31 - SCALED_DIFF_INTEGER_BITS)), float(2**31 - 1))
    if real <= 1.0:
        raise UnsupportedOperator(f"int8 SOFTMAX with beta * input scale = {beta * input_scale:g} (too small)")
    return quantize_multiplier_greater_than_one(real)


LOG_SOFTMAX_OUTPUT = (16.0 / 256, 127)  # the int8 output's scale and zero point TFLM requires


def _log_softmax(x, y, shape: dict, args: list) -> KernelCall:
    if tuple(x.shape) != tuple(y.shape):
        raise UnsupportedOperator(f"an output of shape {list(y.shape)} for an input of {list(x.shape)}")
    if x.dtype == "float32":
        return KernelCall("emu_log_softmax_f32", "softmax.h", "emu_log_softmax_f32_params", shape, args)
    for t in (x, y):
        if t.quantization is None or t.quantization.per_channel:
            raise UnsupportedOperator("int8 tensors need one scale and zero point")
    # TFLM compares the float32 scale with 16/256, which float32 holds exactly
    if (float(np.float32(y.quantization.scale[0])), y.quantization.zero_point[0]) != LOG_SOFTMAX_OUTPUT:
        raise UnsupportedOperator("int8 LOG_SOFTMAX needs output scale 16/256 and zero point 127 (TFLM requires "
                                  "them)")
    multiplier, left_shift = softmax_input_scaling(1.0, float(x.quantization.scale[0]))
    divisor, divisor_shift = quantize_multiplier_smaller_than_one(float(1 << (31 - left_shift)) / multiplier)
    return KernelCall("emu_log_softmax_s8", "softmax.h", "emu_log_softmax_s8_params", {
        **shape,
        "input_multiplier": multiplier,
        "input_left_shift": left_shift,
        "reverse_scaling_divisor": divisor,
        "reverse_scaling_shift": divisor_shift,
        "diff_min": -calculate_input_radius(SCALED_DIFF_INTEGER_BITS, left_shift),
    }, args)


INT16_RANGE = 65535  # int16 max - min


def _int16_params(beta: float, x, y) -> dict:
    """TFLM's int16 Prepare: zero points 0, the output scale 1/32768 (within 0.1%)."""
    if x.quantization is None or y.quantization is None:
        raise UnsupportedOperator("int16 tensors without quantization parameters")
    if x.quantization.zero_point[0] != 0 or y.quantization.zero_point[0] != 0:
        raise UnsupportedOperator("int16 SOFTMAX needs zero points 0")
    if abs(y.quantization.scale[0] - 1.0 / 32768) > 0.001 / 32768:
        raise UnsupportedOperator("int16 SOFTMAX needs output scale 1/32768")
    multiplier, shift = quantize_multiplier(x.quantization.scale[0] * beta / (10.0 / INT16_RANGE))
    return {"input_multiplier": multiplier, "input_shift": shift, "exp_lut": ConstArray("int16_t", exp_table()),
            "one_over_one_plus_x_lut": ConstArray("int16_t", reciprocal_table())}


@functools.lru_cache(maxsize=1)
def exp_table() -> np.ndarray:
    """exp on [-10, 0] (exp(-10) is taken as negligible against the row's sum)."""
    f = np.float32
    return lut_int16(f(f(10.0) / f(INT16_RANGE)), 32767, f(f(2.0) / f(INT16_RANGE)), 0, expf)


@functools.lru_cache(maxsize=1)
def reciprocal_table() -> np.ndarray:
    """1 / (1 + x) on [0, 1]."""
    f = np.float32
    return lut_int16(f(f(1.0) / f(INT16_RANGE)), -32768, f(f(2.0) / f(INT16_RANGE)), 0,
                     lambda v: f(f(1.0) / f(f(1.0) + v)))
