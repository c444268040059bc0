"""MAXIMUM and MINIMUM, int8, int16, int32, int64 and float32, with NumPy-style broadcasting of
either input.

TFLM compares the stored values and copies the winner, whatever the quantization: int8 and
int16 need no rescale (the converter gives both inputs and the output one scale and zero
point); int32 and int64 are plain integers. The broadcast is described as ADD's
(emu/compile/ops/elementwise.py).
"""

from __future__ import annotations

from dataclasses import replace

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.ops.elementwise import broadcast_params

OPERATORS = ("MAXIMUM", "MINIMUM")

HEADER = "maximum_minimum.h"
_SUFFIX = {"float32": "f32", "int8": "s8", "int16": "s16", "int32": "s32", "int64": "s64"}
TYPES = tuple(_SUFFIX)


def lower(op, graph) -> KernelCall:
    a, b = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    if not a.dtype == b.dtype == y.dtype or y.dtype not in TYPES:
        raise UnsupportedOperator(f"{a.dtype}, {b.dtype} -> {y.dtype} (supported: {', '.join(TYPES)})")
    params = broadcast_params(a.shape, b.shape, y.shape)
    return KernelCall(f"emu_{op.op.lower()}_{_SUFFIX[y.dtype]}", HEADER, "emu_maximum_minimum_params", params,
                      [a.index, b.index, y.index], inplace=tuple(a.shape) == tuple(y.shape))


def helium(op, graph, call: KernelCall) -> KernelCall | str:
    """int8 and int16: each run of contiguous or broadcast elements by VMAX / VMIN, 16 or 8 lanes
    (emu/firmware/kernels/optimized/maximum_minimum_mve.c); or why not."""
    if not call.function.endswith(("_s8", "_s16")):
        kind = {"f32": "float32", "s32": "int32", "s64": "int64"}[call.function.rsplit("_", 1)[-1]]
        return f"{kind}: the vector kernels are int8 and int16"
    return replace(call, function=f"{call.function}_mve", header="maximum_minimum_mve.h",
                   path=f"{op.op.lower()}/mve")
