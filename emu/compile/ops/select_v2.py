"""SELECT_V2 with NumPy-style broadcasting of the condition, x and y, float32, int8 and int16
(TFLM's select.cc), the condition bool.

Values are copied as they are, as TFLM does (x, y and the output of one quantization). The C
kernel (emu/firmware/kernels/select_v2.h) is y broadcast to the output as a strided copy, then
the condition and x walked over the output as ADD walks its inputs, x written where the
condition holds; both walks are described here by the builders of the operators that own them.
"""

from __future__ import annotations

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.ops.elementwise import broadcast_params, input_strides
from emu.compile.ops.transpose import MAX_RANK, walk_of

OPERATORS = ("SELECT_V2",)
TYPES = ("float32", "int8", "int16")


def lower(op, graph) -> KernelCall:
    condition, x, y = (graph.tensors[i] for i in op.inputs[:3])
    out = graph.tensors[op.outputs[0]]
    if condition.dtype != "bool":
        raise UnsupportedOperator(f"a condition of {condition.dtype} (TFLM requires bool)")
    if not x.dtype == y.dtype == out.dtype or x.dtype not in TYPES:
        raise UnsupportedOperator(f"{x.dtype}, {y.dtype} -> {out.dtype} (TFLM's kernel takes one of "
                                  f"{', '.join(TYPES)})")
    shape = tuple(out.shape)
    try:
        expected = np.broadcast_shapes(tuple(condition.shape), tuple(x.shape), tuple(y.shape))
    except ValueError:
        expected = None
    if expected != shape:  # TFLM's Prepare refuses these
        raise UnsupportedOperator(f"inputs of shapes {list(condition.shape)}, {list(x.shape)} and {list(y.shape)} "
                                  f"for an output of shape {list(shape)}")
    params = broadcast_params(condition.shape, x.shape, shape)
    dims, strides = walk_of(list(zip(shape, input_strides(y.shape, shape), strict=True)))
    if len(dims) > MAX_RANK:
        raise UnsupportedOperator(f"y broadcast over more than {MAX_RANK} dimensions")
    params.update({"y_copy.element": np.dtype(x.dtype).itemsize, "y_copy.offset": 0,
                   "y_copy.dims": dims, "y_copy.strides": strides})
    return KernelCall("emu_select_v2", "select_v2.h", "emu_select_v2_params", params,
                      [condition.index, x.index, y.index, out.index])

