"""PRELU, float32, int8 and int16: x where x >= 0, alpha * x elsewhere, alpha a tensor broadcast
over the input (Keras' PReLU gives one alpha per position not in its shared_axes).

int8 and int16 (int8 alpha for both) follow TFLM's prelu: the offset input is rescaled by
in_scale / out_scale where it is >= 0, and its product with the offset alpha by
in_scale * alpha_scale / out_scale elsewhere, the ratios taken in double as TFLM's Prepare
does. The broadcast is elementwise.py's (merged dimensions, alpha's stride 0 where it is
broadcast). TFLM's float kernel walks at most 4 dimensions, its integer kernels 8.
"""

from __future__ import annotations

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.ops.elementwise import broadcast_params
from emu.compile.quant import quantize_multiplier

OPERATORS = ("PRELU",)
TYPES = ("float32", "int8", "int16")

HEADER = "prelu.h"
FLOAT_MAX_RANK = 4


def lower(op, graph) -> KernelCall:
    x, alpha, y = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]], graph.tensors[op.outputs[0]]
    if x.dtype != y.dtype or x.dtype not in TYPES:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (supported: {', '.join(TYPES)})")
    alpha_type = "float32" if x.dtype == "float32" else "int8"
    if alpha.dtype != alpha_type:
        raise UnsupportedOperator(f"{alpha.dtype} alpha with {x.dtype} input (TFLM takes {alpha_type})")
    if tuple(x.shape) != tuple(y.shape):
        raise UnsupportedOperator(f"input {tuple(x.shape)} broadcast to output {tuple(y.shape)} "
                                  "(only alpha is broadcast)")
    if x.dtype == "float32" and max(len(x.shape), len(alpha.shape)) > FLOAT_MAX_RANK:
        raise UnsupportedOperator(f"float32 PRELU on more than {FLOAT_MAX_RANK} dimensions (TFLM's kernel walks 4)")
    walk = broadcast_params(x.shape, alpha.shape, y.shape)  # input 1 the input, input 2 alpha
    if x.dtype == "float32":
        return KernelCall("emu_prelu_f32", HEADER, "emu_prelu_f32_params", walk,
                          [x.index, alpha.index, y.index], inplace=True)
    quantizations = (x.quantization, alpha.quantization, y.quantization)
    if any(q is None or q.per_channel for q in quantizations):
        raise UnsupportedOperator(f"{x.dtype} PRELU needs one scale and zero point on input, alpha and output")
    in_scale, alpha_scale, out_scale = (q.scale[0] for q in quantizations)
    identity_multiplier, identity_shift = quantize_multiplier(in_scale / out_scale)
    alpha_multiplier, alpha_shift = quantize_multiplier(in_scale * alpha_scale / out_scale)
    return KernelCall(f"emu_prelu_s{x.dtype[3:]}", HEADER, "emu_prelu_s8_params", {
        **walk,
        "input_offset": -x.quantization.zero_point[0],
        "alpha_offset": -alpha.quantization.zero_point[0],
        "output_offset": y.quantization.zero_point[0],
        "identity_multiplier": identity_multiplier, "identity_shift": identity_shift,
        "alpha_multiplier": alpha_multiplier, "alpha_shift": alpha_shift,
    }, [x.index, alpha.index, y.index], inplace=True)
