"""FILL, ZEROS_LIKE and BROADCAST_TO: outputs that repeat one value or one tensor, as strided
copies (emu/firmware/kernels/strided_copy.h) whose step is 0 along every repeated dimension.

FILL repeats its scalar value input over the shape its constant dims input gives (TFLM's
fill.cc: float32, int8 and int32, dims of int8 to int64 equal to the output's shape); ZEROS_LIKE
writes zeros of its input's type and shape (float32, int8, int32 and int64), copied from one
zero in flash; BROADCAST_TO repeats its input along the dimensions where it has extent 1 or
none, to at most 5 dimensions and the constant int32 or int64 shape its output declares, any
type (TFLM's broadcast_to.cc). Values are copied as they are. All three are folded at compile
time when their inputs are constants (emu/compile/fold.py); these lowerings run the rest.
"""

from __future__ import annotations

import numpy as np

from emu.compile.kernel_call import ConstArray, KernelCall, UnsupportedOperator
from emu.compile.ops.elementwise import input_strides
from emu.compile.ops.transpose import MAX_RANK, strided_copy, walk_of

OPERATORS = ("FILL", "ZEROS_LIKE", "BROADCAST_TO")
TYPES = {"FILL": ("float32", "int8", "int32"), "ZEROS_LIKE": ("float32", "int8", "int32", "int64"),
         "BROADCAST_TO": ("any",)}

FILL_DIMS_TYPES = ("int8", "int16", "int32", "int64")
SHAPE_TYPES = ("int32", "int64")
ELEMENT_BYTES = (1, 2, 4, 8)  # the strided copy's element sizes


def lower(op, graph) -> KernelCall:
    y = graph.tensors[op.outputs[0]]
    if op.op == "FILL":
        dims, value = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
        _check_shape(dims, y, FILL_DIMS_TYPES, "dims")
        if value.dtype != y.dtype or y.dtype not in TYPES["FILL"]:
            raise UnsupportedOperator(f"a value of {value.dtype} for an output of {y.dtype} (TFLM's kernel takes "
                                      f"one of {', '.join(TYPES['FILL'])} for both)")
        if len(value.shape) != 0:
            raise UnsupportedOperator(f"a value of shape {list(value.shape)} (TFLM requires a scalar)")
        return _repeat(value, (), y)
    x = graph.tensors[op.inputs[0]]
    if x.dtype != y.dtype:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (TFLM requires one type)")
    if op.op == "ZEROS_LIKE":
        if x.dtype not in TYPES["ZEROS_LIKE"]:
            raise UnsupportedOperator(f"{x.dtype} tensors (TFLM's kernel takes {', '.join(TYPES['ZEROS_LIKE'])})")
        if x.size != y.size:
            raise UnsupportedOperator(f"an output of shape {list(y.shape)} for an input of shape {list(x.shape)}")
        zero = ConstArray("uint64_t", np.zeros(1, np.uint64))  # one zero of every element size, in flash
        return _repeat(x, (), y, source=zero)
    if np.dtype(x.dtype).itemsize not in ELEMENT_BYTES:
        raise UnsupportedOperator(f"{x.dtype} tensors")
    _check_shape(graph.tensors[op.inputs[1]], y, SHAPE_TYPES, "shape")
    if len(y.shape) > MAX_RANK or len(x.shape) > len(y.shape):
        raise UnsupportedOperator(f"{list(x.shape)} to {list(y.shape)} (TFLM broadcasts to 1 to {MAX_RANK} "
                                  f"dimensions, never fewer)")
    return _repeat(x, x.shape, y)


def _check_shape(shape, y, types, name: str) -> None:
    """TFLM requires a constant vector equal to the output's shape."""
    if not shape.is_constant:
        raise UnsupportedOperator(f"{name} computed at run time (TFLM requires a constant)")
    if shape.dtype not in types:
        raise UnsupportedOperator(f"{name} of {shape.dtype} (TFLM takes {', '.join(types)})")
    values = [int(v) for v in np.asarray(shape.data).reshape(-1)]
    if len(shape.shape) != 1 or values != list(y.shape):
        raise UnsupportedOperator(f"{name} {values} for an output of shape {list(y.shape)}")


def _repeat(x, x_shape, y, source=None) -> KernelCall:
    """The strided copy of x (or source) broadcast from x_shape to y's shape."""
    try:
        steps = input_strides(x_shape, tuple(y.shape))
    except UnsupportedOperator:
        raise UnsupportedOperator(f"{list(x_shape)} does not broadcast to {list(y.shape)}") from None
    dims, strides = walk_of(list(zip(y.shape, steps, strict=True)))
    if len(dims) > MAX_RANK:
        raise UnsupportedOperator(f"more than {MAX_RANK} dimensions to walk")
    call = strided_copy(np.dtype(y.dtype).itemsize, 0, dims, strides, x, y)
    if source is not None:
        call.args[0] = source
    return call
