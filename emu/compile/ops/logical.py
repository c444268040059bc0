"""LOGICAL_AND and LOGICAL_OR (with NumPy-style broadcasting), LOGICAL_NOT and REDUCE_ALL, on
bool tensors (one byte each), the one type TFLM's kernels take.

The broadcast is described as ADD's (emu/compile/ops/elementwise.py), REDUCE_ALL's reduction
as MEAN's (emu/compile/ops/mean.py) over constant int32 axes, as TFLM's reduce.cc reads them.
"""

from __future__ import annotations

import math

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.ops.elementwise import broadcast_params
from emu.compile.ops.mean import reduction_geometry

OPERATORS = ("LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT", "REDUCE_ALL")
TYPES = ("bool",)

HEADER = "logical.h"


def lower(op, graph) -> KernelCall:
    data = [graph.tensors[op.inputs[0]]] if op.op in ("LOGICAL_NOT", "REDUCE_ALL") else \
        [graph.tensors[i] for i in op.inputs[:2]]
    y = graph.tensors[op.outputs[0]]
    if any(t.dtype != "bool" for t in (*data, y)):
        raise UnsupportedOperator(f"{', '.join(t.dtype for t in data)} -> {y.dtype} (TFLM's kernel takes bool)")
    if op.op == "LOGICAL_NOT":
        x = data[0]
        if x.size != y.size:
            raise UnsupportedOperator(f"an output of shape {list(y.shape)} for an input of shape {list(x.shape)}")
        return KernelCall("emu_logical_not", HEADER, "emu_logical_not_params", {"count": x.size},
                          [x.index, y.index], inplace=True)
    if op.op == "REDUCE_ALL":
        return _reduce_all(op, graph, data[0], y)
    a, b = data
    return KernelCall(f"emu_{op.op.lower()}", HEADER, "emu_logical_params", broadcast_params(a.shape, b.shape, y.shape),
                      [a.index, b.index, y.index], inplace=tuple(a.shape) == tuple(y.shape))


def _reduce_all(op, graph, x, y) -> KernelCall:
    axes_tensor = graph.tensor(op.inputs[1])
    if axes_tensor is None or not axes_tensor.is_constant:
        raise UnsupportedOperator("axes computed at run time")
    if axes_tensor.dtype != "int32":
        raise UnsupportedOperator(f"axes of {axes_tensor.dtype} (TFLM reads int32)")
    rank = len(x.shape)  # a scalar has no axes: TFLM then ignores the axes given
    given = [] if rank == 0 else [int(a) for a in np.asarray(axes_tensor.data).reshape(-1)]
    if any(not -rank <= a < rank for a in given):
        raise UnsupportedOperator(f"axes {given} of a rank-{rank} input")
    axes = {a % rank for a in given}
    if y.size != math.prod(n for d, n in enumerate(x.shape) if d not in axes):
        raise UnsupportedOperator(f"an output of shape {list(y.shape)} for axes {given} of {list(x.shape)}")
    return KernelCall("emu_reduce_all", HEADER, "emu_reduce_all_params", reduction_geometry(x.shape, axes),
                      [x.index, y.index])
