"""TRANSPOSE_CONV: the compile-time half of emu/firmware/kernels/transpose_conv.c.

The converter's inputs are (output shape, filter [out_c, h, w, in_c], input, optional bias).
TFLM reads the output's size from the output tensor, not from the shape input, and takes
its padding from that size as a convolution of the output would pad (ComputePaddingHeightWidth
with the output's height and width); so does emu. int8 takes per-channel (or per-tensor)
symmetric weights and an int32 bias, float32 a float32 bias; both a fused activation.
int16 (16-bit activations, 8-bit weights, zero points 0) follows TFLM's 16x8 kernel: the
products summed in int64 whatever the model's declared bias type, an int64 bias (TFLM widens
an int16 one; it would misread an int32 one, so emu refuses it) and the 64-bit rescale.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from emu.compile.kernel_call import ConstArray, KernelCall, UnsupportedOperator
from emu.compile.ops.conv_2d import (
    S64_MAX_SHIFT,
    WEIGHT_TYPES,
    channel_multipliers,
    float_range,
    int8_range,
    int16_range,
    nhwc,
    padding_before,
    zero_point,
)
from emu.model.graph import Graph, Operator

OPERATORS = ("TRANSPOSE_CONV",)
TYPES = ("float32", "int8", "int16")


def _taps(in_size: int, filter_size: int, stride: int, pad: int, out_size: int) -> int:
    """(input index, filter tap) pairs along one axis that land inside the output."""
    return sum(1 for i in range(in_size) for f in range(filter_size) if 0 <= i * stride - pad + f < out_size)


def _kind(x, w, y) -> str:
    """'int8', 'int16' or 'float32' (the output has the input's type; the filter too, but
    int8 under int16 activations)."""
    if x.dtype == y.dtype and x.dtype in TYPES and w.dtype == WEIGHT_TYPES[x.dtype]:
        if x.dtype != "float32" and (x.quantization is None or y.quantization is None):
            raise UnsupportedOperator(f"{x.dtype} tensors without quantization parameters")
        return x.dtype
    if x.dtype == "float32" and w.dtype == "int8":
        raise UnsupportedOperator("float32 activations with int8 weights (TFLM: hybrid models are not supported "
                                  "on TFLite Micro)")
    raise UnsupportedOperator(f"{x.dtype} input, {w.dtype} filter and {y.dtype} output "
                              "(int8, int16 with int8 weights, or float32)")


def lower(op: Operator, graph: Graph) -> KernelCall:
    w, x, y = graph.tensor(op.inputs[1]), graph.tensor(op.inputs[2]), graph.tensor(op.outputs[0])
    bias = graph.tensor(op.inputs[3]) if len(op.inputs) > 3 else None
    if not w.is_constant:
        raise UnsupportedOperator("the filter must be a constant tensor")
    if bias is not None and not bias.is_constant:
        raise UnsupportedOperator("the bias must be a constant tensor")
    dtype = _kind(x, w, y)
    n, ih, iw, ic = nhwc(x, "input")
    oc, fh, fw, fc = nhwc(w, "filter")
    yn, oh, ow, yc = nhwc(y, "output")
    if fc != ic or yc != oc or yn != n:
        raise UnsupportedOperator(f"filter {list(w.shape)} does not fit input {list(x.shape)} and output "
                                  f"{list(y.shape)}")
    if bias is not None and bias.size != oc:
        raise UnsupportedOperator(f"a bias of {bias.size} values for {oc} output channels")
    o = op.options
    sh, sw, padding = o.get("stride_h", 1), o.get("stride_w", 1), o.get("padding", "VALID")
    if padding not in ("SAME", "VALID"):
        raise UnsupportedOperator(f"padding {padding}")
    geometry = {
        "batches": n, "input_h": ih, "input_w": iw, "input_c": ic, "output_h": oh, "output_w": ow, "output_c": oc,
        "filter_h": fh, "filter_w": fw, "stride_h": sh, "stride_w": sw,
        "pad_h": padding_before(padding, oh, fh, sh), "pad_w": padding_before(padding, ow, fw, sw),
    }
    macs = n * _taps(ih, fh, sh, geometry["pad_h"], oh) * _taps(iw, fw, sw, geometry["pad_w"], ow) * ic * oc
    args = [x.index, w.index, bias.index if bias is not None else None, y.index]
    if dtype == "float32":
        if bias is not None and bias.dtype != "float32":
            raise UnsupportedOperator(f"a {bias.dtype} bias with float32 tensors")
        return KernelCall("emu_transpose_conv_f32", "transpose_conv.h", "emu_transpose_conv_f32_params",
                          {**geometry, **float_range(op)}, args, macs=macs)
    if dtype == "int16":
        params = {**geometry, **_int16_operands(op, x, w, bias, y, oc)}
        return KernelCall("emu_transpose_conv_s16", "transpose_conv.h", "emu_transpose_conv_s16_params", params,
                          [x.index, w.index, y.index], macs=macs)
    if bias is not None and bias.dtype != "int32":
        raise UnsupportedOperator(f"a {bias.dtype} bias with int8 tensors (TFLM's int8 kernel takes int32)")
    params = {**geometry, "input_offset": -zero_point(x), "output_offset": zero_point(y), **int8_range(op, y),
              **channel_multipliers(x, w, y, oc, axis=0)}
    return KernelCall("emu_transpose_conv_s8", "transpose_conv.h", "emu_transpose_conv_s8_params", params, args,
                      macs=macs)


def _int16_operands(op: Operator, x, w, bias, y, channels: int) -> dict:
    """The 16x8 kernel's clamp, per-channel rescale and bias as int64 (zeros when there is none).
    TFLM's 16x8 kernel applies no input or output offset, so the zero points must be 0, as the
    converter makes them."""
    if zero_point(x) != 0 or zero_point(y) != 0:
        raise UnsupportedOperator("int16 activations need zero point 0")
    if bias is not None and bias.dtype not in ("int16", "int64"):
        raise UnsupportedOperator(f"a {bias.dtype} bias with int16 activations (TFLM's 16x8 kernel takes int64, "
                                  "or int16 it widens)")
    rescale = channel_multipliers(x, w, y, channels, axis=0)
    if int(np.max(rescale["shift"].values, initial=0)) > S64_MAX_SHIFT:
        raise UnsupportedOperator(f"a rescale shift above {S64_MAX_SHIFT}: TFLM's 64-bit rescale does not take it")
    values = bias.data.astype(np.int64).reshape(-1) if bias is not None else np.zeros(channels, dtype=np.int64)
    return {**int16_range(op, y), "bias": ConstArray("int64_t", values), **rescale}


def optimize(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | str:
    """int8: each input pixel's contribution to an output one plain int8 dot product with SMLAD,
    its input offset added through the filter row's sum, worked out once per call
    (emu/firmware/kernels/optimized/transpose_conv_dsp.c); or why not."""
    if call.function != "emu_transpose_conv_s8":
        return "float32 and int16: the DSP kernel is int8"
    p = call.params
    return replace(call, function="emu_transpose_conv_s8_dsp", header="transpose_conv_dsp.h",
                   path="transpose_conv/dsp", scratch_bytes=4 * p["output_c"] * (p["filter_h"] * p["filter_w"] + 1))


def helium(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | str:
    """int8: the DSP kernel's sums with VMLADAVA, four output channels per pass over each input
    pixel (emu/firmware/kernels/optimized/transpose_conv_mve.c); or why not."""
    if call.function != "emu_transpose_conv_s8":
        return "float32 and int16: the Helium kernel is int8"
    p = call.params
    # emu_mve.h's rescale is exact while each channel's sum shifted left by max(shift, 0) + 1
    # fits int32: the sum is at most |bias| + |x + input_offset| x the filter row's |weights|
    w = graph.tensor(op.inputs[1]).data.astype(np.int64).reshape(p["output_c"], -1)
    bias = (graph.tensor(op.inputs[3]).data.astype(np.int64).reshape(-1) if call.args[2] is not None
            else np.zeros(p["output_c"], dtype=np.int64))
    largest = max(abs(-128 + p["input_offset"]), abs(127 + p["input_offset"]))
    bounds = np.abs(bias) + largest * np.abs(w).sum(axis=1)
    for c, (bound, shift) in enumerate(zip(bounds, p["shift"].values, strict=True)):
        if int(bound) << (max(int(shift), 0) + 1) > 2**31 - 1:
            return (f"channel {c}: sums up to {int(bound):,} shifted left by {max(int(shift), 0) + 1}: the Helium "
                    "kernel's rescale could overflow")
    return replace(call, function="emu_transpose_conv_s8_mve", header="transpose_conv_mve.h",
                   path="transpose_conv/mve", scratch_bytes=4 * p["output_c"] * p["filter_h"] * p["filter_w"])
