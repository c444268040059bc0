"""Which (operator, type) pairs a model makes emu's kernels run, and which pairs there are to run.

Both sides come from the code: the pairs a model runs from the operators emu's compiler lowers
(the graph after emu.compile.codegen.prepared, which folds shape arithmetic on constants away:
a folded operator runs no kernel), the pairs there are from docs/operators.md's table
(emu.compile.operator_table): each lowered operator with each type of its module's TYPES that
TFLM's kernel takes too, since TFLM is the oracle. Used by tests/test_device_coverage.py and by
tests/op_audit.py, the pytest plugin that records what every test runs.
"""

from __future__ import annotations

import functools

from emu.compile.operator_table import emu_operators
from emu.model.graph import Graph, Operator
from emu.model.tflm_operators import TYPES as TFLM_TYPES

ANY = "any"
# Operators whose type is their input's, not their output's (an index, a bool, a cast's target).
INPUT_TYPED = {"ARG_MAX", "ARG_MIN", "CAST", "EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS",
               "LESS_EQUAL"}


@functools.cache
def _emu_operators():
    return emu_operators()


def operator_type(op: Operator, graph: Graph) -> str:
    """The operator's type in the vocabulary of its module's TYPES: "int8->int16" where the
    module names the mixed form, the input's for INPUT_TYPED, else the output's (a SELECT_V2's
    condition, a FILL's dims or a SPLIT's axis come first and are not its type); "any" for an
    operator that moves bytes of every type."""
    lowered = _emu_operators().get(op.op)
    declared = lowered.types if lowered else ()
    if declared == (ANY,):
        return ANY
    out = graph.tensors[op.outputs[0]].dtype if op.outputs else None
    ins = [graph.tensors[t].dtype for t in op.inputs if t >= 0]
    for dtype in ins:
        if f"{dtype}->{out}" in declared:
            return f"{dtype}->{out}"
    return ins[0] if op.op in INPUT_TYPED or out is None else out


def graph_pairs(graph: Graph) -> set[tuple[str, str]]:
    """The (operator, type) pairs whose kernels the compiled model runs, every subgraph."""
    from emu.compile.codegen import prepared

    lowered, _ = prepared(graph)
    return {(op.op, operator_type(op, lowered.subgraph(op.subgraph))) for op in lowered.all_operators}


def tflm_checkable_pairs(leave_out: frozenset[str] = frozenset()) -> set[tuple[str, str]]:
    """Every (operator, type) emu lowers that TFLM runs too: the pairs a test can check against
    TFLM. An operator of any type counts once, as "any"; TFLM's custom DECODE is left out (the
    interpreter in emu.model.oracle does not register it)."""
    pairs = set()
    for name, emu in emu_operators().items():
        if name in leave_out or name not in TFLM_TYPES:
            continue
        tflm = TFLM_TYPES[name]
        pairs |= {(name, ANY)} if emu.types == (ANY,) else {(name, t) for t in emu.types if t in tflm}
    return pairs
