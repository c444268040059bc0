"""TRANSPOSE_CONV: the compile-time half of emu/firmware/kernels/transpose_conv.c.

The converter's inputs are (output shape, filter [out_c, h, w, in_c], input, optional bias).
TFLM reads the output's size from the output tensor, not from the shape input, and takes
its padding from that size as a convolution of the output would pad (ComputePaddingHeightWidth
with the output's height and width); so does emu. int8 takes per-channel (or per-tensor)
symmetric weights and an int32 bias, float32 a float32 bias; both a fused activation.
"""

from __future__ import annotations

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.ops.conv_2d import (
    channel_multipliers,
    float_range,
    int8_range,
    nhwc,
    padding_before,
    zero_point,
)
from emu.model.graph import Graph, Operator

OPERATORS = ("TRANSPOSE_CONV",)
TYPES = ("float32", "int8")  # TFLM also runs int16 (16x8), which emu does not lower yet


def _taps(in_size: int, filter_size: int, stride: int, pad: int, out_size: int) -> int:
    """(input index, filter tap) pairs along one axis that land inside the output."""
    return sum(1 for i in range(in_size) for f in range(filter_size) if 0 <= i * stride - pad + f < out_size)


def _kind(x, w, y) -> str:
    """'int8' or 'float32' (TFLM takes the input's type for the filter and output too)."""
    if x.dtype == w.dtype == y.dtype and x.dtype in TYPES:
        if x.dtype == "int8" and (x.quantization is None or y.quantization is None):
            raise UnsupportedOperator("int8 tensors without quantization parameters")
        return x.dtype
    if x.dtype == "float32" and w.dtype == "int8":
        raise UnsupportedOperator("float32 activations with int8 weights (TFLM: hybrid models are not supported "
                                  "on TFLite Micro)")
    raise UnsupportedOperator(f"{x.dtype} input, {w.dtype} filter and {y.dtype} output (int8 or float32 only)")


def lower(op: Operator, graph: Graph) -> KernelCall:
    w, x, y = graph.tensor(op.inputs[1]), graph.tensor(op.inputs[2]), graph.tensor(op.outputs[0])
    bias = graph.tensor(op.inputs[3]) if len(op.inputs) > 3 else None
    if x.dtype == "int16":
        raise UnsupportedOperator("int16 activations (16x8): emu lowers TRANSPOSE_CONV for int8 and float32 only")
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
    if bias is not None and bias.dtype != "int32":
        raise UnsupportedOperator(f"a {bias.dtype} bias with int8 tensors (TFLM's int8 kernel takes int32)")
    params = {**geometry, "input_offset": -zero_point(x), "output_offset": zero_point(y), **int8_range(op, y),
              **channel_multipliers(x, w, y, oc, axis=0)}
    return KernelCall("emu_transpose_conv_s8", "transpose_conv.h", "emu_transpose_conv_s8_params", params, args,
                      macs=macs)
