"""WHILE, IF and CALL_ONCE: operators that run other subgraphs of the model.

They compute nothing themselves. The lowering checks what TFLM's Prepare and Eval check (the
subgraphs exist, the counts of inputs and outputs match, every tensor copied between a
subgraph and its caller has the same size at both ends, IF's condition is one bool) and
names the subgraphs; the code generator then writes the copies, the loop or the branch and
the calls of the subgraphs' functions in C (emu/compile/subgraphs.py), as TFLM's kernels
run them: WHILE copies its inputs to the condition's inputs and to its own outputs, and while
the condition's output is true copies its outputs to the body's inputs, runs the body and
copies the body's outputs back; IF copies its inputs after the condition to the branch it
takes and that branch's outputs to its own; CALL_ONCE runs its subgraph on the first
inference only (TFLM's Reset does not run it again).
"""

from __future__ import annotations

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.model.graph import called_subgraphs

OPERATORS = ("WHILE", "IF", "CALL_ONCE")
TYPES = ("any",)  # tensors are copied as bytes


def lower(op, graph) -> KernelCall:
    subgraphs = called_subgraphs(op)
    if op.op == "WHILE":
        cond, body = (graph.subgraph(k) for k in subgraphs)
        _count("inputs", op.inputs, "condition inputs", cond.inputs)
        _count("inputs", op.inputs, "body inputs", body.inputs)
        _count("outputs", op.outputs, "body outputs", body.outputs)
        _count("inputs", op.inputs, "outputs", op.outputs)
        if not cond.outputs or graph.tensors[cond.outputs[0]].dtype != "bool":
            raise UnsupportedOperator("its condition subgraph does not return a bool")
        _copied(graph, op.inputs, cond.inputs, "input", "condition input")
        _copied(graph, op.inputs, op.outputs, "input", "output")
        _copied(graph, op.outputs, body.inputs, "output", "body input")
        _copied(graph, body.outputs, op.outputs, "body output", "output")
    elif op.op == "IF":
        condition = graph.tensors[op.inputs[0]]
        if condition.dtype != "bool" or condition.size != 1:
            raise UnsupportedOperator(f"its condition is {condition.dtype}{list(condition.shape)}, not one bool")
        for branch, k in zip(("then", "else"), subgraphs, strict=True):
            sub = graph.subgraph(k)
            _count("inputs after the condition", op.inputs[1:], f"{branch} inputs", sub.inputs)
            _copied(graph, op.inputs[1:], sub.inputs, "input", f"{branch} input")
            if sub.outputs:  # TFLM copies nothing back from a branch without outputs
                _count("outputs", op.outputs, f"{branch} outputs", sub.outputs)
                _copied(graph, sub.outputs, op.outputs, f"{branch} output", "output")
    elif op.inputs or op.outputs:  # CALL_ONCE
        raise UnsupportedOperator("CALL_ONCE takes no inputs and gives no outputs")
    return KernelCall("", "", None, path=f"{op.op.lower()}/subgraphs", subgraphs=subgraphs)


def _count(what: str, ours, theirs_name: str, theirs) -> None:
    if len(ours) != len(theirs):
        raise UnsupportedOperator(f"it has {len(ours)} {what} but {len(theirs)} {theirs_name}")


def _copied(graph, sources, targets, source_name: str, target_name: str) -> None:
    for i, (s, t) in enumerate(zip(sources, targets, strict=True)):
        a, b = graph.tensors[s], graph.tensors[t]
        if a.nbytes != b.nbytes:
            raise UnsupportedOperator(f"{source_name} {i} ({a.dtype}{list(a.shape)}) and {target_name} {i} "
                                      f"({b.dtype}{list(b.shape)}) differ in size")
