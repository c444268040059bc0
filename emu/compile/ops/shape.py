"""SHAPE: the input's dimensions as int32 values.

Shapes are static in emu as in TFLM (the file's `shape`, batch 1 where the converter marks it
open), so SHAPE's result is known at compile time: emu/compile/fold.py folds it away wherever
its result feeds other operators. What is left is a SHAPE whose result is a graph output,
written here by copying the dimensions from flash (emu_copy, emu/firmware/kernels/reshape.c).
TFLM reads only the input's shape, of any type, and writes int32 only (it fails an int64
output at run time); so does emu.
"""

from __future__ import annotations

import numpy as np

from emu.compile.kernel_call import ConstArray, KernelCall, UnsupportedOperator

OPERATORS = ("SHAPE",)

TYPES = ("any",)  # of the input: only its shape is read; the output is int32


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if y.dtype != "int32":
        raise UnsupportedOperator(f"an output of {y.dtype} (TFLM's kernel writes int32 only)")
    if list(y.shape) != [len(x.shape)]:
        raise UnsupportedOperator(f"an output of shape {list(y.shape)} for a rank-{len(x.shape)} input")
    dims = np.asarray(x.shape, dtype=np.int32)
    return KernelCall("emu_copy", "reshape.h", "emu_copy_params", {"bytes": dims.nbytes},
                      [ConstArray("int32_t", dims), y.index])
