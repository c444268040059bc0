"""MEAN and SUM over constant axes, int8, int16 and float32.

int8 and int16 follow TFLM's integer mean (one code path for both): the int32 sum, less count * input zero point, is
rescaled once by input_scale / output_scale with 1/count folded into the multiplier
(multiplier * 2^s // count, shift - s, with s = floor(log2(count)) capped to keep the
multiplier and shift valid). SUM is the same sum rescaled by input_scale / output_scale
alone (TFLM's QuantizedMeanOrSum with compute_sum), and in float32 the sum undivided: both
run MEAN's kernels.
"""

from __future__ import annotations

import math

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.quant import quantize_multiplier

OPERATORS = ("MEAN", "SUM")
TYPES = ("float32", "int8", "int16")

MAX_RANK = 6  # EMU_MEAN_MAX_RANK


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    axes_tensor = graph.tensor(op.inputs[1])
    if axes_tensor is None or not axes_tensor.is_constant:
        raise UnsupportedOperator("axes computed at run time")
    if x.dtype != y.dtype or x.dtype not in TYPES:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (supported: {', '.join(TYPES)})")
    rank = len(x.shape)
    axes = {int(a) + rank if int(a) < 0 else int(a) for a in np.asarray(axes_tensor.data).reshape(-1)}
    if any(not 0 <= a < rank for a in axes):
        raise UnsupportedOperator(f"axes {sorted(axes)} of a rank-{rank} input")
    params = reduction_geometry(x.shape, axes)
    args = [x.index, y.index]
    is_sum = op.op == "SUM"
    if x.dtype == "float32":
        # x / 1.0f is x: SUM is the float mean with divisor 1
        params.update(divisor=1.0 if is_sum else float(params["count"]))
        return KernelCall("emu_mean_f32", "mean.h", "emu_mean_f32_params", params, args)
    for t in (x, y):
        if t.quantization is None or t.quantization.per_channel:
            raise UnsupportedOperator(f"{x.dtype} tensors need one scale and zero point")
    multiplier, shift = quantize_multiplier(x.quantization.scale[0] / y.quantization.scale[0])
    if not is_sum:
        multiplier, shift = fold_reciprocal_count(multiplier, shift, params["count"])
    params.update(input_zero_point=x.quantization.zero_point[0], output_zero_point=y.quantization.zero_point[0],
                  multiplier=multiplier, shift=shift)
    suffix = {"int8": "s8", "int16": "s16"}[x.dtype]
    return KernelCall(f"emu_mean_{suffix}", "mean.h", f"emu_mean_{suffix}_params", params, args)


def fold_reciprocal_count(multiplier: int, shift: int, count: int) -> tuple[int, int]:
    """Multiplier and shift that also divide by count, as TFLM's integer mean folds them."""
    s = count.bit_length() - 1
    s = min(s, 32, 31 + shift)
    return (multiplier << s) // count, shift - s


def reduction_geometry(shape, axes: set[int]) -> dict:
    """Kept and reduced dimensions of a contiguous input, merged and with their strides."""
    strides, step = [0] * len(shape), 1
    for d in reversed(range(len(shape))):
        strides[d] = step
        step *= shape[d]
    groups = {True: [], False: []}  # reduced? -> [extent, stride], outermost first
    last_kind = None
    for d, extent in enumerate(shape):
        if extent == 1:
            continue  # a unit dimension is the same kept or reduced
        kind = d in axes
        group = groups[kind]
        if last_kind == kind:  # neighbours in a contiguous tensor: one longer dimension
            group[-1] = [group[-1][0] * extent, strides[d]]
        else:
            group.append([extent, strides[d]])
        last_kind = kind
    kept, reduced = groups[False], groups[True]
    if len(kept) > MAX_RANK or len(reduced) > MAX_RANK:
        raise UnsupportedOperator(f"more than {MAX_RANK} alternating kept and reduced dimensions")
    return {
        "kept_rank": len(kept),
        "reduced_rank": len(reduced),
        "kept_shape": _padded([g[0] for g in kept], 1),
        "kept_stride": _padded([g[1] for g in kept], 0),
        "reduced_shape": _padded([g[0] for g in reduced], 1),
        "reduced_stride": _padded([g[1] for g in reduced], 0),
        "outputs": math.prod(g[0] for g in kept),
        "count": math.prod(g[0] for g in reduced),
    }


def _padded(values: list[int], fill: int) -> list[int]:
    return values + [fill] * (MAX_RANK - len(values))
