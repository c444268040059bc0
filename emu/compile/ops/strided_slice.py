"""STRIDED_SLICE of a tensor computed at run time (slices of constants are folded away by
emu/compile/fold.py, which holds the index arithmetic both use).

TFLM takes bool, float32, int8, int16 and int32 inputs of one to four dimensions, with begin,
end and strides as constants; it copies elements as they are, whatever the quantization says,
and so does emu. The positions read along each axis are known at compile time: the lowering
turns them into a walk over the output (extent and input step per dimension, in elements, and
the input offset of the first element), which emu/firmware/kernels/strided_copy.c copies, as
it does TRANSPOSE's walk.
"""

from __future__ import annotations

import math

import numpy as np

from emu.compile.fold import NotFoldable, slice_ranges
from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.ops.transpose import MAX_RANK, strided_copy, walk_of

OPERATORS = ("STRIDED_SLICE",)

TYPES = ("bool", "float32", "int8", "int16", "int32")  # TFLM's strided_slice.cc
_BYTES = {"bool": 1, "int8": 1, "int16": 2, "float32": 4, "int32": 4}


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.dtype not in TYPES:
        raise UnsupportedOperator(f"{x.dtype} tensors (TFLM's kernel takes {', '.join(TYPES)})")
    if y.dtype != x.dtype:
        raise UnsupportedOperator("an output of a type other than the input's (TFLM copies elements as they are)")
    bounds = []
    for name, index in zip(("begin", "end", "strides"), op.inputs[1:4], strict=True):
        t = graph.tensors[index]
        if not t.is_constant:
            raise UnsupportedOperator(f"{name} computed at run time (TFLM requires a constant)")
        if t.dtype != "int32":
            raise UnsupportedOperator(f"{name} of {t.dtype} (TFLM reads int32)")
        bounds.append(np.asarray(t.data).reshape(t.shape))
    try:
        ranges, declared = slice_ranges(tuple(x.shape), *bounds, op.options)
    except NotFoldable as why:
        raise UnsupportedOperator(str(why)) from None
    if tuple(y.shape) != tuple(declared):
        raise UnsupportedOperator(f"an output of shape {list(y.shape)}; the slice has shape {declared} "
                                  f"(TFLM's Prepare refuses it)")
    offset, dims, steps = walk(tuple(x.shape), ranges)
    return strided_copy(_BYTES[x.dtype], offset, dims, steps, x, y)


def walk(shape: tuple[int, ...], ranges: list[range]) -> tuple[int, list[int], list[int]]:
    """The input offset of the first element read, and the output's dimensions as the strided
    copy walks them (emu.compile.ops.transpose.walk_of). An empty slice walks nothing."""
    step = [math.prod(shape[i + 1:]) for i in range(len(shape))]
    if any(len(r) == 0 for r in ranges):
        return 0, [0] * MAX_RANK, [0] * MAX_RANK
    offset = sum(r.start * s for r, s in zip(ranges, step, strict=True))
    dims, strides = walk_of([(len(r), r.step * s) for r, s in zip(ranges, step, strict=True)])
    return offset, dims, strides
