"""DEPTHWISE_CONV_2D: the compile-time half of emu/firmware/kernels/depthwise_conv_2d.c."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from emu.compile.constant_channels import CONSTANT_SHIFT as DSP_CONSTANT_SHIFT
from emu.compile.kernel_call import ConstArray, KernelCall, UnsupportedOperator
from emu.compile.ops.conv_2d import (
    DSP_RESCALE_BYTES,
    DSP_SHORT_MAX_RIGHT,
    channel_multipliers,
    check_int16,
    filter_operands,
    float_range,
    fold_bias,
    inner_range,
    int8_range,
    int16_operands,
    nhwc,
    output_size,
    padding_before,
    window_options,
    with_exact_rescale,
    zero_point,
)
from emu.compile.ops.conv_2d import TYPES as WINDOW_TYPES
from emu.compile.overlap import nhwc_streaming_lead
from emu.model.graph import Graph, Operator

OPERATORS = ("DEPTHWISE_CONV_2D",)
TYPES = WINDOW_TYPES  # conv_2d.kind() checks them

# The int16 kernel sums a filter row in int32: at most this many products of 2^22.
DEPTHWISE_S16_MAX_FILTER_W = 256


def lower(op: Operator, graph: Graph) -> KernelCall:
    x, w, bias, y, dtype = filter_operands(op, graph)
    n, ih, iw, ic = nhwc(x, "input")
    one, fh, fw, oc = nhwc(w, "filter")
    _, oh, ow, yc = nhwc(y, "output")
    sh, sw, dh, dw, padding = window_options(op)
    # TFLM derives the multiplier from the shapes; the option is only a cross-check.
    if one != 1 or yc != oc or ic <= 0 or oc % ic:
        raise UnsupportedOperator(f"filter {w.shape} does not fit input {x.shape} and output {y.shape}")
    if (output_size(padding, ih, fh, sh, dh), output_size(padding, iw, fw, sw, dw)) != (oh, ow):
        raise UnsupportedOperator(f"output {y.shape} does not match {padding} padding of {x.shape}")
    geometry = {
        "batches": n, "input_h": ih, "input_w": iw, "input_c": ic,
        "output_h": oh, "output_w": ow, "output_c": oc,
        "filter_h": fh, "filter_w": fw, "depth_multiplier": oc // ic,
        "stride_h": sh, "stride_w": sw, "dilation_h": dh, "dilation_w": dw,
        "pad_h": padding_before(padding, ih, fh, sh, dh), "pad_w": padding_before(padding, iw, fw, sw, dw),
    }
    check_int16(**geometry)
    macs = n * oh * ow * oc * fh * fw
    # Both kernels write output pixels row by row, reading only rows from oy*stride - pad on.
    lead = nhwc_streaming_lead(x, y, sh, geometry["pad_h"])
    if dtype == "float32":
        return KernelCall("emu_depthwise_conv2d_f32", "depthwise_conv_2d.h", "emu_depthwise_conv2d_f32_params",
                          {**geometry, **float_range(op)},
                          [op.inputs[0], op.inputs[1], bias.index if bias else None, op.outputs[0]],
                          input_lead=lead, macs=macs)

    if dtype == "int16":
        if fw > DEPTHWISE_S16_MAX_FILTER_W:
            raise UnsupportedOperator(f"int16 filter width {fw} above {DEPTHWISE_S16_MAX_FILTER_W}")
        rescale = channel_multipliers(x, w, y, oc, axis=3)
        params = {**geometry, **int16_operands(op, x, bias, y, oc, rescale, int32_bias_allowed=False)}
        del params["accumulate_32"]  # TFLM's 16x8 depthwise kernel always sums in int64
        return KernelCall("emu_depthwise_conv2d_s16", "depthwise_conv_2d.h", "emu_depthwise_conv2d_s16_params",
                          params, [op.inputs[0], op.inputs[1], op.outputs[0]], input_lead=lead, macs=macs)
    ys = inner_range(oh, geometry["pad_h"], sh, ih, fh, dh)
    xs = inner_range(ow, geometry["pad_w"], sw, iw, fw, dw)
    input_offset = -zero_point(x)
    weight_sums = w.data.astype(np.int64).reshape(-1, oc).sum(axis=0)
    params = {
        **geometry,
        "inner_y0": ys[0], "inner_y1": ys[1], "inner_x0": xs[0], "inner_x1": xs[1],
        "input_offset": input_offset, "output_offset": zero_point(y), **int8_range(op, y),
        **channel_multipliers(x, w, y, oc, axis=3),
        "folded_bias": fold_bias(bias, weight_sums, input_offset),
    }
    return KernelCall("emu_depthwise_conv2d_s8", "depthwise_conv_2d.h", "emu_depthwise_conv2d_s8_params",
                      params, [op.inputs[0], op.inputs[1], op.outputs[0]], input_lead=lead, macs=macs)


def dsp_scratch_bytes(taps: int, channels: int, input_channels: int, depth_multiplier: int) -> int:
    """Scratch of emu/firmware/kernels/optimized/depthwise_conv_2d_dsp.c: each output channel's rescale,
    then a row of the input zero point (depth multiplier 1) or a gathered window (otherwise)."""
    rest = input_channels if depth_multiplier == 1 else taps * input_channels
    return DSP_RESCALE_BYTES * channels + rest


def one_channel_filter(weights: np.ndarray) -> np.ndarray:
    """The filter [1, fh, fw, channels] of a one-input-channel layer as
    emu_depthwise_conv2d_1ch_s8_dsp reads it: for each four taps (row-major), each channel's
    four taps as one word; then the last taps % 4 taps as they are, a byte per channel."""
    channels = weights.shape[-1]
    taps = weights.reshape(-1, channels)
    body = len(taps) // 4 * 4
    words = taps[:body].reshape(-1, 4, channels).transpose(0, 2, 1)
    return np.concatenate([words.reshape(-1), taps[body:].reshape(-1)]).astype(np.int8)


def three_by_three_filter(weights: np.ndarray) -> np.ndarray:
    """The filter [1, 3, 3, channels] of a depth-multiplier-1 layer as
    emu_depthwise_conv2d_3x3_s8_dsp reads it: for each four channels, the nine taps' words (the
    four channels' bytes of a tap) in turn; then the last channels % 4 channels, for each tap
    their bytes side by side."""
    channels = weights.shape[-1]
    taps = weights.reshape(9, channels)
    lanes = channels // 4 * 4
    groups = taps[:, :lanes].reshape(9, -1, 4).transpose(1, 0, 2)
    return np.concatenate([groups.reshape(-1), taps[:, lanes:].reshape(-1)]).astype(np.int8)


def rows_filter(weights: np.ndarray) -> np.ndarray:
    """The filter [1, 3, 3, channels] as emu_depthwise_conv2d_3x3_rows_s8_dsp reads it: per
    channel three words, bytes (w00, w02, w01, w12), (w10, w22, w11, 0), (w20, 0, w21, 0) for
    the tap wYX in filter row Y, column X, so that each word's SXTB16 is a row's first two taps
    and its SXTB16 ROR 8 the third taps (emu/firmware/kernels/optimized/depthwise_rows_dsp.c)."""
    w = weights.reshape(3, 3, -1).transpose(2, 0, 1).astype(np.int8)  # [channel, row, column]
    zero = np.zeros(w.shape[0], np.int8)
    words = [w[:, 0, 0], w[:, 0, 2], w[:, 0, 1], w[:, 1, 2],
             w[:, 1, 0], w[:, 2, 2], w[:, 1, 1], zero,
             w[:, 2, 0], zero, w[:, 2, 1], zero]
    return np.stack(words, axis=1).reshape(-1)


def rows_plane(p: dict) -> int:
    """int16 values per channel plane of the rows kernel's ring (rows_plane in
    depthwise_rows_dsp.c): the padded input row, and the column after the last pixel's window,
    rounded up to a whole word."""
    return (max(p["pad_w"] + p["input_w"], p["output_w"] + 3) + 1) // 2 * 2


def rows_scratch_bytes(p: dict) -> int:
    """Each channel's rescale, then the ring: three input rows of int16 channel planes."""
    return DSP_RESCALE_BYTES * p["output_c"] + 3 * p["output_c"] * rows_plane(p) * 2


