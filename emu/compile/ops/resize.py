"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR: the compile-time half of emu/firmware/kernels/resize.c.

Which input rows and columns each output row and column reads (and, for bilinear, with what
weights) depends only on the shapes and the options, so it is computed here, once, with the
arithmetic TFLM's reference kernels use at run time: float32 for nearest neighbour and for
float32 bilinear, 10-bit fixed point for int8 bilinear (ResizeBilinearInteger). The kernels
then only copy or blend. Like TFLM, both take the values as they are: an int8 output is in
the input's quantization whatever its own parameters say.
"""

from __future__ import annotations

import math

import numpy as np

from emu.compile.kernel_call import ConstArray, KernelCall, UnsupportedOperator
from emu.compile.quant import round_half_away
from emu.model.graph import Graph, Operator

OPERATORS = ("RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR")

TYPES = {"RESIZE_NEAREST_NEIGHBOR": ("float32", "int8", "int16"),  # TFLM's resize_nearest_neighbor.cc
         "RESIZE_BILINEAR": ("float32", "int8")}  # TFLM's resize_bilinear.cc

F32 = np.float32


def lower(op: Operator, graph: Graph) -> KernelCall:
    x, size, y = graph.tensor(op.inputs[0]), graph.tensor(op.inputs[1]), graph.tensor(op.outputs[0])
    types = TYPES[op.op]
    if x.dtype not in types or y.dtype != x.dtype:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} tensors (TFLM's kernel takes {', '.join(types)})")
    if len(x.shape) != 4:
        raise UnsupportedOperator(f"a rank-{len(x.shape)} input (TFLM takes 4-D NHWC only)")
    if size is None or not size.is_constant:
        raise UnsupportedOperator("a size computed at run time (TFLM requires a constant)")
    if size.dtype != "int32" or tuple(size.shape) != (2,):
        raise UnsupportedOperator(f"a size of {size.dtype}{list(size.shape)} (TFLM takes 2 int32 values)")
    align = bool(op.options.get("align_corners", False))
    half = bool(op.options.get("half_pixel_centers", False))
    if op.op == "RESIZE_BILINEAR" and align and half:
        raise UnsupportedOperator("align_corners with half_pixel_centers (TFLM: if half_pixel_centers is True, "
                                  "align_corners must be False)")
    n, ih, iw, c = (int(d) for d in x.shape)
    oh, ow = (int(v) for v in np.asarray(size.data).reshape(-1))
    if tuple(y.shape) != (n, oh, ow, c) or oh <= 0 or ow <= 0:
        raise UnsupportedOperator(f"an output of shape {list(y.shape)} for input {list(x.shape)} resized to "
                                  f"{oh}x{ow}")
    geometry = {"batches": n, "input_h": ih, "input_w": iw, "output_h": oh, "output_w": ow}
    if op.op == "RESIZE_NEAREST_NEIGHBOR":
        rows = [nearest(v, ih, oh, align, half) for v in range(oh)]
        cols = [nearest(v, iw, ow, align, half) for v in range(ow)]
        return KernelCall("emu_resize_nearest", "resize.h", "emu_resize_nearest_params", {
            **geometry, "pixel_bytes": c * np.dtype(x.dtype).itemsize,
            "source_y": ConstArray("int32_t", np.array(rows, dtype=np.int32)),
            "source_x": ConstArray("int32_t", np.array(cols, dtype=np.int32)),
        }, [x.index, y.index])
    macs = 4 * y.size  # four taps blended per output value
    if x.dtype == "int8":
        ys = [bilinear_int(v, ih, oh, align, half) for v in range(oh)]
        xs = [bilinear_int(v, iw, ow, align, half) for v in range(ow)]
        function, weights, ctype, wtype = "emu_resize_bilinear_s8", ("weight_y", "weight_x"), "int16_t", np.int16
    else:
        ys = [bilinear_float(v, ih, oh, align, half) for v in range(oh)]
        xs = [bilinear_float(v, iw, ow, align, half) for v in range(ow)]
        function, weights, ctype, wtype = "emu_resize_bilinear_f32", ("fraction_y", "fraction_x"), "float", F32
    for taps, extent in ((ys, ih), (xs, iw)):
        if any(not 0 <= t < extent for tap in taps for t in tap[:2]):
            raise UnsupportedOperator(f"a resize to {oh}x{ow} whose sampling reaches past the input's {extent} "
                                      "rows or columns (TFLM would read outside the input)")
    tables = {}
    for axis, taps, weight in (("y", ys, weights[0]), ("x", xs, weights[1])):
        tables[f"{axis}0"] = ConstArray("int32_t", np.array([t[0] for t in taps], dtype=np.int32))
        tables[f"{axis}1"] = ConstArray("int32_t", np.array([t[1] for t in taps], dtype=np.int32))
        tables[weight] = ConstArray(ctype, np.array([t[2] for t in taps], dtype=wtype))
    return KernelCall(function, "resize.h", function + "_params", {**geometry, "channels": c, **tables},
                      [x.index, y.index], macs=macs)


def _float_scale(in_size: int, out_size: int, align: bool) -> np.float32:
    if align and out_size > 1:
        return F32(in_size - 1) / F32(out_size - 1)
    return F32(in_size) / F32(out_size)


def nearest(value: int, in_size: int, out_size: int, align: bool, half: bool) -> int:
    """The input index an output index copies (TFLM's GetNearestNeighbor, in float32)."""
    scaled = (F32(value) + F32(0.5 if half else 0.0)) * _float_scale(in_size, out_size, align)
    index = round_half_away(float(scaled)) if align else math.floor(scaled)
    index = min(index, in_size - 1)
    return max(index, 0) if half else index


def bilinear_float(value: int, in_size: int, out_size: int, align: bool, half: bool) -> tuple[int, int, float]:
    """Lower and upper input index and the float32 distance past the lower one
    (TFLM's ComputeInterpolationValues)."""
    scale = _float_scale(in_size, out_size, align)
    scaled = (F32(value) + F32(0.5)) * scale - F32(0.5) if half else F32(value) * scale
    low = max(int(math.floor(scaled)), 0)
    high = min(int(math.ceil(scaled)), in_size - 1)
    return low, high, float(F32(scaled) - F32(low))


def _c_div(a: int, b: int) -> int:
    """C's integer division, which truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def bilinear_int(value: int, in_size: int, out_size: int, align: bool, half: bool) -> tuple[int, int, int]:
    """Lower and upper input index and the distance past the lower one in 1/1024ths
    (TFLM's ComputeInterpolationValuesInteger)."""
    if align and out_size > 1:
        scale = ((1 << 10) * (in_size - 1) + (out_size - 1) // 2) // (out_size - 1)
    else:
        scale = ((1 << 10) * in_size + out_size // 2) // out_size
    scaled = value * scale + scale // 2 - (1 << 9) if half else value * scale
    low = max(_c_div(scaled, 1 << 10), 0)
    high = min(_c_div(scaled + (1 << 10) - 1, 1 << 10), in_size - 1)
    return low, high, scaled - (1 << 10) * low
