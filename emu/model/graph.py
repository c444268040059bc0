"""A model as plain values: tensors (shape, type, quantization, constant data), operators
(name, tensor indices, options) and the graph that holds them. The reader makes them from a
.tflite file; every later stage reads them without the flatbuffer schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

RESOURCE_VARIABLE_OPS = ("VAR_HANDLE", "ASSIGN_VARIABLE", "READ_VARIABLE")

# The options naming the subgraphs a control-flow operator runs, in the order it runs them
# first: WHILE's condition then body, IF's then and else branches, CALL_ONCE's init subgraph.
CALLED_SUBGRAPHS = {
    "WHILE": ("cond_subgraph_index", "body_subgraph_index"),
    "IF": ("then_subgraph_index", "else_subgraph_index"),
    "CALL_ONCE": ("init_subgraph_index",),
}


def called_subgraphs(op: "Operator") -> tuple[int, ...]:
    """The subgraphs an operator runs (none for every operator but WHILE, IF and CALL_ONCE)."""
    return tuple(int(op.options.get(name, -1)) for name in CALLED_SUBGRAPHS.get(op.op, ()))


@dataclass(frozen=True)
class Quantization:
    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    axis: int = 0  # the quantized dimension, for per-channel quantization

    @property
    def per_channel(self) -> bool:
        return len(self.scale) > 1


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str  # numpy dtype name: "int8", "float32", ...
    quantization: Quantization | None
    data: np.ndarray | None = None  # constant contents (weights, biases, shapes), else None
    buffer: int = 0  # index into the model's buffers (0 is the empty buffer)
    variable: bool = False  # state kept from one inference to the next (an LSTM's), reset to zero point

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        return self.size * np.dtype(self.dtype).itemsize


@dataclass
class Operator:
    index: int
    op: str  # builtin operator name, e.g. "CONV_2D"
    inputs: tuple[int, ...]  # tensor indices; -1 marks an absent optional input
    outputs: tuple[int, ...]
    options: dict = field(default_factory=dict)  # snake_case option names -> values
    subgraph: int = 0  # the model's subgraph it belongs to (index is its position there)


@dataclass
class Subgraph:
    """One of the model's other subgraphs (1, 2, ...): a loop's condition or body, a branch, an
    init function. Its operators, inputs and outputs index the model's one tensor list."""

    name: str
    operators: list[Operator]
    inputs: list[int]
    outputs: list[int]


@dataclass
class Graph:
    """The model: its tensors and its main subgraph (subgraph 0: operators, inputs, outputs).

    A model with control flow has more subgraphs, which WHILE, IF and CALL_ONCE run. Their
    tensors follow the main subgraph's in the one tensor list (the reader renumbers them:
    tensor i of subgraph k is tensor i plus the tensor counts of the subgraphs before k), so
    a tensor index names one tensor of the whole model and every stage reads any subgraph's
    operators against graph.tensors."""

    name: str
    sha256: str
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: list[int]
    outputs: list[int]
    subgraphs: list[Subgraph] = field(default_factory=list)  # subgraph k of the file is subgraphs[k - 1]

    @property
    def variable_tensors(self) -> list[Tensor]:
        return [t for t in self.tensors if t.variable]

    @property
    def stateful(self) -> bool:
        """Whether one inference can change the next: variable tensors (an LSTM's state), or
        resource variables (written by ASSIGN_VARIABLE)."""
        return bool(self.variable_tensors) or any(op.op in RESOURCE_VARIABLE_OPS for op in self.all_operators)

    @property
    def subgraph_count(self) -> int:
        return 1 + len(self.subgraphs)

    def subgraph(self, k: int) -> "Graph":
        """Subgraph k as a Graph of its own (0: this one), over the same tensors: what reads one
        subgraph's operators (a lowering, folding, the checks) reads it as it reads a model.
        Asked of such a view, subgraph(0) is the view itself: no subgraph may run the main one
        (emu/model/validate.py refuses a call graph with a cycle)."""
        if k == 0:
            return self
        sub = self.subgraphs[k - 1]
        return Graph(self.name, self.sha256, self.tensors, sub.operators, sub.inputs, sub.outputs, self.subgraphs)

    def with_subgraph(self, k: int, view: "Graph") -> "Graph":
        """This model with subgraph k's operators, inputs and outputs, and the tensors, taken
        from `view` (subgraph(k) after a stage changed it)."""
        if k == 0:
            return Graph(self.name, self.sha256, view.tensors, view.operators, view.inputs, view.outputs,
                         self.subgraphs)
        subgraphs = list(self.subgraphs)
        subgraphs[k - 1] = Subgraph(subgraphs[k - 1].name, view.operators, view.inputs, view.outputs)
        return Graph(self.name, self.sha256, view.tensors, self.operators, self.inputs, self.outputs, subgraphs)

    @property
    def all_operators(self) -> list[Operator]:
        """Every subgraph's operators, subgraph by subgraph."""
        return [op for k in range(self.subgraph_count) for op in self.subgraph(k).operators]

    def tensor(self, index: int) -> Tensor | None:
        return None if index < 0 else self.tensors[index]

    @cached_property
    def writers(self) -> dict[int, Operator]:
        """Tensor index -> the operator that writes it (validate.py allows one per tensor).
        Built once per Graph, so that asking for every operator stays linear: Graphs are not
        changed once made (the compiler's stages make new ones with dataclasses.replace)."""
        return {t: op for op in self.operators for t in op.outputs}
