"""SLICE: a box of the input, `size` elements along each axis from `begin` (-1 meaning to
the end of the axis).

TFLM takes bool, float32, int8, int16 and int32 inputs of at most five dimensions, begin and
size of int32 or int64, and copies elements as they are. The box is a walk from an offset,
copied by emu/firmware/kernels/strided_copy.c as STRIDED_SLICE's and TRANSPOSE's walks are.
TFLM does not check the box against the input (it reads outside it): with constant begin and
size, emu refuses such a box. A begin computed by the model is read at run time
(emu_strided_copy_at): the box then has the output's declared shape (TFLM allocates that
shape), and a begin that would take it outside the input is clamped to the last start inside.

TFLM's kernel copies as many elements as begin and size give, whatever the output's declared
shape, and does not resize the output. A size computed by the model, or a size of -1 (to the
end) from a begin computed by the model, makes a box whose shape changes at run time: TFLM
writes past the output's buffer whenever it is larger than declared (the converter declares
a placeholder such as [1, 1, 1] for it; Keras' LSTM with return_sequences writes its output
sequence that way inside its WHILE loop, and TFLM's result is not the layer's). A static arena
cannot hold such a box, so emu refuses it, as it refuses a constant size that is not the
output's declared shape.
"""

from __future__ import annotations

import math

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
    begin, size = graph.tensors[op.inputs[1]], graph.tensors[op.inputs[2]]
    for name, t in (("begin", begin), ("size", size)):
        if t.dtype not in INDEX_TYPES or list(t.shape) != [len(shape)]:
            raise UnsupportedOperator(f"{name} of {t.dtype}{list(t.shape)} (TFLM reads {len(shape)} int32 or int64)")
    if begin.dtype != size.dtype:
        raise UnsupportedOperator(f"begin of {begin.dtype} and size of {size.dtype} (TFLM reads both as "
                                  "begin's type, so its result is not the slice)")
    if not size.is_constant:
        raise UnsupportedOperator(f"a size computed at run time (TFLM copies that many elements into an output "
                                  f"declared {list(y.shape)}, past its end when more: a run-time shape a static "
                                  "arena cannot hold)")
    if not begin.is_constant:
        return _lower_run_time_begin(x, y, begin, [int(v) for v in np.asarray(size.data).reshape(-1)])
    bounds = [[int(v) for v in np.asarray(t.data).reshape(-1)] for t in (begin, size)]
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


def _lower_run_time_begin(x, y, begin, size: list[int]) -> KernelCall:
    """The box of the output's shape from a begin read at run time."""
    shape = tuple(x.shape)
    if len(y.shape) != len(shape) or any(o > n for o, n in zip(y.shape, shape, strict=True)):
        raise UnsupportedOperator(f"an output of shape {list(y.shape)} from an input of shape {list(shape)}")
    if -1 in size:
        raise UnsupportedOperator(f"size {size} from a begin computed at run time (TFLM copies to the axis's end "
                                  f"into an output declared {list(y.shape)}, past its end when more: a run-time "
                                  "shape a static arena cannot hold)")
    if size != list(y.shape):
        raise UnsupportedOperator(f"size {size} into an output declared {list(y.shape)} (TFLM copies the size's "
                                  "elements whatever the output's shape)")
    offset, dims, steps = walk(shape, [range(o) for o in y.shape])
    call = strided_copy(np.dtype(x.dtype).itemsize, offset, dims, steps, x, y)
    pad = MAX_RANK - len(shape)
    params = {f"walk.{k}": v for k, v in call.params.items()}
    params.update({
        "rank": len(shape),
        "steps": [math.prod(shape[i + 1:]) for i in range(len(shape))] + [0] * pad,
        "limits": [n - o for n, o in zip(shape, y.shape, strict=True)] + [0] * pad,
        "begin_bytes": np.dtype(begin.dtype).itemsize,
    })
    return KernelCall("emu_strided_copy_at", "strided_copy.h", "emu_strided_copy_at_params", params,
                      [x.index, begin.index, y.index])
