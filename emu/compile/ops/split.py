"""SPLIT, SPLIT_V and UNPACK: one tensor cut into several along one axis.

All three copy chunks of bytes (emu/firmware/kernels/chunks.h), with the types TFLM's
kernels take: float32, int8, int16 and int32. The pieces' sizes come from the output
shapes, as in TFLM, which reads neither SPLIT_V's size_splits nor anything else at run
time. TFLM copies int8 and int16 values without looking at their quantization, and so does
emu: the converter gives the outputs the input's scale and zero point anyway.
"""

from __future__ import annotations

import math

import numpy as np

from emu.compile.kernel_call import ConstArray, KernelCall, UnsupportedOperator

OPERATORS = ("SPLIT", "SPLIT_V", "UNPACK")

TYPES = ("float32", "int8", "int16", "int32")  # TFLM's split.cc, split_v.cc and unpack.cc


def lower(op, graph) -> KernelCall:
    if op.op == "UNPACK":
        x = graph.tensors[op.inputs[0]]
        axis = op.options.get("axis", 0)
    else:
        data, axis_input = (1, 0) if op.op == "SPLIT" else (0, 2)
        x = graph.tensors[op.inputs[data]]
        axis = constant_axis(graph.tensors[op.inputs[axis_input]])
    outputs = [graph.tensors[i] for i in op.outputs]
    if x.dtype not in TYPES:
        raise UnsupportedOperator(f"{x.dtype} tensors (TFLM's kernel takes {', '.join(TYPES)})")
    if any(y.dtype != x.dtype for y in outputs):
        raise UnsupportedOperator("outputs of a type other than the input's")
    rank = len(x.shape)
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis < rank:
        raise UnsupportedOperator(f"axis {axis} of a rank-{rank} input")
    if op.op == "UNPACK":
        extents = _unpacked_extents(op, x, outputs, axis)
    else:
        extents = _split_extents(x, outputs, axis)
    element = np.dtype(x.dtype).itemsize
    inner = math.prod(x.shape[axis + 1:]) * element
    return chunk_call("emu_split", math.prod(x.shape[:axis]), [e * inner for e in extents],
                      [x.index, list(op.outputs)])


def constant_axis(t) -> int:
    """The axis operand, which TFLM requires constant: the output shapes depend on it."""
    if not t.is_constant:
        raise UnsupportedOperator("an axis computed at run time (TFLM requires a constant axis)")
    if t.dtype != "int32" or t.size != 1:
        raise UnsupportedOperator(f"an axis operand of {t.dtype}{list(t.shape)} (TFLM reads one int32)")
    return int(np.asarray(t.data).reshape(-1)[0])


def chunk_call(function: str, outer: int, chunk_bytes: list[int], args: list) -> KernelCall:
    if outer * sum(chunk_bytes) >= 2**31:  # the kernel's sizes and offsets are int32
        raise UnsupportedOperator(f"{outer * sum(chunk_bytes):,} bytes to copy (at most 2 GB)")
    return KernelCall(function, "chunks.h", "emu_chunks_params",
                      {"outer": outer, "count": len(chunk_bytes),
                       "bytes": ConstArray("int32_t", np.asarray(chunk_bytes, dtype=np.int32))},
                      args)


def _split_extents(x, outputs, axis: int) -> list[int]:
    """Each output's extent along the axis; every other dimension is the input's."""
    for y in outputs:
        if len(y.shape) != len(x.shape) or any(a != b for i, (a, b) in enumerate(zip(y.shape, x.shape, strict=True))
                                               if i != axis):
            raise UnsupportedOperator(f"an output of shape {list(y.shape)} from an input of shape {list(x.shape)} "
                                      f"split along axis {axis}")
    extents = [y.shape[axis] for y in outputs]
    if sum(extents) != x.shape[axis]:
        raise UnsupportedOperator(f"outputs whose extents {extents} along axis {axis} do not add up to "
                                  f"the input's {x.shape[axis]}")
    return extents


def _unpacked_extents(op, x, outputs, axis: int) -> list[int]:
    """UNPACK gives one output per position along the axis, without that dimension."""
    num = op.options.get("num", len(outputs))
    if not num == len(outputs) == x.shape[axis]:
        raise UnsupportedOperator(f"num {num} and {len(outputs)} outputs from an input of extent "
                                  f"{x.shape[axis]} along axis {axis}")
    expected = x.shape[:axis] + x.shape[axis + 1:]
    for y in outputs:
        if tuple(y.shape) != tuple(expected):
            raise UnsupportedOperator(f"an output of shape {list(y.shape)}; unpacking {list(x.shape)} along "
                                      f"axis {axis} gives {list(expected)}")
    return [1] * len(outputs)
