"""STRIDED_SLICE of a tensor computed at run time (slices of constants are folded away by
emu/compile/fold.py, which holds the index arithmetic both use).

TFLM takes bool, float32, int8, int16 and int32 inputs of one to four dimensions, with begin,
end and strides as constants; it copies elements as they are, whatever the quantization says,
and so does emu. The positions read along each axis are known at compile time: the lowering
turns them into a walk over the output (extent and input step per dimension, in elements, and
the input offset of the first element), which emu/firmware/kernels/strided_slice.c copies.
"""

from __future__ import annotations

import math

import numpy as np

from emu.compile.fold import NotFoldable, slice_ranges
from emu.compile.kernel_call import KernelCall, UnsupportedOperator

OPERATORS = ("STRIDED_SLICE",)

TYPES = ("bool", "float32", "int8", "int16", "int32")  # TFLM's strided_slice.cc
MAX_RANK = 4  # TFLM's kMaxDim; EMU_STRIDED_SLICE_MAX_RANK
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
    return KernelCall("emu_strided_slice", "strided_slice.h", "emu_strided_slice_params",
                      {"element": _BYTES[x.dtype], "offset": offset, "dims": dims, "strides": steps},
                      [x.index, y.index])


def walk(shape: tuple[int, ...], ranges: list[range]) -> tuple[int, list[int], list[int]]:
    """The input offset of the first element read, and the output's dimensions as (extent,
    input step) pairs, outermost first, padded at the front to MAX_RANK: axes of one element
    dropped, and an axis merged into the one before it where the input holds the two one
    after the other, so the loops stay few and long. An empty slice walks nothing."""
    step = [math.prod(shape[i + 1:]) for i in range(len(shape))]
    if any(len(r) == 0 for r in ranges):
        return 0, [0] * MAX_RANK, [0] * MAX_RANK
    offset = sum(r.start * s for r, s in zip(ranges, step, strict=True))
    pairs: list[list[int]] = []
    for r, s in zip(ranges, step, strict=True):
        extent, stride = len(r), r.step * s
        if extent == 1:
            continue
        if pairs and pairs[-1][1] == stride * extent:
            pairs[-1] = [pairs[-1][0] * extent, stride]
        else:
            pairs.append([extent, stride])
    pairs = [[1, 0]] * (MAX_RANK - len(pairs)) + pairs
    return offset, [e for e, _ in pairs], [s for _, s in pairs]
