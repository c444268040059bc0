"""CONV_2D: the compile-time half of the kernel in emu/firmware/kernels/conv_2d.c.

Also home to the helpers the other window operators share (padding, per-channel
multipliers, the checks that pick between int8 and float32).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from emu.compile.constant_channels import CONSTANT_SHIFT, exact_rescale, skip_constant_channels
from emu.compile.kernel_call import ConstArray, KernelCall, UnsupportedOperator
from emu.compile.overlap import nhwc_streaming_lead
from emu.compile.quant import activation_range_float, activation_range_int8, quantize_multiplier
from emu.compile.sparse import FORMAT as SPARSE
from emu.compile.sparse import sparse_params
from emu.model.graph import Graph, Operator, Tensor

OPERATORS = ("CONV_2D",)
# Activations and filters of one of these types, checked by kind() for every window operator.
TYPES = ("float32", "int8", "int16")
# The weights each activation type takes: int16 activations (16x8) have int8 weights.
WEIGHT_TYPES = {"float32": "float32", "int8": "int8", "int16": "int8"}

INT16_MAX = 2**15 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
FLOAT_MAX = float(np.finfo(np.float32).max)


# ---- shared by the window operators ------------------------------------------------------

def output_size(padding: str, size: int, filter_size: int, stride: int, dilation: int = 1) -> int:
    effective = (filter_size - 1) * dilation + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size - effective + stride) // stride


def padding_before(padding: str, size: int, filter_size: int, stride: int, dilation: int = 1) -> int:
    """Padding ahead of the first row or column, as TFLM computes it: half the total, rounded down
    (the odd pixel, if any, goes after the last row)."""
    out = output_size(padding, size, filter_size, stride, dilation)
    effective = (filter_size - 1) * dilation + 1
    total = (out - 1) * stride + effective - size
    return max(total, 0) // 2


def inner_range(out_size: int, pad: int, stride: int, in_size: int, filter_size: int, dilation: int) -> tuple[int, int]:
    """Output positions [lo, hi) whose whole window (filter_size taps, dilation apart) is inside
    the input; an empty range is (0, 0)."""
    span = (filter_size - 1) * dilation
    lo = -(-pad // stride)  # first o with o * stride - pad >= 0
    last = (in_size - 1 - span + pad)  # o * stride <= last
    hi = last // stride + 1 if last >= 0 else 0
    hi = min(hi, out_size)
    return (lo, hi) if lo < hi else (0, 0)


def activation(op: Operator) -> str:
    name = op.options.get("fused_activation_function", "NONE")
    if name not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
        raise UnsupportedOperator(f"fused activation {name} is not supported")
    return name


def float_range(op: Operator) -> dict:
    """Float activation bounds; no activation clamps at +-FLT_MAX like TFLM's lowest()/max()."""
    lo, hi = activation_range_float(activation(op))
    return {"act_min": max(lo, -FLOAT_MAX), "act_max": min(hi, FLOAT_MAX)}


def kind(op: Operator, graph: Graph, weights: Tensor) -> str:
    """'int8', 'int16' (16-bit activations, 8-bit weights) or 'float32', after rejecting the
    forms emu does not run."""
    x = graph.tensor(op.inputs[0])
    y = graph.tensor(op.outputs[0])
    if x.dtype == "float32" and weights is not None and weights.dtype in ("int8", "uint8", "int4"):
        raise UnsupportedOperator(
            f"hybrid (dynamic-range quantized) models are not supported: {op.op} takes float32 "
            f"activations with {weights.dtype} weights; TFLM rejects them too. Quantize the whole "
            "model to int8 (full-integer quantization) or keep it float32")
    weight_type = WEIGHT_TYPES.get(x.dtype)
    if x.dtype == y.dtype and x.dtype in TYPES and (weights is None or weights.dtype == weight_type):
        if x.dtype != "float32" and (x.quantization is None or y.quantization is None):
            raise UnsupportedOperator(f"{x.dtype} tensors without quantization parameters")
        return x.dtype
    types = "/".join(t.dtype for t in (x, weights, y) if t is not None)
    raise UnsupportedOperator(f"{types} tensors are not supported (int8, int16 with int8 weights, or float32)")


