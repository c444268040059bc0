"""BROADCAST_ARGS: the shape two shape vectors broadcast to, int32 or int64 (TFLM's
broadcast_args.cc), computed at run time when a shape is an activation (emu/firmware/kernels/
broadcast_args.h). Its output's length is fixed by the file, as TFLM allocates it; TFLM writes that
many dimensions, from the last, whatever the inputs' lengths, and so does emu.
"""

from __future__ import annotations

from emu.compile.kernel_call import KernelCall, UnsupportedOperator

OPERATORS = ("BROADCAST_ARGS",)
TYPES = ("int32", "int64")


def lower(op, graph) -> KernelCall:
    a, b = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    if not a.dtype == b.dtype == y.dtype or y.dtype not in TYPES:
        raise UnsupportedOperator(f"{a.dtype}, {b.dtype} -> {y.dtype} (TFLM's kernel takes one of "
                                  f"{', '.join(TYPES)} for all three)")
    if not len(a.shape) == len(b.shape) == len(y.shape) == 1:
        raise UnsupportedOperator("shapes that are not vectors (TFLM takes vectors)")
    return KernelCall(f"emu_broadcast_args_{'s32' if y.dtype == 'int32' else 's64'}", "broadcast_args.h",
                      "emu_broadcast_args_params", {"count1": a.size, "count2": b.size, "count": y.size},
                      [a.index, b.index, y.index])
