"""EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS and LESS_EQUAL, with NumPy-style broadcasting
of either input, to a bool output.

The types are those TFLM's comparisons.cc takes: bool (EQUAL and NOT_EQUAL only), float32,
int8, int32 and int64. int8 inputs are compared on a common scale as TFLM compares them: each
input, offset by its zero point and shifted left by 8, is multiplied by its own scale (a
fixed-point multiplier below one; TFLM aborts on a scale of 1 or more), so inputs of different
quantization compare by the values they stand for. TFLM's GREATER also switches on int16, but
its Prepare sets the rescale parameters for int8 only, so an int16 GREATER compares with
parameters nobody set: emu refuses it (the converter does not quantize comparisons to 16x8).
The broadcast is described as ADD's (emu/compile/ops/elementwise.py).
"""

from __future__ import annotations

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.ops.elementwise import broadcast_params
from emu.compile.quant import quantize_multiplier_smaller_than_one

OPERATORS = ("EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL")

_SUFFIX = {"bool": "b8", "float32": "f32", "int8": "s8", "int32": "s32", "int64": "s64"}
_ORDERED = ("float32", "int8", "int32", "int64")
TYPES = {name: (("bool",) if name in ("EQUAL", "NOT_EQUAL") else ()) + _ORDERED for name in OPERATORS}

HEADER = "comparisons.h"
LEFT_SHIFT = 8  # TFLM's kLeftShift for int8 comparisons


def lower(op, graph) -> KernelCall:
    a, b = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    types = TYPES[op.op]
    if a.dtype == "int16" and op.op == "GREATER":
        raise UnsupportedOperator("int16 inputs (TFLM's kernel compares them with rescale parameters it never sets)")
    if a.dtype != b.dtype or a.dtype not in types:
        raise UnsupportedOperator(f"inputs of {a.dtype} and {b.dtype} (TFLM's kernel takes two of one type: "
                                  f"{', '.join(types)})")
    if y.dtype != "bool":
        raise UnsupportedOperator(f"an output of {y.dtype} (comparisons write bool)")
    params = broadcast_params(a.shape, b.shape, y.shape)
    params.update(left_shift=0, input1_offset=0, input1_multiplier=0, input1_shift=0,
                  input2_offset=0, input2_multiplier=0, input2_shift=0)
    if a.dtype == "int8":
        for which, t in (("1", a), ("2", b)):
            q = t.quantization
            if q is None or q.per_channel:
                raise UnsupportedOperator("int8 inputs need one scale and zero point")
            if not 0.0 < q.scale[0] < 1.0:  # TFLM's Prepare aborts on these (TFLITE_CHECK)
                raise UnsupportedOperator(f"an int8 input of scale {q.scale[0]:g} (TFLM takes scales between 0 and 1)")
            multiplier, shift = quantize_multiplier_smaller_than_one(float(q.scale[0]))
            params.update({f"input{which}_offset": -q.zero_point[0], f"input{which}_multiplier": multiplier,
                           f"input{which}_shift": shift})
        params["left_shift"] = LEFT_SHIFT
    return KernelCall(f"emu_{op.op.lower()}_{_SUFFIX[a.dtype]}", HEADER, "emu_comparison_params", params,
                      [a.index, b.index, y.index])
