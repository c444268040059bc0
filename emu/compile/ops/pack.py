"""PACK: several tensors of one shape stacked along a new axis.

The inverse of UNPACK: chunks of bytes (emu/firmware/kernels/chunks.h), for the types
TFLM's kernel takes (float32, int8, int16, int32, int64), with any number of inputs.
TFLM copies int8 and int16 values without looking at their quantization, and so does emu.
"""

from __future__ import annotations

import math

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.ops.split import chunk_call

OPERATORS = ("PACK",)

TYPES = ("float32", "int8", "int16", "int32", "int64")  # TFLM's pack.cc


def lower(op, graph) -> KernelCall:
    inputs = [graph.tensors[i] for i in op.inputs]
    y = graph.tensors[op.outputs[0]]
    if y.dtype not in TYPES:
        raise UnsupportedOperator(f"{y.dtype} tensors (TFLM's kernel takes {', '.join(TYPES)})")
    if any(t.dtype != y.dtype for t in inputs):
        raise UnsupportedOperator("inputs of a type other than the output's")
    count = op.options.get("values_count", len(inputs))
    rank = len(y.shape)
    axis = op.options.get("axis", 0)
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis < rank:
        raise UnsupportedOperator(f"axis {op.options.get('axis', 0)} of a rank-{rank} output")
    if not count == len(inputs) == y.shape[axis]:
        raise UnsupportedOperator(f"values_count {count} and {len(inputs)} inputs for an output of extent "
                                  f"{y.shape[axis]} along axis {axis}")
    expected = y.shape[:axis] + y.shape[axis + 1:]
    for t in inputs:
        if tuple(t.shape) != tuple(expected):
            raise UnsupportedOperator(f"an input of shape {list(t.shape)}; stacking along axis {axis} into "
                                      f"{list(y.shape)} takes {list(expected)}")
    chunk = math.prod(y.shape[axis + 1:]) * np.dtype(y.dtype).itemsize
    return chunk_call("emu_pack", math.prod(y.shape[:axis]), [chunk] * len(inputs), [list(op.inputs), y.index])
