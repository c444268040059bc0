"""FULLY_CONNECTED: the compile-time half of emu/firmware/kernels/fully_connected.c."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from emu.compile.kernel_call import ConstArray, KernelCall, UnsupportedOperator
from emu.compile.ops.conv_2d import TYPES as WINDOW_TYPES
from emu.compile.ops.conv_2d import (
    channel_multipliers,
    float_range,
    fold_bias,
    int8_range,
    int16_operands,
    kind,
    rescale_arrays,
    s16_packed_bytes,
    with_exact_rescale,
    zero_point,
)
from emu.compile.quant import quantize_multiplier
from emu.compile.sparse import FORMAT as SPARSE
from emu.compile.sparse import sparse_params
from emu.model.graph import Graph, Operator, Tensor

OPERATORS = ("FULLY_CONNECTED",)
TYPES = WINDOW_TYPES  # conv_2d.kind() checks them


def tensor_multiplier(x: Tensor, w: Tensor, y: Tensor, units: int) -> dict:
    """One rescale for the whole tensor, repeated per unit. TFLM multiplies the two scales in
    float32 before widening to double here (GetQuantizedConvolutionMultipler), unlike the
    per-channel form; the float32 rounding changes the low bits of the multiplier, so it is
    reproduced."""
    product = np.float32(x.quantization.scale[0]) * np.float32(w.quantization.scale[0])
    return rescale_arrays([quantize_multiplier(float(product) / y.quantization.scale[0])] * units)


def lower(op: Operator, graph: Graph) -> KernelCall:
    x, w = graph.tensor(op.inputs[0]), graph.tensor(op.inputs[1])
    bias = graph.tensor(op.inputs[2]) if len(op.inputs) > 2 else None
    y = graph.tensor(op.outputs[0])
    if op.options.get("weights_format", 0) != 0:
        raise UnsupportedOperator("shuffled weight formats are not supported")
    if not w.is_constant:
        raise UnsupportedOperator("the weights must be a constant tensor")
    if bias is not None and not bias.is_constant:
        raise UnsupportedOperator("the bias must be a constant tensor")
    dtype = kind(op, graph, w)
    if len(w.shape) != 2:
        raise UnsupportedOperator(f"weights must be 2-D [units, depth], got {w.shape}")
    units, depth = (int(d) for d in w.shape)
    if depth <= 0 or x.size % depth or y.size != (x.size // depth) * units:
        raise UnsupportedOperator(f"weights {w.shape} do not fit input {x.shape} and output {y.shape}")
    geometry = {"batches": x.size // depth, "depth": depth, "units": units}
    macs = geometry["batches"] * units * depth
    if dtype == "float32":
        return KernelCall("emu_fully_connected_f32", "fully_connected.h", "emu_fully_connected_f32_params",
                          {**geometry, **float_range(op)},
                          [op.inputs[0], op.inputs[1], bias.index if bias else None, op.outputs[0]], macs=macs)

    if w.quantization is None:
        raise UnsupportedOperator("int8 weights without quantization parameters")
    if w.quantization.per_channel:
        rescale = channel_multipliers(x, w, y, units, axis=0)
    else:
        channel_multipliers(x, w, y, units, axis=0)  # the same checks on the weights
        rescale = tensor_multiplier(x, w, y, units)
    if dtype == "int16":
        return KernelCall("emu_fully_connected_s16", "fully_connected.h", "emu_fully_connected_s16_params",
                          {**geometry, **int16_operands(op, x, bias, y, units, rescale)},
                          [op.inputs[0], op.inputs[1], op.outputs[0]], macs=macs)
    input_offset = -zero_point(x)
    weight_sums = w.data.astype(np.int64).sum(axis=1)
    params = {
        **geometry, "output_offset": zero_point(y), **int8_range(op, y), **rescale,
        "folded_bias": fold_bias(bias, weight_sums, input_offset),
    }
    return KernelCall("emu_fully_connected_s8", "fully_connected.h", "emu_fully_connected_s8_params",
                      params, [op.inputs[0], op.inputs[1], op.outputs[0]], macs=macs)


def sparse(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | None:
    """The sparse-bitmap form of pruned int8 weights (emu/compile/sparse.py), given the dense
    reference call; or None when the form takes no fewer bytes."""
    if call.function != "emu_fully_connected_s8":
        return None
    p = call.params
    form = sparse_params(graph, op.inputs[1], graph.tensor(op.inputs[1]).data.reshape(p["units"], p["depth"]))
    if form is None:
        return None
    arrays, size, nonzero = form
    return KernelCall("emu_fully_connected_sparse_s8", "fully_connected_sparse.h",
                      "emu_fully_connected_sparse_s8_params", {**p, **arrays}, [op.inputs[0], op.outputs[0]],
                      filter_storage=(SPARSE, size), path="fully_connected/sparse", macs=p["batches"] * nonzero)


def _unoptimized_reason(call: KernelCall) -> str | None:
    if call.function == "emu_fully_connected_f32":
        return "float32: the optimized kernels are int8"
    return None


def _with_exact_rescale(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | str:
    return with_exact_rescale(call, graph.tensor(op.inputs[1]).data.reshape(call.params["units"], -1))


def arranged_weights(weights: np.ndarray) -> np.ndarray:
    """Weights [units, depth] as emu_fully_connected_s8_dsp4 reads them: for each four units,
    for each four inputs, the four units' four weights (16 bytes, four word loads); then each of
    the four units' last depth % 4 weights; then the last units % 4 rows as they are. The
    same bytes, reordered: each group of four units takes 4 * depth bytes, so every group
    starts word-aligned."""
    units, depth = weights.shape
    grouped, body = units // 4 * 4, depth // 4 * 4
    groups = weights[:grouped].reshape(grouped // 4, 4, depth)
    words = groups[:, :, :body].reshape(grouped // 4, 4, body // 4, 4).transpose(0, 2, 1, 3)
    tails = groups[:, :, body:]
    arranged = np.concatenate([words.reshape(grouped // 4, 4 * body),
                               tails.reshape(grouped // 4, 4 * (depth - body))], axis=1)
    return np.concatenate([arranged.reshape(-1), weights[grouped:].reshape(-1)]).astype(np.int8)


def shared_rescale(params: dict) -> dict:
    """The rescale operands of emu_fully_connected_s8_dsp4: where every unit has the same multiplier
    and the same shift, below zero, and the activation range is all of int8 (a per-tensor layer,
    the usual kind), the tables shrink to that one entry and shared_rescale is 1, so that the
    kernel reads them once per call, rescales without a branch and clamps with one SSAT (and the
    tables leave flash); otherwise the per-unit tables, and 0."""
    multiplier, shift = (np.asarray(params[k].values) for k in ("multiplier", "shift"))
    if ((multiplier == multiplier[0]).all() and (shift == shift[0]).all() and shift[0] < 0
            and (params["act_min"], params["act_max"]) == (-128, 127)):
        return {"multiplier": ConstArray("int32_t", multiplier[:1]), "shift": ConstArray("int8_t", shift[:1]),
                "shared_rescale": 1}
    return {"shared_rescale": 0}


def _int16_form(call: KernelCall, form: str) -> KernelCall:
    """The 16x8 call with its optimized kernel (emu/firmware/kernels/optimized/int16_dsp.c or int16_mve.c); the
    DSP kernel packs each input row into scratch."""
    return replace(call, function=f"emu_fully_connected_s16_{form}", header=f"int16_{form}.h",
                   path=f"fully_connected/{form}-s16",
                   scratch_bytes=s16_packed_bytes(call.params["depth"]) if form == "dsp" else 0)


def optimize(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | str:
    """int8 with SMLAD (emu/firmware/kernels/optimized/fully_connected_dsp.c): four units per
    pass over weights the compiler arranges for it, or two per pass over weights decoded at run time, which
    keep the model's layout; int16 (16x8) two units per pass with SMLAD on packed int16 pairs
    (emu/firmware/kernels/optimized/int16_dsp.c); or why not."""
    if call.function == "emu_fully_connected_s16":
        return _int16_form(call, "dsp")
    call = _unoptimized_reason(call) or _with_exact_rescale(op, graph, call)
    if isinstance(call, str):
        return call
    if op.inputs[1] in graph.writers:
        return replace(call, function="emu_fully_connected_s8_dsp", header="fully_connected_dsp.h",
                       path="fully_connected/rows-dsp")
    # The arranged weights replace the model's in flash, byte for byte.
    units = call.params["units"]
    call = replace(call, params={**call.params, **shared_rescale(call.params)})
    arranged = ConstArray("int8_t", arranged_weights(graph.tensor(op.inputs[1]).data.reshape(units, -1)))
    return replace(call, function="emu_fully_connected_s8_dsp4", header="fully_connected_dsp.h",
                   path="fully_connected/dsp", args=[call.args[0], arranged, *call.args[2:]],
                   filter_storage=("int8", arranged.values.nbytes))


def helium(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | str:
    """int8 with VMLADAVA (emu/firmware/kernels/optimized/fully_connected_mve.c); int16 (16x8)
    with VMLALDAVA into 64-bit sums (emu/firmware/kernels/optimized/int16_mve.c); or why not."""
    if call.function == "emu_fully_connected_s16":
        return _int16_form(call, "mve")
    call = _unoptimized_reason(call) or _with_exact_rescale(op, graph, call)
    if isinstance(call, str):
        return call
    return replace(call, function="emu_fully_connected_s8_mve", header="fully_connected_mve.h",
                   path="fully_connected/mve")
