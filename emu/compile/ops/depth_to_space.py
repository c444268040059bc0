"""DEPTH_TO_SPACE and SPACE_TO_DEPTH: blocks of block_size x block_size pixels moved between
the channels and the plane of a 4-D NHWC tensor.

TFLM takes float32 and int8 and copies elements as they are. Both are a transpose of a
reshaped view: DEPTH_TO_SPACE reads input [N, H, W, b, b, C] in the order N, H, b, W, b, C
(output row h*b+i, column w*b+j, channel c from input channel (i*b+j)*C+c); SPACE_TO_DEPTH
is its inverse. Each lowers to a walk copied by emu/firmware/kernels/strided_copy.c, as
TRANSPOSE is.
"""

from __future__ import annotations

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.ops.transpose import strided_copy, walk_of

OPERATORS = ("DEPTH_TO_SPACE", "SPACE_TO_DEPTH")

TYPES = ("float32", "int8")  # TFLM's depth_to_space.cc and space_to_depth.cc


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.dtype not in TYPES or y.dtype != x.dtype:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (TFLM's kernel takes {', '.join(TYPES)}, unchanged)")
    if len(x.shape) != 4:
        raise UnsupportedOperator(f"an input of {len(x.shape)} dimensions (TFLM takes 4)")
    b = int(op.options.get("block_size", 0))
    if b < 1:
        raise UnsupportedOperator(f"block size {b} (TFLM needs at least 1)")
    n, h, w, c = x.shape
    if op.op == "DEPTH_TO_SPACE":
        if c % (b * b):
            raise UnsupportedOperator(f"{c} channels, not a multiple of {b}x{b} (TFLM refuses it)")
        co = c // (b * b)
        expected = (n, h * b, w * b, co)
        # output order n, h, i, w, j, c: each pair (extent, step in the input)
        axes = [(n, h * w * c), (h, w * c), (b, b * co), (w, c), (b, co), (co, 1)]
    else:
        if h % b or w % b:
            raise UnsupportedOperator(f"a {h}x{w} plane, not a multiple of the block size {b} (TFLM refuses it)")
        expected = (n, h // b, w // b, c * b * b)
        # output order n, h, w, i, j, c
        axes = [(n, h * w * c), (h // b, b * w * c), (w // b, b * c), (b, w * c), (b, c), (c, 1)]
    if tuple(y.shape) != expected:
        raise UnsupportedOperator(f"an output of shape {list(y.shape)}; block size {b} gives {list(expected)}")
    dims, steps = walk_of(axes)
    return strided_copy(np.dtype(x.dtype).itemsize, 0, dims, steps, x, y)
