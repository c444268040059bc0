"""SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND on rank-3 and rank-4 tensors, int8 and float32.

These are what a dilated convolution becomes when the converter does not fold it into the
convolution's dilation: the input cut into block_h x block_w interleaved batches (padded),
a plain convolution, and the batches put back (cropped). TFLM takes float32 and int8,
inputs of 3 or 4 dimensions (NHC read as NH1C) and the block shape and paddings or crops as
int32 tensors; emu also needs those constant. Values are copied as they are; padding is
bytes of 0, as in TFLM's kernel, whose pad value is never set from the zero point.
"""

from __future__ import annotations

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator

OPERATORS = ("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND")

TYPES = ("float32", "int8")  # TFLM's space_to_batch_nd.cc, batch_to_space_nd.cc
RANKS = (3, 4)


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    block_tensor, edges_tensor = graph.tensors[op.inputs[1]], graph.tensors[op.inputs[2]]
    edges = "paddings" if op.op == "SPACE_TO_BATCH_ND" else "crops"
    if x.dtype not in TYPES:
        raise UnsupportedOperator(f"{x.dtype} tensors (TFLM's kernel takes {', '.join(TYPES)})")
    if y.dtype != x.dtype:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (TFLM needs the input's type)")
    rank = len(x.shape)
    if rank not in RANKS or len(y.shape) != rank:
        raise UnsupportedOperator(f"rank {rank} -> {len(y.shape)} (TFLM takes 3 or 4 dimensions, the same out)")
    spatial = rank - 2
    for tensor, what, count in ((block_tensor, "block shape", spatial), (edges_tensor, edges, 2 * spatial)):
        if not tensor.is_constant:
            raise UnsupportedOperator(f"a {what} computed at run time")
        if tensor.dtype != "int32" or tensor.size != count:
            raise UnsupportedOperator(f"a {what} of {tensor.dtype}{list(tensor.shape)} for a rank-{rank} input "
                                      f"(TFLM reads {count} int32 values)")
    block = [int(v) for v in np.asarray(block_tensor.data).reshape(-1)]
    pairs = [int(v) for v in np.asarray(edges_tensor.data).reshape(-1)]
    if min(block) < 1:
        raise UnsupportedOperator(f"block shape {block} (TFLM divides by it)")
    # NHC is NH1C with a block width of 1
    in_shape = list(x.shape) if rank == 4 else [x.shape[0], x.shape[1], 1, x.shape[2]]
    out_shape = list(y.shape) if rank == 4 else [y.shape[0], y.shape[1], 1, y.shape[2]]
    block_w, left = (block[1], pairs[2]) if rank == 4 else (1, 0)
    if in_shape[3] != out_shape[3]:
        raise UnsupportedOperator(f"{in_shape[3]} channels in, {out_shape[3]} out")
    batches = out_shape[0] if op.op == "SPACE_TO_BATCH_ND" else in_shape[0]
    fewer = in_shape[0] if op.op == "SPACE_TO_BATCH_ND" else out_shape[0]
    if fewer == 0 or batches != fewer * block[0] * block_w:
        raise UnsupportedOperator(f"{in_shape[0]} batches in and {out_shape[0]} out with block shape {block}")
    params = {
        "input_batch": in_shape[0], "input_height": in_shape[1], "input_width": in_shape[2],
        "output_batch": out_shape[0], "output_height": out_shape[1], "output_width": out_shape[2],
        "block_height": block[0], "block_width": block_w, "top": pairs[0], "left": left,
        "pixel_bytes": in_shape[3] * np.dtype(x.dtype).itemsize,
    }
    function = "emu_space_to_batch" if op.op == "SPACE_TO_BATCH_ND" else "emu_batch_to_space"
    return KernelCall(function, "space_batch.h", "emu_space_batch_params", params, [x.index, y.index],
                      path=f"{op.op.lower()}/reference")
