"""GATHER_ND and EMBEDDING_LOOKUP: slices of the input named by run-time coordinates into its
leading dimensions, copied by emu/firmware/kernels/gather.c's emu_gather_nd.

GATHER_ND (TFLM: float32 and int8 inputs, int32 indices whose last dimension, at most five
and at most the input's rank, holds one coordinate per leading dimension) writes output
indices.shape[:-1] + input.shape[depth:]. EMBEDDING_LOOKUP (TFLM: int32 row numbers in one
dimension, a table of at least two dimensions of float32 or int8) writes the rows named, as
they are, or for an int8 table into a float32 output (its zero point must be 0) each value
times the table's scale. Both copy values as they are otherwise. TFLM checks only that a
slice lies inside the input as a whole (its flat position) and fails the invocation when it
does not; a constant index that does so is refused here, and a run-time one gives zeros.
"""

from __future__ import annotations

import math

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator

OPERATORS = ("GATHER_ND", "EMBEDDING_LOOKUP")

TYPES = {"GATHER_ND": ("float32", "int8"),  # TFLM's gather_nd.cc
         "EMBEDDING_LOOKUP": ("float32", "int8", "int8->float32")}  # TFLM's embedding_lookup.cc
MAX_DEPTH = 5  # TFLM's MAX_INDICES_ND; EMU_GATHER_ND_MAX_DEPTH


def lower(op, graph) -> KernelCall:
    if op.op == "GATHER_ND":
        x, indices, y = (graph.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
        if x.dtype not in TYPES["GATHER_ND"] or y.dtype != x.dtype:
            raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (TFLM's kernel takes float32 and int8, unchanged)")
        if indices.dtype != "int32":
            raise UnsupportedOperator(f"{indices.dtype} indices (TFLM's kernel takes int32)")
        if not x.shape or not indices.shape:
            raise UnsupportedOperator("a scalar input or indices (TFLM needs at least a vector)")
        depth = indices.shape[-1]
        if depth > len(x.shape) or depth > MAX_DEPTH:
            raise UnsupportedOperator(f"{depth} coordinates per index into a rank-{len(x.shape)} input (TFLM "
                                      f"takes at most the rank, and at most {MAX_DEPTH})")
        expected = (*indices.shape[:-1], *x.shape[depth:])
        dequantize, scale = 0, 0.0
    else:
        indices, x, y = (graph.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
        if indices.dtype != "int32" or len(indices.shape) != 1:
            raise UnsupportedOperator(f"row numbers of {indices.dtype}{list(indices.shape)} (TFLM takes one "
                                      "dimension of int32)")
        if len(x.shape) < 2:
            raise UnsupportedOperator(f"a table of {len(x.shape)} dimensions (TFLM needs at least 2)")
        if (x.dtype, y.dtype) not in (("float32", "float32"), ("int8", "int8"), ("int8", "float32")):
            raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (TFLM's kernel takes {', '.join(TYPES[op.op])})")
        depth = 1
        expected = (indices.shape[0], *x.shape[1:])
        dequantize, scale = int(x.dtype != y.dtype), 0.0
        if dequantize:
            q = x.quantization
            if q is None or len(q.scale) != 1 or q.zero_point[0] != 0:
                raise UnsupportedOperator("an int8 table without one scale and zero point 0 (TFLM requires "
                                          "zero point 0 and reads one scale)")
            scale = float(np.float32(q.scale[0]))
    if tuple(y.shape) != tuple(expected):
        raise UnsupportedOperator(f"an output of shape {list(y.shape)}; the lookup gives {list(expected)}")
    strides = [math.prod(x.shape[j + 1:]) for j in range(depth)]
    slice_elements = math.prod(x.shape[depth:])
    if indices.is_constant:
        tuples = np.asarray(indices.data, dtype=np.int64).reshape(-1, depth)
        starts = tuples @ np.asarray(strides, dtype=np.int64) if depth else np.zeros(len(tuples), np.int64)
        if ((starts < 0) | (starts + slice_elements > x.size)).any():
            raise UnsupportedOperator("constant indices outside the input (TFLM fails the invocation)")
    params = {
        "slices": math.prod(indices.shape[:-1]) if op.op == "GATHER_ND" else indices.shape[0],
        "depth": depth,
        "strides": strides + [0] * (MAX_DEPTH - depth),
        "slice_elements": slice_elements,
        "input_elements": x.size,
        "element_bytes": np.dtype(x.dtype).itemsize,
        "dequantize": dequantize,
        "scale": scale,
    }
    return KernelCall("emu_gather_nd", "gather.h", "emu_gather_nd_params", params,
                      [x.index, indices.index, y.index])