def zero_point(t: Tensor) -> int:
    return int(t.quantization.zero_point[0])


def channel_multipliers(x: Tensor, weights: Tensor, y: Tensor, channels: int, axis: int) -> dict:
    """Per-output-channel fixed-point rescale input_scale * filter_scale[c] / output_scale,
    computed in double from the float32 scales (TFLM's PopulateConvolutionQuantizationParams).
    Per-tensor weights repeat their one scale: the kernels always index by channel."""
    q = weights.quantization
    if q is None:
        raise UnsupportedOperator("int8 weights without quantization parameters")
    if any(z != 0 for z in q.zero_point):
        raise UnsupportedOperator("int8 weights must be symmetric (zero point 0)")
    scales = q.scale
    if len(scales) > 1 and (len(scales) != channels or q.axis != axis):
        raise UnsupportedOperator(
            f"per-channel weights quantized along axis {q.axis} with {len(scales)} scales; expected axis {axis}")
    in_scale, out_scale = x.quantization.scale[0], y.quantization.scale[0]
    pairs = [quantize_multiplier(in_scale * float(s) / out_scale) for s in scales]
    return rescale_arrays(pairs * channels if len(pairs) == 1 else pairs)


def rescale_arrays(pairs: list[tuple[int, int]]) -> dict:
    return {
        "multiplier": ConstArray("int32_t", np.array([m for m, _ in pairs], dtype=np.int32)),
        "shift": ConstArray("int8_t", np.array([s for _, s in pairs], dtype=np.int8)),
    }


def int8_range(op: Operator, y: Tensor) -> dict:
    lo, hi = activation_range_int8(activation(op), y.quantization.scale[0], zero_point(y))
    return {"act_min": lo, "act_max": hi}


def int16_range(op: Operator, y: Tensor) -> dict:
    lo, hi = activation_range_int8(activation(op), y.quantization.scale[0], zero_point(y), (-32768, 32767))
    return {"act_min": lo, "act_max": hi}


# TFLM's 64-bit rescale (MultiplyByQuantizedMultiplier on int64) takes shifts below this.
S64_MAX_SHIFT = 7


def int16_operands(op: Operator, x: Tensor, bias: Tensor | None, y: Tensor, channels: int,
                   rescale: dict, int32_bias_allowed: bool = True) -> dict:
    """What the 16x8 kernels take besides the geometry: the bias widened to int64 (zeros when
    there is none), whether TFLM sums in int32 (an int32 bias, or none with an int32
    quantized_bias_type), and the clamp. TFLM's 16x8 kernels have no input or output offset,
    so the zero points must be 0, as the converter makes them."""
    if zero_point(x) != 0 or zero_point(y) != 0:
        raise UnsupportedOperator("int16 activations need zero point 0")
    if bias is not None and bias.dtype not in ("int32", "int64"):
        raise UnsupportedOperator(f"{bias.dtype} bias with int16 activations (int64 or int32 only)")
    accumulate_32 = bias.dtype == "int32" if bias is not None else op.options.get("quantized_bias_type", 0) == 2
    if accumulate_32 and not int32_bias_allowed:
        raise UnsupportedOperator("int32 bias with int16 activations: TFLM's kernel reads the bias as int64")
    if not accumulate_32 and int(np.max(rescale["shift"].values, initial=0)) > S64_MAX_SHIFT:
        raise UnsupportedOperator(f"a rescale shift above {S64_MAX_SHIFT}: TFLM's 64-bit rescale does not take it")
    values = bias.data.astype(np.int64).reshape(-1) if bias is not None else np.zeros(channels, dtype=np.int64)
    if values.size != channels:
        raise UnsupportedOperator(f"bias of {values.size} values for {channels} channels")
    return {**int16_range(op, y), "accumulate_32": int(accumulate_32), "bias": ConstArray("int64_t", values),
            **rescale}