# The rows kernel pays per channel and output row (its taps, bias and rescale); the
# channel-interleaved kernel per output pixel. On the M4F the rows kernel took 0.66x the cycles
# of the other on vww_96_int8's 48-pixel rows of 8 channels and 0.96x on its 24-pixel rows of
# 32, but 1.54x on kws_ref_model's 5-pixel rows of 64: it is taken for rows of this many pixels.
ROWS_MIN_OUTPUT_W = 24


def _rows_form(p: dict) -> bool:
    """Whether emu_depthwise_conv2d_3x3_rows_s8_dsp computes the layer: 3x3, depth multiplier 1,
    no dilation, stride 1 across, rows of ROWS_MIN_OUTPUT_W pixels or more, no clamp but the
    int8 range, and every channel's rescale short (emu_dsp.h's emu_dsp_rescale_short; a constant
    channel's marker shift aside)."""
    shifts = np.asarray(p["shift"].values)
    return (p["depth_multiplier"] == 1 and (p["filter_h"], p["filter_w"]) == (3, 3)
            and p["dilation_h"] == p["dilation_w"] == 1 and p["stride_w"] == 1
            and p["output_w"] >= ROWS_MIN_OUTPUT_W and (p["act_min"], p["act_max"]) == (-128, 127)
            and bool(np.all((shifts == DSP_CONSTANT_SHIFT) | ((shifts >= -DSP_SHORT_MAX_RIGHT) & (shifts <= -1)))))


