"""CAST between the types TFLM's cast.cc takes: from bool, float32, int8, int16, int32 or uint32
to float32, int8, int16, int32 or uint32 (TFLM writes no bool), each value converted as C
converts it, whatever the quantization (emu/firmware/kernels/cast.h).
"""

from __future__ import annotations

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator

OPERATORS = ("CAST",)

_SUFFIX = {"bool": "b8", "float32": "f32", "int8": "s8", "int16": "s16", "int32": "s32", "uint32": "u32"}
TYPES = tuple(_SUFFIX)  # the input's; the output's are these but bool
OUTPUT_TYPES = tuple(t for t in TYPES if t != "bool")


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.dtype not in TYPES or y.dtype not in OUTPUT_TYPES:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (TFLM's kernel casts from {', '.join(TYPES)} to "
                                  f"{', '.join(OUTPUT_TYPES)})")
    if x.size != y.size:
        raise UnsupportedOperator(f"an output of shape {list(y.shape)} for an input of shape {list(x.shape)}")
    # each element is read before its own place is written: in place when the sizes match
    same_size = np.dtype(x.dtype).itemsize == np.dtype(y.dtype).itemsize
    return KernelCall(f"emu_cast_{_SUFFIX[x.dtype]}_{_SUFFIX[y.dtype]}", "cast.h", "emu_cast_params",
                      {"count": x.size}, [x.index, y.index], inplace=same_size)
