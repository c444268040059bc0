"""SLICE: a box of the input, `size` elements along each axis from `begin` (-1 meaning to
the end of the axis).

TFLM takes bool, float32, int8, int16 and int32 inputs of at most five dimensions, begin and
size of int32 or int64, and copies elements as they are. emu requires begin and size to be
constants (the converter writes them so): the box is then a walk from an offset, copied by
emu/firmware/kernels/strided_copy.c as STRIDED_SLICE's and TRANSPOSE's walks are. TFLM does
not check the box against the input (it reads outside it); emu refuses such a box.
"""

from __future__ import annotations

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.ops.strided_slice import walk
from emu.compile.ops.transpose import MAX_RANK, strided_copy

OPERATORS = ("SLICE",)

TYPES = ("bool", "float32", "int8", "int16", "int32")  # TFLM's slice.cc
INDEX_TYPES = ("int32", "int64")


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.dtype not in TYPES:
        raise UnsupportedOperator(f"{x.dtype} tensors (TFLM's kernel takes {', '.join(TYPES)})")
    if y.dtype != x.dtype:
        raise UnsupportedOperator("an output of a type other than the input's (TFLM copies elements as they are)")
    shape = tuple(x.shape)
    if len(shape) > MAX_RANK:
        raise UnsupportedOperator(f"an input of {len(shape)} dimensions (TFLM takes at most {MAX_RANK})")
    bounds = []
    for name, index in (("begin", op.inputs[1]), ("size", op.inputs[2])):
        t = graph.tensors[index]
        if t.dtype not in INDEX_TYPES:
            raise UnsupportedOperator(f"{name} of {t.dtype} (TFLM reads int32 or int64)")
        if not t.is_constant:
            raise UnsupportedOperator(f"{name} computed at run time (emu needs it at compile time)")
        values = [int(v) for v in np.asarray(t.data).reshape(-1)]
        if len(values) != len(shape):
            raise UnsupportedOperator(f"{len(values)} {name} values for a rank-{len(shape)} input")
        bounds.append(values)
    ranges = []
    for axis, (extent, b, s) in enumerate(zip(shape, *bounds, strict=True)):
        end = extent if s == -1 else b + s
        if not (0 <= b <= end <= extent):
            raise UnsupportedOperator(f"begin {b} and size {s} on axis {axis} of extent {extent} (TFLM would "
                                      "read outside its input)")
        ranges.append(range(b, end))
    declared = [len(r) for r in ranges]
    if list(y.shape) != declared:
        raise UnsupportedOperator(f"an output of shape {list(y.shape)}; the slice has shape {declared}")
    offset, dims, steps = walk(shape, ranges)
    return strided_copy(np.dtype(x.dtype).itemsize, offset, dims, steps, x, y)
