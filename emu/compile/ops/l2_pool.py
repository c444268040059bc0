"""L2_POOL_2D, float32 (the one type TFLM's kernel takes): the square root of the mean of the
squares of each window's values, clipped to the image as the other pools' windows are. Its
lowering is the pools' (emu/compile/ops/pooling.py), its kernel emu_l2_pool_f32 in pooling.c;
it has no DSP or Helium form, which is why it is a module apart from the pools that have them.
"""

from __future__ import annotations

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.ops import pooling
from emu.model.graph import Graph, Operator

OPERATORS = ("L2_POOL_2D",)
TYPES = ("float32",)


def lower(op: Operator, graph: Graph) -> KernelCall:
    x, y = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    if not x.dtype == y.dtype == "float32":
        raise UnsupportedOperator(f"{x.dtype} tensors (TFLM's kernel takes {', '.join(TYPES)})")
    return pooling.lower(op, graph)
