"""L2_NORMALIZATION along the last dimension, float32 and int8, inputs of rank 4 at most.

As TFLM's l2norm.cc: no fused activation, and int8 outputs always in the quantization
1/128, zero point 0 (the converter gives the output tensor that quantization; TFLM never
reads it, and neither does emu). See emu/firmware/kernels/l2_normalization.h.
"""

from __future__ import annotations

import math

from emu.compile.kernel_call import KernelCall, UnsupportedOperator

OPERATORS = ("L2_NORMALIZATION",)

SUFFIX = {"float32": "f32", "int8": "s8"}  # of each type's kernel
TYPES = tuple(SUFFIX)
MAX_RANK = 4  # TFLM's L2NormPrepare


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.dtype not in TYPES or y.dtype != x.dtype:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (TFLM's kernel takes float32 or int8, the same out)")
    if len(x.shape) > MAX_RANK or not x.shape:
        raise UnsupportedOperator(f"a rank-{len(x.shape)} input (TFLM takes 1 to {MAX_RANK} dimensions)")
    activation = op.options.get("fused_activation_function", "NONE")
    if activation != "NONE":
        raise UnsupportedOperator(f"fused activation {activation} (TFLM takes none)")
    zero_point = 0
    if x.dtype == "int8":
        if x.quantization is None or x.quantization.per_channel:
            raise UnsupportedOperator("int8 tensors need one scale and zero point")
        zero_point = x.quantization.zero_point[0]
    params = {"outer": math.prod(x.shape[:-1]), "depth": x.shape[-1], "input_zero_point": zero_point}
    return KernelCall(f"emu_l2_normalization_{SUFFIX[x.dtype]}", "l2_normalization.h", "emu_l2_normalization_params",
                      params, [x.index, y.index], inplace=True, path="l2_normalization/reference")
