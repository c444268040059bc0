"""ARG_MAX and ARG_MIN along one constant axis (negative axes counted from the end).

TFLM's kernel takes float32 and int8 inputs, an int32 axis and int32 outputs only (the
converter's default int64 output, and int16 inputs, it refuses at run time); so does emu
(emu/firmware/kernels/arg_min_max.h). Ties go to the first index, as in TFLM.
"""

from __future__ import annotations

import math

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator

OPERATORS = ("ARG_MAX", "ARG_MIN")

SUFFIX = {"float32": "f32", "int8": "s8"}  # of each input type's kernel, the types of TFLM's arg_min_max.cc
TYPES = tuple(SUFFIX)


def lower(op, graph) -> KernelCall:
    x, axis_tensor, y = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]], graph.tensors[op.outputs[0]]
    if x.dtype not in TYPES:
        raise UnsupportedOperator(f"{x.dtype} inputs (TFLM's kernel takes {', '.join(TYPES)})")
    if y.dtype != "int32":
        raise UnsupportedOperator(f"an {y.dtype} output (TFLM's kernel writes int32 only; convert with "
                                  "output_type=tf.int32)")
    if axis_tensor.dtype != "int32":
        raise UnsupportedOperator(f"an {axis_tensor.dtype} axis (TFLM's kernel takes int32)")
    if not axis_tensor.is_constant or axis_tensor.size < 1:
        raise UnsupportedOperator("an axis computed at run time")
    rank = len(x.shape)
    given = int(np.asarray(axis_tensor.data).reshape(-1)[0])
    axis = given + rank if given < 0 else given
    if not 0 <= axis < rank:
        raise UnsupportedOperator(f"axis {given} of a rank-{rank} input")
    expected = x.shape[:axis] + x.shape[axis + 1:]
    if math.prod(y.shape) != math.prod(expected):
        raise UnsupportedOperator(f"an output of shape {list(y.shape)}; reducing axis {axis} of "
                                  f"{list(x.shape)} gives {list(expected)}")
    params = {"outer": math.prod(x.shape[:axis]), "axis_size": x.shape[axis], "inner": math.prod(x.shape[axis + 1:])}
    name = op.op.lower()
    return KernelCall(f"emu_{name}_{SUFFIX[x.dtype]}", "arg_min_max.h", "emu_arg_min_max_params", params,
                      [x.index, y.index], path=f"{name}/reference")
