"""ADD, SUB and MUL, int8, int16, int32 and float32, with NumPy-style broadcasting of either input.

int8 ADD follows TFLM's scheme: inputs are shifted left by 20 bits for headroom, each is
rescaled to twice the larger input scale, and the sum is rescaled to the output. int8 SUB
is the same with the difference of the rescaled inputs (TFLM's sub.cc); int16 ADD and SUB
too, with a left shift of 15 (TFLM's int16 ADD takes this general path whatever its
pot_scale_int16 option says). MUL rescales the product of the offset inputs by
in1_scale * in2_scale / out_scale, on int8 and on int16 (whose zero points TFLM requires to
be 0). int32 computes on the stored integers, wrapping past the int32 range, and clamps to the
fused activation's range (SUB, MUL) or to the whole range (ADD, whatever its activation), as
TFLM's kernels do.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from emu.compile.kernel_call import ConstArray, KernelCall, UnsupportedOperator
from emu.compile.ops.conv_2d import DSP_SHORT_MAX_RIGHT
from emu.compile.quant import (
    activation_range_float,
    activation_range_int8,
    multiply_by_quantized_multiplier,
    quantize_multiplier,
    quantize_multiplier_smaller_than_one,
)

OPERATORS = ("ADD", "SUB", "MUL")
TYPES = {"ADD": ("float32", "int8", "int16", "int32"), "SUB": ("float32", "int8", "int16", "int32"),
         "MUL": ("float32", "int8", "int16", "int32")}

HEADER = "elementwise.h"
MAX_RANK = 6  # EMU_BROADCAST_MAX_RANK
ADD_LEFT_SHIFT = 20  # headroom for int8 inputs before rescaling
INT16_LEFT_SHIFT = 15  # and for int16 inputs: 2^16 * 2^15 still fits int32


def lower(op, graph) -> KernelCall:
    a, b, y = binary_operands(op, graph, TYPES[op.op])
    activation = op.options.get("fused_activation_function", "NONE")
    params = broadcast_params(a.shape, b.shape, y.shape)
    name = op.op.lower()
    if y.dtype == "int32":
        params.update(_int32_range(op.op, activation, a, b, y))
        return KernelCall(f"emu_{name}_s32", HEADER, "emu_binary_s32_params", params, [a.index, b.index, y.index],
                          inplace=tuple(a.shape) == tuple(y.shape))
    if y.dtype == "float32":
        if activation not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
            raise UnsupportedOperator(f"fused activation {activation}")
        params.update(float_activation_range(activation))
        function, params_type = f"emu_{name}_f32", "emu_binary_f32_params"
    else:
        for t in (a, b, y):
            if t.quantization is None or t.quantization.per_channel:
                raise UnsupportedOperator(f"{y.dtype} tensors need one scale and zero point")
        if op.op == "MUL" and y.dtype == "int16" and any(t.quantization.zero_point[0] for t in (a, b, y)):
            raise UnsupportedOperator("int16 MUL needs zero points 0 (TFLM requires them)")
        bounds = (-32768, 32767) if y.dtype == "int16" else (-128, 127)
        try:
            lo, hi = activation_range_int8(activation, y.quantization.scale[0], y.quantization.zero_point[0], bounds)
        except ValueError as e:
            raise UnsupportedOperator(str(e)) from None
        params.update(_mul_s8(a, b, y) if op.op == "MUL" else add_rescale_params(a, b, y, op.op))
        params.update(act_min=lo, act_max=hi)
        # SUB takes ADD's parameters; int16 takes int8's
        function = f"emu_{name}_s{y.dtype[3:]}"
        params_type = "emu_mul_s8_params" if op.op == "MUL" else "emu_add_s8_params"
    return KernelCall(function, HEADER, params_type, params, [a.index, b.index, y.index],
                      inplace=tuple(a.shape) == tuple(y.shape))


def _int32_range(op: str, activation: str, a, b, y) -> dict:
    """act_min and act_max of int32 ADD, SUB and MUL. TFLM's ADD and SUB take unquantized int32
    tensors only; its MUL reads no quantization on int32 (it multiplies the stored values), nor
    does emu's. ADD clamps to the whole range; SUB and MUL to the activation's (TFLM's
    CalculateActivationRange: an activation other than the RELUs clamps nothing)."""
    if op != "MUL" and any(t.quantization is not None for t in (a, b, y)):
        raise UnsupportedOperator(f"int32 {op} of quantized tensors (TFLM takes unquantized ones only)")
    lo, hi = -2**31, 2**31 - 1
    if op != "ADD":
        lo, hi = {"RELU": (0, hi), "RELU6": (0, 6), "RELU_N1_TO_1": (-1, 1)}.get(activation, (lo, hi))
    return {"act_min": lo, "act_max": hi}


def binary_operands(op, graph, types) -> tuple:
    """The two inputs and the output of a binary operator, all of one of `types` (the ones the
    operator's kernel takes); shared with DIV and its kin (emu/compile/ops/division.py)."""
    a, b = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    if not a.dtype == b.dtype == y.dtype or y.dtype not in types:
        raise UnsupportedOperator(f"{a.dtype}, {b.dtype} -> {y.dtype} (supported: {', '.join(types)})")
    return a, b, y


# MUL's product of two offset int8 inputs is below 2^16, so the optimized kernel's rescale,
# which shifts it left by max(shift, 0) + 1, stays in int32 up to a left shift of 15.
MUL_DSP_MAX_LEFT = 15


# An ADD or SUB of at least this many elements reads its inputs' rescaled values from tables
# (2 KB of flash per operator, built here): about 40 cycles less per element on the M4, so
# from here on each KB of flash buys 20,000 cycles or more.
TABLE_MIN_ELEMENTS = 1024


def add_tables(params: dict, subtract: bool) -> np.ndarray:
    """Each input's rescaled value for every int8 value, as TFLM's ADD and SUB compute it
    (offset, shifted left, rescaled to the common scale), in the table form's layout: 256 values
    of input 1 then 256 of input 2, from -128 up; SUB's second input's negated, so that the
    kernel adds them."""
    x = range(-128, 128)
    shift = params["left_shift"]

    def rescaled(offset, multiplier, exponent):
        return [multiply_by_quantized_multiplier((offset + v) * (1 << shift), multiplier, exponent) for v in x]

    t1 = rescaled(params["input1_offset"], params["input1_multiplier"], params["input1_shift"])
    t2 = rescaled(params["input2_offset"], params["input2_multiplier"], params["input2_shift"])
    return np.array(t1 + [-v if subtract else v for v in t2], dtype=np.int32)


def _dsp_form(call: KernelCall) -> KernelCall | str:
    """ADD, SUB and MUL computing each element's rescales, or why not."""
    if call.function in ("emu_add_s8", "emu_sub_s8"):
        name = call.function[len("emu_"):-len("_s8")]
        return replace(call, function=f"{call.function}_dsp", header="elementwise_dsp.h", path=f"{name}/dsp")
    if call.function == "emu_mul_s8":
        if max(call.params["output_shift"], 0) + 1 <= MUL_DSP_MAX_LEFT:
            return replace(call, function="emu_mul_s8_dsp", header="elementwise_dsp.h", path="mul/dsp")
        return f"output shift {call.params['output_shift']}: the product shifted left overflows the optimized rescale"
    return f"{call.function}: the optimized kernels are int8 ADD, SUB and MUL"


def optimize(op, graph, call: KernelCall) -> KernelCall | str:
    """int8 ADD, SUB and MUL with emu_dsp.h's rescale (emu/firmware/kernels/optimized/elementwise_dsp.c).
    ADD's and SUB's values always fit it (their shifts are never positive: see the kernel); MUL's
    when its output shift is small enough. A large ADD or SUB whose output rescale has the short
    form reads its inputs' rescales from tables. Or why not."""
    dsp = _dsp_form(call)
    if isinstance(dsp, str) or call.function not in ("emu_add_s8", "emu_sub_s8"):
        return dsp
    p = call.params
    elements = int(np.prod(p["shape"][:p["rank"]]))
    if elements < TABLE_MIN_ELEMENTS or not -DSP_SHORT_MAX_RIGHT <= p["output_shift"] <= -1:
        return dsp
    name = call.function[len("emu_"):-len("_s8")]
    tables = ConstArray("int32_t", add_tables(p, subtract=name == "sub"))
    return replace(dsp, function="emu_add_s8_table_dsp", args=[*call.args, tables], path=f"{name}/table-dsp")


def helium(op, graph, call: KernelCall) -> KernelCall | str:
    """int8 ADD, SUB and MUL four elements per vector (emu/firmware/kernels/optimized/elementwise_mve.c),
    where the DSP kernel's rescale is exact; it reads inputs whose step along a run is 0 or 1. Or why not."""
    faster = _dsp_form(call)
    if isinstance(faster, str):
        return faster
    p = call.params
    if {p["stride1"][p["rank"] - 1], p["stride2"][p["rank"] - 1]} - {0, 1}:
        return "an input read with a step other than 0 or 1 along a run (broadcast): no vector form"
    name = call.function[len("emu_"):-len("_s8")]
    return replace(call, function=f"emu_{name}_s8_mve", header="elementwise_mve.h", path=f"{name}/mve")


def float_activation_range(activation: str) -> dict:
    """act_min and act_max of a float32 kernel: "no activation" clamps to the finite float
    range, as TFLM does (an infinite result becomes the largest float)."""
    lo, hi = activation_range_float(activation)
    limit = float(np.finfo(np.float32).max)
    return {"act_min": max(lo, -limit), "act_max": min(hi, limit)}


def add_rescale_params(a, b, y, op: str = "ADD") -> dict:
    """int8 and int16 ADD's rescale of its inputs and sum; ADD_N and CUMSUM (one input scale)
    take it too (emu/compile/ops/running_sums.py)."""
    # The ratios in double, for SUB too: the TFLM interpreter's SUB gives the results of these
    # multipliers, not of ratios taken in float32 (tests/test_ops_arith.py checks scales where
    # the two differ).
    sa, sb, sy = a.quantization.scale[0], b.quantization.scale[0], y.quantization.scale[0]
    twice_max_input_scale = 2.0 * max(sa, sb)
    left_shift = INT16_LEFT_SHIFT if y.dtype == "int16" else ADD_LEFT_SHIFT
    m1, s1 = quantize_multiplier_smaller_than_one(sa / twice_max_input_scale)
    m2, s2 = quantize_multiplier_smaller_than_one(sb / twice_max_input_scale)
    real_output = twice_max_input_scale / ((1 << left_shift) * sy)
    if not real_output < 1.0:
        raise UnsupportedOperator(f"{y.dtype} {op} whose output scale is below 2^-{left_shift - 1} of its input scales")
    mo, so = quantize_multiplier_smaller_than_one(real_output)
    return {
        "input1_offset": -a.quantization.zero_point[0],
        "input2_offset": -b.quantization.zero_point[0],
        "left_shift": left_shift,
        "input1_multiplier": m1, "input1_shift": s1,
        "input2_multiplier": m2, "input2_shift": s2,
        "output_multiplier": mo, "output_shift": so,
        "output_offset": y.quantization.zero_point[0],
    }


def _mul_s8(a, b, y) -> dict:
    multiplier, shift = quantize_multiplier(a.quantization.scale[0] * b.quantization.scale[0] / y.quantization.scale[0])
    return {
        "input1_offset": -a.quantization.zero_point[0],
        "input2_offset": -b.quantization.zero_point[0],
        "output_multiplier": multiplier, "output_shift": shift,
        "output_offset": y.quantization.zero_point[0],
    }


def broadcast_params(shape1, shape2, out_shape) -> dict:
    """The kernel's broadcast description: merged output dims and per-input strides.

    Dimensions of size 1 are dropped, and neighbours merge when both inputs walk them as
    one (both contiguous, or both broadcast), so equal shapes become one flat run.
    """
    rank = len(out_shape)
    if len(shape1) > rank or len(shape2) > rank:
        raise UnsupportedOperator("an input has more dimensions than the output")
    dims = []  # (extent, stride1, stride2), outermost first
    strides = [_strides(shape, rank, out_shape) for shape in (shape1, shape2)]
    for d in range(rank):
        if out_shape[d] != 1:
            dims.append([out_shape[d], strides[0][d], strides[1][d]])
    merged: list[list[int]] = []
    for extent, s1, s2 in dims:
        if merged and merged[-1][1] == s1 * extent and merged[-1][2] == s2 * extent:
            merged[-1] = [merged[-1][0] * extent, s1, s2]
        else:
            merged.append([extent, s1, s2])
    if not merged:
        merged = [[1, 0, 0]]
    if len(merged) > MAX_RANK:
        raise UnsupportedOperator(f"broadcasting over more than {MAX_RANK} dimensions")
    pad = MAX_RANK - len(merged)
    return {
        "rank": len(merged),
        "shape": [m[0] for m in merged] + [1] * pad,
        "stride1": [m[1] for m in merged] + [0] * pad,
        "stride2": [m[2] for m in merged] + [0] * pad,
    }


def input_strides(shape, out_shape) -> list[int]:
    """Element strides of a contiguous input broadcast to out_shape, per output dimension (0 where
    it is broadcast), for the walks of other operators over a broadcast input."""
    return _strides(shape, len(out_shape), out_shape)


def _strides(shape, rank, out_shape) -> list[int]:
    """Element strides of a contiguous input along each output dimension; 0 if broadcast."""
    full = [1] * (rank - len(shape)) + list(shape)
    strides, step = [0] * rank, 1
    for d in reversed(range(rank)):
        if full[d] == out_shape[d]:
            strides[d] = step
        elif full[d] != 1:
            raise UnsupportedOperator(f"shapes {tuple(shape)} and {tuple(out_shape)} do not broadcast")
        step *= full[d]
    return strides