# emu/firmware/kernels/optimized/depthwise_3x3_mve.c: a group's block, and the zeros after the
# last group that its read-ahead (the next group's bias and first filter tap) reaches.
MVE_3X3_GROUP = 8
MVE_3X3_READ_AHEAD = 40
_EVEN_ODD = np.array([0, 2, 4, 6, 1, 3, 5, 7])  # VMULLB's lanes, then VMULLT's


MVE_3X3_MAX_DILATION = 4  # EMU_DW3_MAX_SLOTS = 2 * 4 + 1 rows in the kernel's ring


def mve_3x3_scratch_bytes(p: dict) -> int:
    """The ring of padded input rows emu_depthwise_conv2d_3x3_s8_mve reads its windows from."""
    width = (p["output_w"] - 1) * p["stride_w"] + 2 * p["dilation_w"] + 1
    return (2 * p["dilation_h"] + 1) * width * p["output_c"]


def three_by_three_mve_block(weights: np.ndarray, bias: np.ndarray, multiplier: np.ndarray,
                             shift: np.ndarray) -> np.ndarray:
    """The filter [1, 3, 3, channels] (channels a multiple of 8) and its rescale as
    emu_depthwise_conv2d_3x3_s8_mve reads them: per group of eight channels, the folded bias
    (int32, little-endian) of channels 0 2 4 6 1 3 5 7, the nine taps' bytes of the eight
    channels, their multipliers (int32, same order), then as bytes in that order the left shifts
    max(shift, 0), a 1 where the shift is negative, and min(shift, 0); then
    MVE_3X3_READ_AHEAD zeros."""
    channels = weights.shape[-1]
    taps = weights.reshape(9, channels).astype(np.int8)
    parts = []
    for first in range(0, channels, MVE_3X3_GROUP):
        lanes = first + _EVEN_ODD
        s = shift[lanes].astype(np.int64)
        parts += [bias[lanes].astype("<i4").view(np.int8), taps[:, first:first + MVE_3X3_GROUP].reshape(-1),
                  multiplier[lanes].astype("<i4").view(np.int8), np.maximum(s, 0).astype(np.int8),
                  (s < 0).astype(np.int8), np.minimum(s, 0).astype(np.int8)]
    parts.append(np.zeros(MVE_3X3_READ_AHEAD, np.int8))
    return np.concatenate(parts)


