"""TRANSPOSE with any permutation of up to five dimensions (TFLM's limit).

TFLM takes float32, int8 and int16, and requires the permutation to be a constant whose
entries lie in [0, rank); so does emu, which turns it into a walk over the output
(emu/firmware/kernels/strided_copy.h, which STRIDED_SLICE's walks use too). Elements are copied
as they are, as TFLM does. On the DSP cores an int8 walk that ends in a plane transpose has a
faster kernel (optimize below), and on the M55 a vector one (helium).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator

OPERATORS = ("TRANSPOSE",)

TYPES = ("float32", "int8", "int16")  # TFLM's transpose.cc
MAX_RANK = 5  # TFLM's TransposePrepare; EMU_STRIDED_COPY_MAX_RANK


def lower(op, graph) -> KernelCall:
    x, perm_tensor, y = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]], graph.tensors[op.outputs[0]]
    if x.dtype not in TYPES:
        raise UnsupportedOperator(f"{x.dtype} tensors (TFLM's kernel takes {', '.join(TYPES)})")
    if y.dtype != x.dtype:
        raise UnsupportedOperator("an output of a type other than the input's (TFLM rejects it too)")
    rank = len(x.shape)
    if rank > MAX_RANK:
        raise UnsupportedOperator(f"a rank-{rank} input (TFLM takes at most {MAX_RANK} dimensions)")
    if not perm_tensor.is_constant:
        raise UnsupportedOperator("a permutation computed at run time (TFLM requires a constant)")
    if perm_tensor.dtype != "int32" or len(perm_tensor.shape) != 1 or perm_tensor.size != rank:
        raise UnsupportedOperator(f"a permutation of {perm_tensor.dtype}{list(perm_tensor.shape)} for a "
                                  f"rank-{rank} input (TFLM takes {rank} int32 values)")
    perm = [int(p) for p in np.asarray(perm_tensor.data).reshape(-1)]
    if sorted(perm) != list(range(rank)):
        raise UnsupportedOperator(f"permutation {perm}, which is not one of the dimensions 0..{rank - 1}")
    if tuple(y.shape) != tuple(x.shape[p] for p in perm):
        raise UnsupportedOperator(f"an output of shape {list(y.shape)}; permuting {list(x.shape)} by {perm} "
                                  f"gives {[x.shape[p] for p in perm]}")
    dims, strides = walk(x.shape, perm)
    return strided_copy(np.dtype(x.dtype).itemsize, 0, dims, strides, x, y)


# Below four rows or four columns a plane has no whole 4x4 block, and the walk is as fast.
BLOCK = 4


def optimize(op, graph, call: KernelCall) -> KernelCall | str:
    """int8 whose walk ends in a plane transpose (the input contiguous along the output's
    second-innermost dimension, strided along its innermost), in 4x4 byte blocks of word loads
    and stores (emu/firmware/kernels/optimized/transpose_dsp.c); or why not."""
    p = call.params
    if p["element"] != 1:
        return f"{p['element']}-byte elements: the DSP kernel moves int8 (single bytes) in 4x4 blocks"
    if p["strides"][-1] == 1 or p["strides"][-2] != 1:
        return ("the walk ends in no plane transpose (input step 1 along the output's second-innermost "
                "dimension and not along its innermost)")
    if p["dims"][-1] < BLOCK or p["dims"][-2] < BLOCK:
        return f"a plane of {p['dims'][-2]}x{p['dims'][-1]}, with no whole {BLOCK}x{BLOCK} block"
    return replace(call, function="emu_transpose_s8_dsp", header="transpose_dsp.h", path="transpose/4x4-dsp")


def helium(op, graph, call: KernelCall) -> KernelCall | str:
    """The walks the DSP kernel takes, in blocks of 4 output rows by 16 columns: sixteen word
    loads de-interleaved by VLD4 into four rows' vector stores
    (emu/firmware/kernels/optimized/transpose_mve.c); or why not."""
    dsp = optimize(op, graph, call)
    if isinstance(dsp, str):
        return dsp  # the same reason: the Helium kernel takes the DSP kernel's walks
    return replace(dsp, function="emu_transpose_s8_mve", header="transpose_mve.h", path="transpose/4x16-mve")


def strided_copy(element: int, offset: int, dims: list[int], strides: list[int], x, y) -> KernelCall:
    """The call of emu/firmware/kernels/strided_copy.c: the walk from `offset` copied to y in order."""
    return KernelCall("emu_strided_copy", "strided_copy.h", "emu_strided_copy_params",
                      {"element": element, "offset": offset, "dims": dims, "strides": strides},
                      [x.index, y.index])


def walk(shape: tuple[int, ...], perm: list[int]) -> tuple[list[int], list[int]]:
    """The output's dimensions, the input's in the order of `perm`, as the copy walks them."""
    step = [math.prod(shape[i + 1:]) for i in range(len(shape))]
    return walk_of([(shape[p], step[p]) for p in perm])


def walk_of(axes: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """The output's dimensions, given as (extent, input step) pairs outermost first, as the copy
    walks them, padded at the front to MAX_RANK: size-1 dimensions dropped, and a dimension
    merged into the one before it where the input holds the two one after the other, so the
    loops stay few and long."""
    pairs: list[list[int]] = []
    for extent, stride in axes:
        if extent == 1:
            continue
        if pairs and pairs[-1][1] == stride * extent:
            pairs[-1] = [pairs[-1][0] * extent, stride]
        else:
            pairs.append([extent, stride])
    pairs = [[1, 0]] * (MAX_RANK - len(pairs)) + pairs
    return [e for e, _ in pairs], [s for _, s in pairs]
