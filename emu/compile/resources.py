"""Resource variables bound at compile time: each one a variable tensor of the model.

TFLM keeps a model's resource variables (tf.Variable) in MicroResourceVariables: VAR_HANDLE
gives the id of the variable its (container, shared name) names, the same id in every
subgraph; the first ASSIGN_VARIABLE that TFLM prepares (subgraph by subgraph, in operator
order) sizes its buffer and fills it with its value's zero point (as an int8 byte, 0 for a
value without quantization); READ_VARIABLE and ASSIGN_VARIABLE copy its bytes; Reset fills it
again. Every handle comes from a VAR_HANDLE whose name is in the file, so emu resolves them
all here: one variable tensor per name, added to the model's tensors, read and written by
READ_VARIABLE and ASSIGN_VARIABLE in place of the handle. The planner then keeps it for the
model's whole life and emu_model_reset() fills it, as it does an LSTM's state.
"""

from __future__ import annotations

from dataclasses import replace

from emu.errors import EmuError, shown
from emu.model.graph import Graph, Operator, Tensor


def _name(op: Operator) -> tuple[str, str]:
    def text(value) -> str:
        return value.decode(errors="replace") if isinstance(value, bytes) else str(value or "")

    return text(op.options.get("container")), text(op.options.get("shared_name"))


def bind_resource_variables(graph: Graph) -> Graph:
    """The model with each READ_VARIABLE and ASSIGN_VARIABLE reading or writing a variable
    tensor of its own in place of the handle (a graph without them is returned as it is)."""
    if not any(op.op in ("READ_VARIABLE", "ASSIGN_VARIABLE") for op in graph.all_operators):
        return graph
    tensors = list(graph.tensors)
    variables: dict[tuple[str, str], int] = {}  # name -> its variable tensor
    handles: dict[int, tuple[str, str]] = {}  # handle tensor -> the variable it names
    for k in range(graph.subgraph_count):  # TFLM's order of Prepare: the first assignment sizes a variable
        for op in graph.subgraph(k).operators:
            if op.op == "VAR_HANDLE":
                handles[op.outputs[0]] = _name(op)
            elif op.op == "ASSIGN_VARIABLE":
                name = _handle(graph, op, handles)
                if name not in variables:
                    variables[name] = len(tensors)
                    tensors.append(_variable(graph, op, name, len(tensors)))
    for k in range(graph.subgraph_count):
        sub = graph.subgraph(k)
        operators = []
        for op in sub.operators:
            if op.op in ("READ_VARIABLE", "ASSIGN_VARIABLE"):
                name = _handle(graph, op, handles)
                if name not in variables:
                    raise EmuError(f"{graph.name}: resource variable '{shown(name[1])}' is read but never "
                                   "assigned, so TFLM has no memory for it")
                op = replace(op, inputs=(variables[name], *op.inputs[1:]))
            operators.append(op)
        graph = graph.with_subgraph(k, replace(sub, tensors=tensors, operators=operators))
    return graph


def _handle(graph: Graph, op: Operator, handles: dict[int, tuple[str, str]]) -> tuple[str, str]:
    name = handles.get(op.inputs[0])
    if name is None:  # a handle passed in from another subgraph, or made by another operator
        raise EmuError(f"{graph.name}: operator {op.index} ({op.op}) of subgraph {op.subgraph} takes a resource "
                       "handle no VAR_HANDLE before it in its subgraph gives")
    return name


def _variable(graph: Graph, assign: Operator, name: tuple[str, str], index: int) -> Tensor:
    value = graph.tensors[assign.inputs[1]]
    q = value.quantization
    # emu_model_reset() fills variable tensors as TFLM resets variable tensors: the zero point of
    # an int8 one, else 0; TFLM fills a resource variable with its zero point as an int8 byte
    # whatever its type. The two differ only for another type with a zero point other than 0.
    if q is not None and value.dtype != "int8" and q.zero_point and q.zero_point[0] != 0:
        raise EmuError(f"{graph.name}: resource variable '{shown(name[1])}' holds {value.dtype} with zero point "
                       f"{q.zero_point[0]}, which emu does not reset as TFLM does")
    return Tensor(index, f"resource variable {name[1]}", value.shape, value.dtype, q, variable=True)