def fold_bias(bias: Tensor | None, weight_sums: np.ndarray, input_offset: int) -> ConstArray:
    """bias + input_offset * sum(weights) per output channel; exact, it must fit int32."""
    folded = weight_sums.astype(np.int64) * input_offset
    if bias is not None:
        if bias.dtype != "int32":
            raise UnsupportedOperator(f"{bias.dtype} bias with int8 weights is not supported (int32 only)")
        folded = folded + bias.data.astype(np.int64).reshape(-1)
    if folded.min(initial=0) < INT32_MIN or folded.max(initial=0) > INT32_MAX:
        raise UnsupportedOperator("bias plus input offset times the weights overflows int32")
    return ConstArray("int32_t", folded.astype(np.int32))


def with_exact_rescale(call: KernelCall, rows: np.ndarray) -> KernelCall | str:
    """The call with the folded bias, multipliers and shifts the optimized kernels' rescale is
    exact with (emu/compile/constant_channels.py; rows [channels, weights]: each output
    channel's filter), or why it cannot have them."""
    exact = exact_rescale(call.params, rows)
    return exact if isinstance(exact, str) else replace(call, params={**call.params, **exact})


def check_int16(**values: int) -> None:
    for name, v in values.items():
        if not -INT16_MAX <= v <= INT16_MAX:
            raise UnsupportedOperator(f"{name} = {v} is larger than the kernels support ({INT16_MAX})")


def nhwc(t: Tensor, what: str) -> tuple[int, int, int, int]:
    if len(t.shape) != 4:
        raise UnsupportedOperator(f"{what} must be 4-D (NHWC), got shape {t.shape}")
    return tuple(int(d) for d in t.shape)


# ---- CONV_2D -----------------------------------------------------------------------------

def filter_operands(op: Operator, graph: Graph) -> tuple[Tensor, Tensor, Tensor | None, Tensor, str]:
    """Input, constant filter, constant bias (or None), output and the arithmetic type of
    a convolution-like operator."""
    x, w = graph.tensor(op.inputs[0]), graph.tensor(op.inputs[1])
    bias = graph.tensor(op.inputs[2]) if len(op.inputs) > 2 else None
    y = graph.tensor(op.outputs[0])
    if not w.is_constant:
        raise UnsupportedOperator("the filter must be a constant tensor")
    if bias is not None and not bias.is_constant:
        raise UnsupportedOperator("the bias must be a constant tensor")
    return x, w, bias, y, kind(op, graph, w)


def window_options(op: Operator) -> tuple[int, int, int, int, str]:
    """stride_h, stride_w, dilation_h, dilation_w, padding of a windowed operator."""
    o = op.options
    return (o.get("stride_h", 1), o.get("stride_w", 1), o.get("dilation_hfactor", 1),
            o.get("dilation_wfactor", 1), o.get("padding", "VALID"))


