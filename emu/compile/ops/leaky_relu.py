"""LEAKY_RELU, int8, int16 and float32: x where x > 0, alpha * x elsewhere.

int8 and int16 follow TFLM's leaky_relu: two rescales of the offset input to the output, one for the
identity branch (in_scale / out_scale) and one for the alpha branch (in_scale * alpha /
out_scale). The ratios are taken in double: TFLM's Prepare spells them in float32, but the
interpreter's results are those of double ratios (tests/test_ops_arith.py checks scales where
the two differ). A negative alpha rescales by its magnitude and negates the result, as TFLM's
reference kernel does.
"""

from __future__ import annotations

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.quant import quantize_multiplier

OPERATORS = ("LEAKY_RELU",)
TYPES = ("float32", "int8", "int16")

HEADER = "leaky_relu.h"


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.dtype != y.dtype or x.dtype not in TYPES:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (supported: {', '.join(TYPES)})")
    alpha = np.float32(op.options.get("alpha", 0.0))
    if x.dtype == "float32":
        params, function, params_type = {"alpha": float(alpha)}, "emu_leaky_relu_f32", "emu_leaky_relu_f32_params"
    else:
        if x.quantization is None or y.quantization is None or x.quantization.per_channel:
            raise UnsupportedOperator(f"{x.dtype} tensors need one scale and zero point")
        in_scale, out_scale = x.quantization.scale[0], y.quantization.scale[0]
        alpha_multiplier, alpha_shift = quantize_multiplier(in_scale * float(alpha) / out_scale)
        identity_multiplier, identity_shift = quantize_multiplier(in_scale / out_scale)
        params = {
            "input_zero_point": x.quantization.zero_point[0],
            "output_zero_point": y.quantization.zero_point[0],
            "identity_multiplier": identity_multiplier, "identity_shift": identity_shift,
            "alpha_multiplier": alpha_multiplier, "alpha_shift": alpha_shift,
        }
        # int16 takes int8's parameters
        function, params_type = f"emu_leaky_relu_s{x.dtype[3:]}", "emu_leaky_relu_s8_params"
    return KernelCall(function, HEADER, params_type, {"size": x.size, **params}, [x.index, y.index], inplace=True)