def _filter_rows(op: Operator, graph: Graph, channels: int) -> np.ndarray:
    """Each output channel's taps, [channels, taps] (the filter is [1, fh, fw, channels])."""
    return graph.tensor(op.inputs[1]).data.reshape(-1, channels).T


# The optimized 16x8 kernels sum a whole window in int32: at most this many products of 2^22
# (EMU_S16_RUN, emu_quant.h).
S16_MAX_TAPS = 256


def _int16_form(call: KernelCall, form: str) -> KernelCall | str:
    """The 16x8 call with its optimized kernel (emu/firmware/kernels/optimized/int16_dsp.c or
    int16_mve.c), or why not."""
    p = call.params
    dm, taps = p["depth_multiplier"], p["filter_h"] * p["filter_w"]
    if dm != 1 and form == "dsp":
        return f"int16 (16x8) with depth multiplier {dm}: the DSP 16x8 kernel takes 1"
    if taps > S16_MAX_TAPS:
        return f"int16 (16x8) with {taps} taps: the optimized 16x8 kernels sum at most {S16_MAX_TAPS} in int32"
    return replace(call, function=f"emu_depthwise_conv2d_s16_{form}", header=f"int16_{form}.h",
                   path=f"depthwise_conv_2d/{p['filter_h']}x{p['filter_w']}-dm{dm}-{form}-s16")


