"""ADD_N (the elementwise sum of several tensors of one shape) and CUMSUM (the running sum along
one axis, inclusive or exclusive, forward or reversed), float32 and int8: TFLM's kernels take
these two types.

int8 sums take ADD's arithmetic (emu/compile/ops/elementwise.py) with one input scale: each
input shifted left by 20 bits and rescaled to half its scale, the rescaled values summed in
int32, the sum rescaled to the output. As in TFLM, the sum starts from the rescaled input zero
point's negative (TFLM starts it from the input offset, not from zero), and the inputs of ADD_N
must share one scale and zero point. float32 sums in input order, from 0.
"""

from __future__ import annotations

import math

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.ops.elementwise import add_rescale_params

OPERATORS = ("ADD_N", "CUMSUM")
TYPES = ("float32", "int8")

HEADER = "running_sums.h"
_QUANT_FIELDS = ("input1_offset", "left_shift", "input1_multiplier", "input1_shift", "output_multiplier",
                 "output_shift", "output_offset")


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.dtype != y.dtype or y.dtype not in TYPES:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (TFLM's kernel takes {', '.join(TYPES)})")
    if op.op == "ADD_N":
        return _add_n(op, graph, y)
    return _cumsum(op, graph, x, y)


def _add_n(op, graph, y) -> KernelCall:
    inputs = [graph.tensors[i] for i in op.inputs]
    if len(inputs) < 2:
        raise UnsupportedOperator(f"{len(inputs)} input (TFLM's kernel takes two or more)")
    for t in inputs:
        if t.dtype != y.dtype or tuple(t.shape) != tuple(y.shape):
            raise UnsupportedOperator(f"an input of {t.dtype} {list(t.shape)} for an output of {y.dtype} "
                                      f"{list(y.shape)} (TFLM requires one type and shape)")
    params = {"size": y.size, "count": len(inputs)}
    if y.dtype == "int8":
        params.update(_quantized(inputs, y))
    suffix = "f32" if y.dtype == "float32" else "s8"
    return KernelCall(f"emu_add_n_{suffix}", HEADER, f"emu_add_n_{suffix}_params", params, [list(op.inputs), y.index])


def _cumsum(op, graph, x, y) -> KernelCall:
    axis_tensor = graph.tensor(op.inputs[1])
    if axis_tensor is None or not axis_tensor.is_constant:
        raise UnsupportedOperator("an axis computed at run time")
    if axis_tensor.dtype != "int32" or axis_tensor.size != 1:
        raise UnsupportedOperator(f"an axis of {axis_tensor.size} {axis_tensor.dtype} values (TFLM reads one int32)")
    if tuple(x.shape) != tuple(y.shape):
        raise UnsupportedOperator(f"an output of shape {list(y.shape)} for an input of {list(x.shape)}")
    rank = len(x.shape)
    given = int(np.asarray(axis_tensor.data).reshape(-1)[0])
    axis = given + rank if given < 0 else given
    if not 0 <= axis < rank:
        raise UnsupportedOperator(f"axis {given} of a rank-{rank} input (TFLM stops on it)")
    params = {
        "outer": math.prod(x.shape[:axis]), "depth": x.shape[axis], "inner": math.prod(x.shape[axis + 1:]),
        "exclusive": int(bool(op.options.get("exclusive", False))),
        "reverse": int(bool(op.options.get("reverse", False))),
    }
    if y.dtype == "int8":
        params.update(_quantized([x], y))
    suffix = "f32" if y.dtype == "float32" else "s8"
    return KernelCall(f"emu_cumsum_{suffix}", HEADER, f"emu_cumsum_{suffix}_params", params, [x.index, y.index])


def _quantized(inputs, y) -> dict:
    for t in (*inputs, y):
        if t.quantization is None or t.quantization.per_channel:
            raise UnsupportedOperator("int8 tensors need one scale and zero point")
    first = inputs[0].quantization
    if any((t.quantization.scale[0], t.quantization.zero_point[0]) != (first.scale[0], first.zero_point[0])
           for t in inputs):
        raise UnsupportedOperator("int8 inputs quantized differently (TFLM requires one scale and zero point)")
    rescale = add_rescale_params(inputs[0], inputs[0], y, "sum")
    return {name: rescale[name] for name in _QUANT_FIELDS}
