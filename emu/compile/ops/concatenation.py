"""CONCATENATION along one axis, any element type, up to 10 inputs (TFLM's limit).

The kernel copies bytes. int8 inputs must therefore share the output's scale and zero
point; TFLM rejects other int8 concatenations at Prepare, and converters insert a
requantizing QUANTIZE in front of any input whose range differs.
"""

from __future__ import annotations

import math

from emu.compile.kernel_call import KernelCall, UnsupportedOperator

OPERATORS = ("CONCATENATION",)
TYPES = ("any",)  # the kernel copies bytes

MAX_INPUTS = 10  # EMU_CONCATENATION_MAX_INPUTS


def lower(op, graph) -> KernelCall:
    inputs = [graph.tensors[i] for i in op.inputs]
    y = graph.tensors[op.outputs[0]]
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        raise UnsupportedOperator("a fused activation")
    if len(inputs) > MAX_INPUTS:
        raise UnsupportedOperator(f"{len(inputs)} inputs (at most {MAX_INPUTS})")
    if any(t.dtype != y.dtype for t in inputs):
        raise UnsupportedOperator("inputs of a type other than the output's")
    if y.dtype == "int8" and any(_scale_and_zero(t) != _scale_and_zero(y) for t in inputs):
        raise UnsupportedOperator("int8 inputs quantized differently from the output (TFLM rejects them too)")
    rank = len(y.shape)
    axis = op.options.get("axis", 0)
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis < rank:
        raise UnsupportedOperator(f"axis {op.options.get('axis')} of a rank-{rank} output")
    outer = math.prod(y.shape[:axis])
    element = y.nbytes // max(y.size, 1)
    chunks = [math.prod(t.shape[axis:]) * element for t in inputs]
    if outer * sum(chunks) != y.nbytes:
        raise UnsupportedOperator("input shapes that do not add up to the output's")
    pad = MAX_INPUTS - len(inputs)
    return KernelCall("emu_concatenation", "concatenation.h", "emu_concatenation_params",
                      {"outer": outer, "count": len(inputs), "bytes": chunks + [0] * pad},
                      [t.index for t in inputs] + [None] * pad + [y.index])


def _scale_and_zero(t):
    q = t.quantization
    return (q.scale, q.zero_point) if q else None
