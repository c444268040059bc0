"""DYNAMIC_UPDATE_SLICE: the operand with a box overwritten by the update, at a corner read at
run time and clamped into the operand, as TFLM's kernel does
(emu/firmware/kernels/dynamic_update_slice.c).

TFLM takes float32, int8, int16 and int32 operands of at most six dimensions, an update of
the same type and rank no larger along any axis, and one int32 or int64 start per dimension;
elements are copied as they are.
"""

from __future__ import annotations

import math

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator

OPERATORS = ("DYNAMIC_UPDATE_SLICE",)

TYPES = ("float32", "int8", "int16", "int32")  # TFLM's dynamic_update_slice.cc
MAX_RANK = 6  # TFLM's kMaxDimensions (RuntimeShape::kMaxSmallSize); EMU_DYNAMIC_UPDATE_SLICE_MAX_RANK


def lower(op, graph) -> KernelCall:
    operand, update, start, y = (graph.tensors[i] for i in (*op.inputs[:3], op.outputs[0]))
    if operand.dtype not in TYPES:
        raise UnsupportedOperator(f"{operand.dtype} tensors (TFLM's kernel takes {', '.join(TYPES)})")
    if update.dtype != operand.dtype or y.dtype != operand.dtype or tuple(y.shape) != tuple(operand.shape):
        raise UnsupportedOperator(f"an update of {update.dtype} and an output of {y.dtype}{list(y.shape)} for "
                                  f"an operand of {operand.dtype}{list(operand.shape)} (TFLM needs all alike)")
    rank = len(operand.shape)
    if rank > MAX_RANK:
        raise UnsupportedOperator(f"an operand of {rank} dimensions (TFLM takes at most {MAX_RANK})")
    if len(update.shape) != rank or any(u > n for u, n in zip(update.shape, operand.shape, strict=True)):
        raise UnsupportedOperator(f"an update of shape {list(update.shape)} for an operand of shape "
                                  f"{list(operand.shape)} (TFLM needs the same rank, no larger along any axis)")
    if start.dtype not in ("int32", "int64") or list(start.shape) != [rank]:
        raise UnsupportedOperator(f"start indices of {start.dtype}{list(start.shape)} (TFLM takes {rank} int32 "
                                  "or int64)")
    pad = MAX_RANK - rank
    return KernelCall("emu_dynamic_update_slice", "dynamic_update_slice.h", "emu_dynamic_update_slice_params", {
        "rank": rank,
        "operand_dims": list(operand.shape) + [1] * pad,
        "update_dims": list(update.shape) + [1] * pad,
        "operand_steps": _steps(operand.shape) + [1] * pad,
        "update_steps": _steps(update.shape) + [1] * pad,
        "operand_elements": operand.size,
        "update_elements": update.size,
        "element_bytes": np.dtype(operand.dtype).itemsize,
        "start_bytes": np.dtype(start.dtype).itemsize,
    }, [operand.index, update.index, start.index, y.index], inplace=True)


def _steps(shape) -> list[int]:
    return [math.prod(shape[i + 1:]) for i in range(len(shape))]