def lower(op: Operator, graph: Graph) -> KernelCall:
    x, w, bias, y, dtype = filter_operands(op, graph)
    n, ih, iw, ic = nhwc(x, "input")
    oc, fh, fw, fc = nhwc(w, "filter")
    _, oh, ow, yc = nhwc(y, "output")
    sh, sw, dh, dw, padding = window_options(op)
    if yc != oc or fc <= 0 or ic % fc or oc % (ic // fc):
        raise UnsupportedOperator(f"filter {w.shape} does not fit input {x.shape} and output {y.shape}")
    if (output_size(padding, ih, fh, sh, dh), output_size(padding, iw, fw, sw, dw)) != (oh, ow):
        raise UnsupportedOperator(f"output {y.shape} does not match {padding} padding of {x.shape}")
    geometry = {
        "batches": n, "input_h": ih, "input_w": iw, "input_c": ic,
        "output_h": oh, "output_w": ow, "output_c": oc,
        "filter_h": fh, "filter_w": fw, "filter_c": fc,
        "stride_h": sh, "stride_w": sw, "dilation_h": dh, "dilation_w": dw,
        "pad_h": padding_before(padding, ih, fh, sh, dh), "pad_w": padding_before(padding, iw, fw, sw, dw),
    }
    check_int16(**geometry)
    macs = n * oh * ow * oc * fh * fw * fc
    args = [op.inputs[0], op.inputs[1]]
    # Every conv kernel writes output pixels in order (pairs write after both are read) and
    # reads only input rows from oy*stride - pad on, so its output may overlap its input.
    lead = nhwc_streaming_lead(x, y, sh, geometry["pad_h"])
    if dtype == "float32":
        return KernelCall("emu_conv2d_f32", "conv_2d.h", "emu_conv2d_f32_params",
                          {**geometry, **float_range(op)}, [*args, bias.index if bias else None, op.outputs[0]],
                          input_lead=lead, macs=macs)

    if dtype == "int16":
        params = {**geometry, **int16_operands(op, x, bias, y, oc, channel_multipliers(x, w, y, oc, axis=0))}
        return KernelCall("emu_conv2d_s16", "conv_2d.h", "emu_conv2d_s16_params", params, [*args, op.outputs[0]],
                          scratch_bytes=2 * fh * fw * fc, input_lead=lead, macs=macs)
    input_offset = -zero_point(x)
    weight_sums = w.data.astype(np.int64).reshape(oc, -1).sum(axis=1)
    params = {
        **geometry, "input_offset": input_offset, "output_offset": zero_point(y), **int8_range(op, y),
        **channel_multipliers(x, w, y, oc, axis=0),
        "folded_bias": fold_bias(bias, weight_sums, input_offset),
    }
    if fh == fw == 1 and fc == ic:  # 1x1 windows never pad and are already contiguous
        return KernelCall("emu_conv2d_1x1_s8", "conv_2d.h", "emu_conv2d_s8_params", params, [*args, op.outputs[0]],
                          input_lead=lead, macs=macs)
    window = fh * fw * fc
    return KernelCall("emu_conv2d_s8", "conv_2d.h", "emu_conv2d_s8_params", params, [*args, op.outputs[0]],
                      scratch_bytes=2 * window, input_lead=lead, macs=macs)


DSP_RESCALE_BYTES = 12  # one channel's rescale in scratch (EMU_DSP_RESCALE_BYTES, emu_dsp.h)
DSP_SHORT_MAX_RIGHT = 22  # EMU_DSP_SHORT_MAX_RIGHT (emu_dsp.h): the short rescale's largest right shift
DSP_LIVE_CHANNEL_BYTES = 16  # a channel's folded bias and rescale in conv_2d_dsp.c's scratch (live_channel)


def dsp_scratch_bytes(channels: int, window: int, gathered: bool) -> int:
    """Scratch of the optimized kernels (emu/firmware/kernels/optimized/conv_2d_dsp.c): each channel's
    folded bias and rescale and its place in the list of live then constant channels (two bytes,
    the list a whole number of words), a short group's outputs (three pixels', a whole number of
    words), a group of three pixels' windows expanded to int16, and where a window cannot be
    expanded from the image in place (input channels not a multiple of 4) one gathered int8
    window."""
    return (DSP_LIVE_CHANNEL_BYTES * channels + 4 * ((channels + 1) // 2) + 4 * ((3 * channels + 3) // 4)
            + 6 * (window & ~3) + (window if gathered else 0))


def _filter_rows(op: Operator, graph: Graph) -> np.ndarray:
    w = graph.tensor(op.inputs[1])
    return w.data.reshape(int(w.shape[0]), -1)


def _unoptimized_reason(call: KernelCall) -> str | None:
    """Why a reference CONV_2D call has no optimized form at all, or None when it may have one."""
    if call.function == "emu_conv2d_f32":
        return "float32: the optimized kernels are int8"
    if call.params["filter_c"] != call.params["input_c"]:
        return "grouped convolution: the optimized kernels take one group"
    return None


def sparse(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | None:
    """The sparse-bitmap form of a pruned int8 filter (emu/compile/sparse.py), given the dense
    reference call: the same parameters, the nonzero weights and their bitmap for the filter;
    or None when the form takes no fewer bytes, or the convolution is grouped."""
    if call.function not in ("emu_conv2d_s8", "emu_conv2d_1x1_s8"):
        return None
    p = call.params
    fh, fw, fc, oc = p["filter_h"], p["filter_w"], p["filter_c"], p["output_c"]
    if fc != p["input_c"] or max(fh, fw) >= 256:
        return None
    form = sparse_params(graph, op.inputs[1], graph.tensor(op.inputs[1]).data.reshape(oc, fh * fw * fc))
    if form is None:
        return None
    arrays, size, nonzero = form
    fields = {k: v for k, v in p.items() if k != "filter_c"}
    return KernelCall("emu_conv2d_sparse_s8", "conv_2d_sparse.h", "emu_conv2d_sparse_s8_params",
                      {**fields, **arrays}, [op.inputs[0], op.outputs[0]], filter_storage=(SPARSE, size),
                      scratch_bytes=6 * fh * fw * fc, path="conv_2d/sparse",
                      macs=p["batches"] * p["output_h"] * p["output_w"] * nonzero)


def _skipping_constant_channels(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | str | None:
    """The call with its constant channels marked and their rows left out of a filter of its
    own (emu/compile/constant_channels.py): those channels cost no multiplies and no flash. None
    when no channel is constant, or the filter is written at run time (decoded: its form stays)."""
    if op.inputs[1] in graph.writers:
        return None
    skipped = skip_constant_channels(call.params, _filter_rows(op, graph))
    if skipped is None or isinstance(skipped, str):
        return skipped
    params, rows = skipped
    live = ConstArray("int8_t", rows.reshape(-1).astype(np.int8))
    return replace(call, params={**call.params, **params}, args=[call.args[0], live, *call.args[2:]],
                   filter_storage=("int8", live.values.nbytes))


def s16_packed_bytes(length: int) -> int:
    """Scratch of a window of `length` int16 values packed for the 16x8 DSP kernels
    (emu/firmware/kernels/optimized/int16_dsp.c): two words per four values, never empty."""
    return max(2 * (length & ~3), 4)


def _int16_form(call: KernelCall, form: str) -> KernelCall:
    """The 16x8 call with its optimized kernel (emu/firmware/kernels/optimized/int16_dsp.c or int16_mve.c): 1x1
    filters of one group read each input pixel in place, any other filter a gathered window
    (for the DSP kernel, each window also packed)."""
    p = call.params
    window = p["filter_h"] * p["filter_w"] * p["filter_c"]
    dsp = form == "dsp"
    if p["filter_h"] == p["filter_w"] == 1 and p["filter_c"] == p["input_c"]:
        return replace(call, function=f"emu_conv2d_1x1_s16_{form}", header=f"int16_{form}.h",
                       path=f"conv_2d/1x1-{form}-s16", scratch_bytes=s16_packed_bytes(window) if dsp else 0)
    gathered = 4 * ((window + 1) // 2)  # word-aligned, so that the packed window after it is too
    return replace(call, function=f"emu_conv2d_s16_{form}", header=f"int16_{form}.h",
                   path=f"conv_2d/im2col-{form}-s16",
                   scratch_bytes=gathered + s16_packed_bytes(window) if dsp else 2 * window)


def optimize(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | str:
    """int8, one group, with SMLAD (emu/firmware/kernels/optimized/conv_2d_dsp.c), skipping the
    channels whose output is a constant; int16 (16x8), any grouping, with SMLAD on packed int16
    pairs (emu/firmware/kernels/optimized/int16_dsp.c); or why not."""
    if call.function == "emu_conv2d_s16":
        return _int16_form(call, "dsp")
    reason = _unoptimized_reason(call)
    if reason:
        return reason
    p = call.params
    window = p["filter_h"] * p["filter_w"] * p["filter_c"]
    if window < 4:
        return f"a window of {window} bytes: no word of it to pair up"
    skipping = _skipping_constant_channels(op, graph, call)
    call = skipping if skipping is not None else with_exact_rescale(call, _filter_rows(op, graph))
    if isinstance(call, str):
        return call
    oc = p["output_c"]
    constant = op.inputs[1] not in graph.writers
    # Rows padded to whole words where the window ends in 3 bytes (a 3x3 filter on 3 channels):
    # one more pass of SMLADs costs less than three bytes multiplied one at a time, while for
    # one or two bytes it costs as much or more (and scratch and code).
    padded = call.function == "emu_conv2d_s8" and window % 4 == 3 and constant
    row = window + -window % 4 if padded else window
    if call.function == "emu_conv2d_1x1_s8":
        call = replace(call, function="emu_conv2d_1x1_s8_dsp", header="conv_2d_dsp.h", path="conv_2d/1x1-dsp",
                       scratch_bytes=dsp_scratch_bytes(oc, window, gathered=False))
    else:
        # windows of whole words per input pixel join from the image itself, no gathered copy
        gathered = padded or p["input_c"] % 4 != 0
        call = replace(call, function="emu_conv2d_padded_s8_dsp" if padded else "emu_conv2d_s8_dsp",
                       header="conv_2d_dsp.h", path="conv_2d/im2col-dsp",
                       scratch_bytes=dsp_scratch_bytes(oc, row, gathered=gathered))
    if not constant:  # a filter decoded at run time keeps the model's rows: one channel at a time
        return call
    # the live rows when constant channels are skipped, else the model's
    rows = call.args[1].values if isinstance(call.args[1], ConstArray) else _filter_rows(op, graph)
    rows = rows.reshape(-1, window)
    arranged = ConstArray("int8_t", paired_rows(padded_rows(rows) if padded else rows))
    return replace(call, params={**call.params, "filter_pairs": len(rows) // 2},
                   args=[call.args[0], arranged, *call.args[2:]], filter_storage=("int8", arranged.values.nbytes))


def paired_rows(rows: np.ndarray) -> np.ndarray:
    """Filter rows [channels, row] as the DSP kernels read them (conv_2d_dsp.c): the channels in
    pairs, each pair for every four bytes of the row the first channel's four then the second's,
    then the first's last row % 4 bytes and the second's; an odd last channel's row as it is."""
    n, length = rows.shape
    body, pairs = length & ~3, n // 2
    two = rows[:2 * pairs].reshape(pairs, 2, length)
    words = two[:, :, :body].reshape(pairs, 2, body // 4, 4).transpose(0, 2, 1, 3).reshape(pairs, 2 * body)
    tails = two[:, :, body:].reshape(pairs, 2 * (length - body))
    return np.concatenate([np.concatenate([words, tails], axis=1).reshape(-1), rows[2 * pairs:].reshape(-1)]
                          ).astype(np.int8)


def padded_rows(rows: np.ndarray) -> np.ndarray:
    """Filter rows [channels, window] as emu_conv2d_padded_s8_dsp reads them: each followed by
    zeros up to a whole number of words."""
    pad = -rows.shape[1] % 4
    return np.pad(rows, ((0, 0), (0, pad))).astype(np.int8)


# Input depth up to which the outer-product form of the 1x1 kernel is the faster one: below a
# vector of 16 bytes (measured on person_detect's layers, docs/runtime.md).
MVE_OUTER_MAX_DEPTH = 15


def outer_filter(weights: np.ndarray) -> np.ndarray:
    """A 1x1 filter [oc, 1, 1, ic] as emu_conv2d_1x1_s8_mve_outer reads it: for each group of four
    output channels, for each input channel, the four channels' bytes."""
    oc = weights.shape[0]
    rows = weights.reshape(oc // 4, 4, -1)  # group, channel in group, input channel
    return rows.transpose(0, 2, 1).reshape(-1).astype(np.int8)


# emu/firmware/kernels/optimized/conv_2d_mve.c's arranged forms: the zeros after the last group
# that the read-ahead of a next group's bias reaches.
ACROSS_READ_AHEAD = 16


def across_block(rows: np.ndarray, bias: np.ndarray, multiplier: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """The filter rows [channels, length] (channels a multiple of 4) and their rescale as
    emu_conv2d_1x1_s8_mve_arranged and emu_conv2d_s8_mve_arranged read them: per group of four
    channels, their folded biases (int32, little-endian); for each sixteen bytes of the window,
    the four rows' sixteen bytes in turn, the last length % 16 padded with zeros to sixteen;
    their multipliers (int32); then as bytes the left shifts max(shift, 0), a 1 where the
    shift is negative, and min(shift, 0); then ACROSS_READ_AHEAD zeros."""
    channels, length = rows.shape
    padded = np.zeros((channels, -(-length // 16) * 16), np.int8)
    padded[:, :length] = rows
    parts = []
    for first in range(0, channels, 4):
        group = slice(first, first + 4)
        s = shift[group].astype(np.int64)
        chunks = padded[group].reshape(4, -1, 16).transpose(1, 0, 2).reshape(-1)  # step, channel, byte
        parts += [bias[group].astype("<i4").view(np.int8), chunks, multiplier[group].astype("<i4").view(np.int8),
                  np.maximum(s, 0).astype(np.int8), (s < 0).astype(np.int8), np.minimum(s, 0).astype(np.int8)]
    parts.append(np.zeros(ACROSS_READ_AHEAD, np.int8))
    return np.concatenate(parts)


def _arranged_call(op: Operator, graph: Graph, call: KernelCall, function: str, path: str) -> KernelCall:
    """The call of an arranged form: the block replaces the filter, and carries the rescale (the
    parameters' own arrays are left empty)."""
    q = call.params
    block = across_block(_filter_rows(op, graph), q["folded_bias"].values, q["multiplier"].values, q["shift"].values)
    empty = {"folded_bias": ConstArray("int32_t", np.zeros(0, np.int32)),
             "multiplier": ConstArray("int32_t", np.zeros(0, np.int32)),
             "shift": ConstArray("int8_t", np.zeros(0, np.int8))}
    arranged = ConstArray("int8_t", block)
    return replace(call, function=function, header="conv_2d_mve.h", path=path, params={**q, **empty},
                   args=[call.args[0], arranged, *call.args[2:]], filter_storage=("int8", block.nbytes))


LIVE_FIELDS = ("batches", "input_h", "input_w", "input_c", "output_h", "output_w", "output_c", "stride_h",
               "stride_w", "output_offset", "act_min", "act_max")


def _live_call(call: KernelCall, params: dict, rows: np.ndarray) -> KernelCall:
    """emu_conv2d_1x1_live_s8_mve's call (conv_2d_live_mve.c) for a 1x1 call whose constant
    channels skip_constant_channels marked (params) and whose live rows it kept (rows): the live
    channels in order, the last repeated up to a multiple of 4."""
    shift = params["shift"].values
    live = np.flatnonzero(shift != CONSTANT_SHIFT)
    order = np.concatenate([live, np.repeat(live[-1:], -len(live) % 4)])
    row_of = np.concatenate([np.arange(len(live)), np.repeat(len(live) - 1, -len(live) % 4)])
    constant = np.where(shift == CONSTANT_SHIFT, params["folded_bias"].values, 0)
    filter_rows = ConstArray("int8_t", rows[row_of].reshape(-1).astype(np.int8))
    fields = {k: call.params[k] for k in LIVE_FIELDS}
    return replace(call, function="emu_conv2d_1x1_live_s8_mve", header="conv_2d_live_mve.h",
                   params_type="emu_conv2d_1x1_live_s8_params", path="conv_2d/1x1-live-mve",
                   params={**fields, "live_c": len(order),
                           "folded_bias": ConstArray("int32_t", params["folded_bias"].values[order]),
                           "multiplier": ConstArray("int32_t", params["multiplier"].values[order]),
                           "shift": ConstArray("int8_t", shift[order]),
                           "channel": ConstArray("uint32_t", order.astype(np.uint32)),
                           "constant_output": ConstArray("int8_t", constant.astype(np.int8))},
                   args=[call.args[0], filter_rows, *call.args[2:]],
                   filter_storage=("int8", filter_rows.values.nbytes))


def helium(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | str:
    """int8, one group, output channels a multiple of 4 (emu/firmware/kernels/optimized/conv_2d_mve.c):
    1x1 as an outer product over an arranged filter for shallow inputs, VMLADAVA across deep
    ones (only across the live channels where some are constants, conv_2d_live_mve.c, which
    takes any number of output channels); any other filter by VMLADAVA across each gathered
    window; a constant filter for both, with its rescale, arranged per group of four. int16
    (16x8), any grouping, with VMLALDAVA into 64-bit sums (emu/firmware/kernels/optimized/int16_mve.c).
    Or why not."""
    if call.function == "emu_conv2d_s16":
        return _int16_form(call, "mve")
    reason = _unoptimized_reason(call)
    if reason:
        return reason
    p = call.params
    constant = op.inputs[1] not in graph.writers
    if call.function == "emu_conv2d_1x1_s8" and p["input_c"] > MVE_OUTER_MAX_DEPTH and constant:
        skipped = skip_constant_channels(p, _filter_rows(op, graph))
        if isinstance(skipped, str):
            return skipped
        if skipped is not None:
            return _live_call(call, *skipped)
    if p["output_c"] % 4:
        return f"{p['output_c']} output channels: the vector kernels take a multiple of 4"
    call = with_exact_rescale(call, _filter_rows(op, graph))
    if isinstance(call, str):
        return call
    if call.function == "emu_conv2d_s8":
        window = p["filter_h"] * p["filter_w"] * p["input_c"]
        if constant:
            # the window, and the sixteen bytes past it that the dot product's read-ahead loads
            return replace(_arranged_call(op, graph, call, "emu_conv2d_s8_mve_arranged", "conv_2d/im2col-mve"),
                           scratch_bytes=window + 16)
        return replace(call, function="emu_conv2d_s8_mve", header="conv_2d_mve.h", path="conv_2d/im2col-mve",
                       scratch_bytes=window)
    # The arranged filter replaces the model's in flash; a filter decoded at run time keeps its form.
    if p["input_c"] <= MVE_OUTER_MAX_DEPTH and constant:
        arranged = ConstArray("int8_t", outer_filter(graph.tensor(op.inputs[1]).data))
        return replace(call, function="emu_conv2d_1x1_s8_mve_outer", header="conv_2d_mve.h",
                       path="conv_2d/1x1-outer-mve",
                       args=[call.args[0], arranged, *call.args[2:]], filter_storage=("int8", arranged.values.nbytes))
    if constant:
        return _arranged_call(op, graph, call, "emu_conv2d_1x1_s8_mve_arranged", "conv_2d/1x1-mve")
    return replace(call, function="emu_conv2d_1x1_s8_mve", header="conv_2d_mve.h", path="conv_2d/1x1-mve")
