"""GATHER: slices of the input picked along one axis by int32 indices (embeddings).

TFLM's kernel takes float32 and int8 inputs, int32 indices, an axis and batch_dims with
batch_dims <= axis, the leading batch_dims dimensions shared by input and indices; so does
emu (emu/firmware/kernels/gather.h). Values are copied as they are, as in TFLM. Indices are
usually a model input; constant ones outside the axis, which TFLM would read past the input
with, are refused.
"""

from __future__ import annotations

import math

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator

OPERATORS = ("GATHER",)

TYPES = ("float32", "int8")  # TFLM's gather.cc
INDEX_TYPES = ("int32",)


def lower(op, graph) -> KernelCall:
    x, indices, y = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]], graph.tensors[op.outputs[0]]
    if x.dtype not in TYPES:
        raise UnsupportedOperator(f"{x.dtype} inputs (TFLM's kernel takes {', '.join(TYPES)})")
    if indices.dtype not in INDEX_TYPES:
        raise UnsupportedOperator(f"{indices.dtype} indices (TFLM's kernel takes int32)")
    if y.dtype != x.dtype:
        raise UnsupportedOperator("an output of a type other than the input's")
    rank, index_rank = len(x.shape), len(indices.shape)
    axis = op.options.get("axis", 0)
    axis = axis + rank if axis < 0 else axis
    batch_dims = op.options.get("batch_dims", 0)
    batch_dims = batch_dims + index_rank if batch_dims < 0 else batch_dims
    if not 0 <= axis < rank:
        raise UnsupportedOperator(f"axis {op.options.get('axis', 0)} of a rank-{rank} input")
    if not (0 <= batch_dims <= axis and batch_dims < rank and batch_dims <= index_rank
            and x.shape[:batch_dims] == indices.shape[:batch_dims]):
        raise UnsupportedOperator(f"batch_dims {op.options.get('batch_dims', 0)} with axis {axis}, input "
                                  f"{list(x.shape)} and indices {list(indices.shape)} (TFLM rejects it too)")
    expected = x.shape[:axis] + indices.shape[batch_dims:] + x.shape[axis + 1:]
    if tuple(y.shape) != tuple(expected):
        raise UnsupportedOperator(f"an output of shape {list(y.shape)}; gathering gives {list(expected)}")
    if indices.is_constant:
        values = np.asarray(indices.data).reshape(-1)
        if values.size and (values.min() < 0 or values.max() >= x.shape[axis]):
            raise UnsupportedOperator(f"constant indices outside [0, {x.shape[axis]}) (TFLM would read "
                                      "outside its input)")
    params = {
        "batches": math.prod(x.shape[:batch_dims]),
        "outer": math.prod(x.shape[batch_dims:axis]),
        "axis_size": x.shape[axis],
        "coords": math.prod(indices.shape[batch_dims:]),
        "slice_bytes": math.prod(x.shape[axis + 1:]) * np.dtype(x.dtype).itemsize,
    }
    return KernelCall("emu_gather", "gather.h", "emu_gather_params", params, [x.index, indices.index, y.index])
