"""AVERAGE_POOL_2D and MAX_POOL_2D, int8, int16 and float32 (and the float32 L2_POOL_2D of
emu/compile/ops/l2_pool.py): the compile-time half of
emu/firmware/kernels/pooling.c (and of the int8 Helium kernels in
emu/firmware/kernels/optimized/pooling_mve.c)."""

from __future__ import annotations

from dataclasses import replace

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.ops.conv_2d import TYPES as WINDOW_TYPES
from emu.compile.ops.conv_2d import (
    check_int16,
    float_range,
    int8_range,
    int16_range,
    kind,
    nhwc,
    output_size,
    padding_before,
)
from emu.compile.overlap import nhwc_streaming_lead
from emu.model.graph import Graph, Operator

OPERATORS = ("AVERAGE_POOL_2D", "MAX_POOL_2D")
TYPES = WINDOW_TYPES  # conv_2d.kind() checks them

_FUNCTIONS = {
    ("AVERAGE_POOL_2D", "int8"): "emu_average_pool_s8",
    ("AVERAGE_POOL_2D", "float32"): "emu_average_pool_f32",
    ("MAX_POOL_2D", "int8"): "emu_max_pool_s8",
    ("AVERAGE_POOL_2D", "int16"): "emu_average_pool_s16",
    ("MAX_POOL_2D", "int16"): "emu_max_pool_s16",
    ("MAX_POOL_2D", "float32"): "emu_max_pool_f32",
    ("L2_POOL_2D", "float32"): "emu_l2_pool_f32",  # l2_pool.py checks the type first
}


def lower(op: Operator, graph: Graph) -> KernelCall:
    x, y = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    dtype = kind(op, graph, None)
    n, ih, iw, c = nhwc(x, "input")
    _, oh, ow, yc = nhwc(y, "output")
    o = op.options
    fh, fw = o.get("filter_height", 1), o.get("filter_width", 1)
    sh, sw = o.get("stride_h", 1), o.get("stride_w", 1)
    padding = o.get("padding", "VALID")
    if yc != c or (output_size(padding, ih, fh, sh), output_size(padding, iw, fw, sw)) != (oh, ow):
        raise UnsupportedOperator(f"output {y.shape} does not match {padding} pooling of {x.shape}")
    params = {
        "batches": n, "input_h": ih, "input_w": iw, "channels": c, "output_h": oh, "output_w": ow,
        "filter_h": fh, "filter_w": fw, "stride_h": sh, "stride_w": sw,
        "pad_h": padding_before(padding, ih, fh, sh), "pad_w": padding_before(padding, iw, fw, sw),
    }
    check_int16(**params)
    if dtype != "float32" and x.quantization.zero_point != y.quantization.zero_point:
        raise UnsupportedOperator("the input and output zero points differ (TFLM requires them equal)")
    if dtype == "int8":
        params.update(int8_range(op, y))
    elif dtype == "int16":
        params.update(int16_range(op, y))
    else:
        bounds = float_range(op)
        params.update({"act_min_f32": bounds["act_min"], "act_max_f32": bounds["act_max"]})
    # Output pixels are written in order from windows starting at row oy*stride - pad.
    return KernelCall(_FUNCTIONS[op.op, dtype], "pooling.h", "emu_pool_params", params,
                      [op.inputs[0], op.outputs[0]], input_lead=nhwc_streaming_lead(x, y, sh, params["pad_h"]))


_HELIUM = {"emu_average_pool_s8": ("emu_average_pool_s8_mve", "average_pool_2d/mve"),
           "emu_max_pool_s8": ("emu_max_pool_s8_mve", "max_pool_2d/mve")}


_DSP = {"emu_average_pool_s8": ("emu_average_pool_s8_dsp", "average_pool_2d/dsp"),
        "emu_max_pool_s8": ("emu_max_pool_s8_dsp", "max_pool_2d/dsp")}
# The DSP average sums each channel in an int16 half: 256 pixels of -128 is the most it holds.
DSP_AVERAGE_MAX_PIXELS = 256


def optimize(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | str:
    """int8, four channels of each window pixel per instruction; or why not."""
    if call.function not in _DSP:
        return f"{call.function}: the optimized kernels are int8 average and max pooling"
    pixels = call.params["filter_h"] * call.params["filter_w"]
    if call.function == "emu_average_pool_s8" and pixels > DSP_AVERAGE_MAX_PIXELS:
        return f"a window of {pixels} pixels: its int16 sums could wrap (at most {DSP_AVERAGE_MAX_PIXELS})"
    function, path = _DSP[call.function]
    return replace(call, function=function, header="pooling_dsp.h", path=path)


def helium(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | str:
    """int8, the channels of each window pixel in vector lanes; or why not."""
    if call.function not in _HELIUM:
        return f"{call.function}: the vector kernels are int8 average and max pooling"
    function, path = _HELIUM[call.function]
    return replace(call, function=function, header="pooling_mve.h", path=path)
