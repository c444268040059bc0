"""REVERSE_V2: the input with the order of elements along some axes reversed.

TFLM takes bool, float32, int8, uint8, int16, int32 and int64 inputs of at most six
dimensions and int32 axes (negative ones counted from the end), which must be neighbours once
sorted (it refuses others at run time, and an empty list it does not handle); it copies
elements as they are. Constant axes (as the converter writes them) make a walk from the last
element along negative steps, copied by emu/firmware/kernels/strided_copy.c as STRIDED_SLICE's
walks are; axes computed by the model are read at run time by emu_strided_copy_reversed there,
which writes zeros for axes TFLM refuses at run time.
"""

from __future__ import annotations

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.ops.strided_slice import walk
from emu.compile.ops.transpose import strided_copy

OPERATORS = ("REVERSE_V2",)

TYPES = ("bool", "float32", "int8", "uint8", "int16", "int32", "int64")  # TFLM's reverse.cc
MAX_RANK = 6  # TFLM's ReverseV2Prepare (RuntimeShape::kMaxSmallSize)


def lower(op, graph) -> KernelCall:
    x, axes_tensor, y = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]], graph.tensors[op.outputs[0]]
    if x.dtype not in TYPES:
        raise UnsupportedOperator(f"{x.dtype} tensors (TFLM's kernel takes {', '.join(TYPES)})")
    if y.dtype != x.dtype or tuple(y.shape) != tuple(x.shape):
        raise UnsupportedOperator(f"{x.dtype}{list(x.shape)} -> {y.dtype}{list(y.shape)} (TFLM's output is "
                                  "its input's type and shape)")
    rank = len(x.shape)
    if rank > MAX_RANK:
        raise UnsupportedOperator(f"an input of {rank} dimensions (TFLM takes at most {MAX_RANK})")
    if axes_tensor.dtype != "int32" or len(axes_tensor.shape) != 1:
        raise UnsupportedOperator(f"axes of {axes_tensor.dtype}{list(axes_tensor.shape)} (TFLM takes a list of int32)")
    if not 0 < axes_tensor.size <= rank:
        raise UnsupportedOperator(f"{axes_tensor.size} axes for a rank-{rank} input (TFLM takes 1 to {rank})")
    if not axes_tensor.is_constant:
        return KernelCall("emu_strided_copy_reversed", "strided_copy.h", "emu_strided_copy_reversed_params", {
            "element": np.dtype(x.dtype).itemsize, "rank": rank, "dims": list(x.shape) + [1] * (MAX_RANK - rank),
            "count": axes_tensor.size, "elements": x.size,
        }, [x.index, axes_tensor.index, y.index])
    given = [int(a) for a in np.asarray(axes_tensor.data).reshape(-1)]
    axes = sorted(a + rank if a < 0 else a for a in given)
    if not all(0 <= a < rank for a in axes):
        raise UnsupportedOperator(f"axes {given} of a rank-{rank} input")
    if axes != list(range(axes[0], axes[0] + len(axes))):
        raise UnsupportedOperator(f"axes {given}, which are not neighbours (TFLM refuses them)")
    ranges = [range(n - 1, -1, -1) if i in axes else range(n) for i, n in enumerate(x.shape)]
    offset, dims, steps = walk(tuple(x.shape), ranges)
    return strided_copy(np.dtype(x.dtype).itemsize, offset, dims, steps, x, y)
