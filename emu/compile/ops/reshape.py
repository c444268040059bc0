"""RESHAPE, SQUEEZE and EXPAND_DIMS: the output is the input's bytes under a new shape.

The shape operand (a constant, when present) only matters to the converter, which has
already written the resulting shape on the output tensor; the operator lowers to an alias
and emits no code. A constant input lives in flash, so it is copied into the arena instead.
"""

from __future__ import annotations

from emu.compile.kernel_call import KernelCall, UnsupportedOperator

OPERATORS = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")
TYPES = ("any",)  # the bytes keep their meaning under any type


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.dtype != y.dtype or x.nbytes != y.nbytes:
        raise UnsupportedOperator(f"{x.dtype}{list(x.shape)} -> {y.dtype}{list(y.shape)} changes the data size")
    if x.is_constant:
        return KernelCall("emu_copy", "reshape.h", "emu_copy_params", {"bytes": x.nbytes}, [x.index, y.index])
    return KernelCall("", "", None, alias=True)