def optimize(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | str:
    """int8 with one input channel (a convolution: SMLAD over four taps of a channel), depth
    multiplier 1 (four input channels per word) or a multiple of 4 (four output channels sharing
    an input byte), with SMLAD / SMLABB / SMLATT / SMLATB
    (emu/firmware/kernels/optimized/depthwise_conv_2d_dsp.c); int16 (16x8), depth multiplier 1,
    four channels per pass with SMLABB / SMLATB / SMLABT / SMLATT
    (emu/firmware/kernels/optimized/int16_dsp.c); or why not."""
    p = call.params
    if call.function == "emu_depthwise_conv2d_s16":
        return _int16_form(call, "dsp")
    if call.function != "emu_depthwise_conv2d_s8":
        return "float32: the optimized kernels are int8"
    w = graph.tensor(op.inputs[1])
    dm, taps = p["depth_multiplier"], p["filter_h"] * p["filter_w"]
    constant = op.inputs[1] not in graph.writers
    one_channel = p["input_c"] == 1 and dm > 1 and taps >= 4 and constant
    if not one_channel and not (dm == 1 or dm % 4 == 0):
        return f"depth multiplier {dm}: the DSP kernel takes 1 or a multiple of 4"
    if not one_channel and p["output_c"] < 4:
        return f"{p['output_c']} output channels: the DSP kernel takes at least 4"
    call = with_exact_rescale(call, _filter_rows(op, graph, p["output_c"]))
    if isinstance(call, str):
        return call
    shape = f"{p['filter_h']}x{p['filter_w']}"
    scratch = dsp_scratch_bytes(taps, p["output_c"], p["input_c"], dm)
    # The arranged filter replaces the model's in flash; a filter decoded at run time keeps its form.
    if one_channel:
        arranged = ConstArray("int8_t", one_channel_filter(w.data))
        return replace(call, function="emu_depthwise_conv2d_1ch_s8_dsp", header="depthwise_conv_2d_dsp.h",
                       path=f"depthwise_conv_2d/{shape}-1ch-dsp", scratch_bytes=scratch,
                       args=[call.args[0], arranged, *call.args[2:]],
                       filter_storage=("int8", arranged.values.nbytes))
    if constant and _rows_form(call.params):  # channel rows, two taps per SMLAD
        arranged = ConstArray("int8_t", rows_filter(w.data))
        return replace(call, function="emu_depthwise_conv2d_3x3_rows_s8_dsp", header="depthwise_rows_dsp.h",
                       path="depthwise_conv_2d/3x3-rows-dsp", scratch_bytes=rows_scratch_bytes(call.params),
                       args=[call.args[0], arranged, *call.args[2:]],
                       filter_storage=("int8", arranged.values.nbytes))
    if dm == 1 and shape == "3x3" and constant:  # nine taps written out, the filter arranged for them
        arranged = ConstArray("int8_t", three_by_three_filter(w.data))
        # scratch: the rescale table, a copy of the biases, the zero row rounded to whole words, room
        # for the filter twice over: copied as it is, or each word expanded into two (the biases and
        # the filter are read at every pixel: from RAM, without flash waits)
        scratch = ((DSP_RESCALE_BYTES + 4) * p["output_c"] + (p["input_c"] + 3) // 4 * 4
                   + 2 * arranged.values.nbytes)
        return replace(call, function="emu_depthwise_conv2d_3x3_s8_dsp", header="depthwise_conv_2d_dsp.h",
                       path="depthwise_conv_2d/3x3-dm1-dsp", scratch_bytes=scratch,
                       args=[call.args[0], arranged, *call.args[2:]],
                       filter_storage=("int8", arranged.values.nbytes))
    return replace(call, function="emu_depthwise_conv2d_s8_dsp", header="depthwise_conv_2d_dsp.h",
                   path=f"depthwise_conv_2d/{shape}-dm{dm}-dsp", scratch_bytes=scratch)


def helium(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | str:
    """int8, output channels a multiple of 4, depth multiplier 1 or a multiple of 4: four channels
    per vector (emu/firmware/kernels/optimized/depthwise_conv_2d_mve.c); 3x3 with depth multiplier 1
    and channels in eights over a filter and rescale arranged per group
    (emu/firmware/kernels/optimized/depthwise_3x3_mve.c); int16 (16x8), any depth multiplier,
    four channels per vector, their inputs gathered where it is above 1
    (emu/firmware/kernels/optimized/int16_mve.c); or why not."""
    p = call.params
    if call.function == "emu_depthwise_conv2d_s16":
        return _int16_form(call, "mve")
    if call.function != "emu_depthwise_conv2d_s8":
        return "float32: the optimized kernels are int8"
    if p["output_c"] % 4:
        return f"{p['output_c']} output channels: the vector kernels take a multiple of 4"
    dm, taps = p["depth_multiplier"], p["filter_h"] * p["filter_w"]
    if dm != 1 and dm % 4:
        return f"depth multiplier {dm}: the vector kernel takes 1 or a multiple of 4"
    call = with_exact_rescale(call, _filter_rows(op, graph, p["output_c"]))
    if isinstance(call, str):
        return call
    constant = op.inputs[1] not in graph.writers
    if (dm == 1 and (p["filter_h"], p["filter_w"]) == (3, 3) and p["output_c"] % MVE_3X3_GROUP == 0 and constant
            and p["act_min"] <= p["output_offset"] <= p["act_max"] and p["dilation_h"] <= MVE_3X3_MAX_DILATION):
        q = call.params
        block = three_by_three_mve_block(graph.tensor(op.inputs[1]).data, q["folded_bias"].values,
                                         q["multiplier"].values, q["shift"].values)
        # The block carries the rescale: the parameters' own arrays are left empty.
        empty = {"folded_bias": ConstArray("int32_t", np.zeros(0, np.int32)),
                 "multiplier": ConstArray("int32_t", np.zeros(0, np.int32)),
                 "shift": ConstArray("int8_t", np.zeros(0, np.int8))}
        arranged = ConstArray("int8_t", block)
        return replace(call, function="emu_depthwise_conv2d_3x3_s8_mve", header="depthwise_3x3_mve.h",
                       path="depthwise_conv_2d/3x3-dm1-x8-mve", params={**q, **empty},
                       args=[call.args[0], arranged, *call.args[2:]],
                       scratch_bytes=mve_3x3_scratch_bytes(p),
                       filter_storage=("int8", block.nbytes))
    rest = 4 * taps + p["input_c"] if dm == 1 else taps * p["input_c"]  # tap list and zero row, or a window
    return replace(call, function="emu_depthwise_conv2d_s8_mve", header="depthwise_conv_2d_mve.h",
                   path=f"depthwise_conv_2d/{p['filter_h']}x{p['filter_w']}-dm{dm}-mve",
                   scratch_bytes=rest)
