"""VAR_HANDLE, READ_VARIABLE and ASSIGN_VARIABLE: a model's own state (a tf.Variable assigned
on every call), kept from one inference to the next.

emu binds each resource variable to a variable tensor at compile time
(emu/compile/resources.py), so the handle VAR_HANDLE gives is no run-time value: VAR_HANDLE
emits no code, READ_VARIABLE copies the variable into its output and ASSIGN_VARIABLE copies
its value into the variable, byte for byte, as TFLM's MicroResourceVariables do.
"""

from __future__ import annotations

from emu.compile.kernel_call import KernelCall, UnsupportedOperator

OPERATORS = ("VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE")
TYPES = ("any",)  # the variable's bytes, of whatever type it holds


def lower(op, graph) -> KernelCall:
    if op.op == "VAR_HANDLE":
        return KernelCall("", "", None)
    variable = graph.tensors[op.inputs[0]]
    if not variable.variable:
        raise UnsupportedOperator("its handle is not bound to a resource variable")
    if op.op == "READ_VARIABLE":
        source, target = variable, graph.tensors[op.outputs[0]]
    else:
        source, target = graph.tensors[op.inputs[1]], variable
    if source.nbytes != target.nbytes:  # TFLM's MicroResourceVariables copy the variable's size
        raise UnsupportedOperator(f"it copies {source.dtype}{list(source.shape)} to {target.dtype}{list(target.shape)}")
    return KernelCall("emu_copy", "reshape.h", "emu_copy_params", {"bytes": source.nbytes},
                      [source.index, target.index])
