"""REDUCE_MAX and REDUCE_MIN over constant axes, int8 and float32 (TFLM's reduce.cc takes
these two for both), one kernel walk with the comparison chosen.

The reduction's geometry is MEAN's (emu/compile/ops/mean.py). TFLM requires an int8 output
quantized like its input, and then compares the int8 values as they are: so does emu.
"""

from __future__ import annotations

import math

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.ops.mean import reduction_geometry

OPERATORS = ("REDUCE_MAX", "REDUCE_MIN")
TYPES = ("float32", "int8")


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    axes_tensor = graph.tensor(op.inputs[1])
    if axes_tensor is None or not axes_tensor.is_constant:
        raise UnsupportedOperator("axes computed at run time")
    if axes_tensor.dtype != "int32":
        raise UnsupportedOperator(f"axes of {axes_tensor.dtype} (TFLM reads int32)")
    if x.dtype != y.dtype or x.dtype not in TYPES:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (TFLM's kernel takes {', '.join(TYPES)})")
    rank = len(x.shape)
    given = [int(a) for a in np.asarray(axes_tensor.data).reshape(-1)]
    if any(not -rank <= a < rank for a in given):
        raise UnsupportedOperator(f"axes {given} of a rank-{rank} input")
    axes = {a % rank for a in given}
    if y.size != math.prod(n for d, n in enumerate(x.shape) if d not in axes):
        raise UnsupportedOperator(f"an output of shape {list(y.shape)} for axes {given} of {list(x.shape)}")
    if x.dtype == "int8":
        qx, qy = x.quantization, y.quantization
        if qx is None or qy is None or qx.per_channel or qy.per_channel:
            raise UnsupportedOperator("int8 tensors need one scale and zero point")
        if (qx.scale[0], qx.zero_point[0]) != (qy.scale[0], qy.zero_point[0]):
            raise UnsupportedOperator("an output quantized unlike the input (TFLM requires the same scale and "
                                      "zero point)")
    function = f"emu_{op.op.lower()}_{'f32' if x.dtype == 'float32' else 's8'}"
    return KernelCall(function, "reduce_max.h", "emu_reduce_max_params", reduction_geometry(x.shape, axes),
                      [x.index, y.index])
