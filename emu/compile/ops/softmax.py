"""SOFTMAX over the last dimension, int8 and float32.

For int8, Prepare turns beta * input_scale into a multiplier that maps input differences
into Q5.26 (capped so that it stays an int32 value), and the cut-off below which a
difference is too negative for that format; TFLM's int8 kernel does the same.
"""

from __future__ import annotations

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.quant import calculate_input_radius, quantize_multiplier_greater_than_one

OPERATORS = ("SOFTMAX",)
TYPES = ("float32", "int8")

SCALED_DIFF_INTEGER_BITS = 5


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    beta = float(op.options.get("beta", 1.0))
    depth = x.shape[-1] if x.shape else 1
    shape = {"rows": x.size // depth if depth else 0, "depth": depth}
    args = [x.index, y.index]
    if x.dtype != y.dtype or x.dtype not in TYPES:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (supported: {', '.join(TYPES)})")
    if x.dtype == "float32":
        return KernelCall("emu_softmax_f32", "softmax.h", "emu_softmax_f32_params",
                          {**shape, "beta": beta}, args)
    out_q = y.quantization
    if out_q is None or out_q.zero_point[0] != -128 or out_q.scale[0] != 1.0 / 256:
        raise UnsupportedOperator("int8 SOFTMAX needs output scale 1/256 and zero point -128")
    multiplier, left_shift = softmax_input_scaling(beta, x.quantization.scale[0])
    return KernelCall("emu_softmax_s8", "softmax.h", "emu_softmax_s8_params", {
        **shape,
        "input_multiplier": multiplier,
        "input_left_shift": left_shift,
        "diff_min": -calculate_input_radius(SCALED_DIFF_INTEGER_BITS, left_shift),
    }, args)


def softmax_input_scaling(beta: float, input_scale: float) -> tuple[int, int]:
    """Multiplier and left shift taking an input difference to Q5.26 times beta.

    A larger multiplier only pushes every non-maximal difference further below the
    representable range, where exp() rounds to 0 anyway, so it is capped at int32 range.
    """
    real = min(beta * input_scale * float(1 << (31 - SCALED_DIFF_INTEGER_BITS)), float(2**31 - 1))
    if real <= 1.0:
        raise UnsupportedOperator(f"int8 SOFTMAX with beta * input scale = {beta * input_scale:g} (too small)")
    return quantize_multiplier_greater_than_one(real)
