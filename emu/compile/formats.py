"""Each filter's form, chosen by the user's objective (emu/compile/objective.py).

Two choices, both made per layer and recorded on it (KernelCall.weight_format, .choice):
- a pruned int8 filter: the dense call the kernel set gives (DSP, Helium or portable) or the
  sparse-bitmap one (the operator module's `sparse` hook), in choose_sparse;
- a filter the model stores compressed (LUT) or in half precision: decoded or widened into
  RAM before its layer, or expanded at build time into a plain constant, in expand_at_build_time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from emu.compile.kernel_call import KernelCall
from emu.compile.objective import FLASH, LATENCY, SPARSE_MARGIN, Form, choose, estimated_cycles, kernel_family
from emu.model.compressed import is_decode, lookup_table
from emu.model.graph import Graph, Operator

FILTER_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


@dataclass(frozen=True)
class Choosing:
    """What the choices are made for: the objective, the board's core (None: no board), the
    family of its dense int8 kernels ("reference", "dsp" or "mve", from the kernel set), and
    the filters (tensor indices) that must take their smallest form to fit the part's flash."""

    objective: str = LATENCY
    core: str | None = None
    dense_family: str = "reference"
    smallest: frozenset[int] = frozenset()
    # The model's filter layers' estimated cycles and filter bytes in their plain forms
    # (plain_totals), which the balanced objective weighs each layer's choice against.
    model: tuple[int, int] = (1, 1)

    def for_filter(self, tensor: int) -> str:
        return FLASH if tensor in self.smallest else self.objective


def choose_sparse(op: Operator, graph: Graph, dense: KernelCall, sparse: KernelCall, choosing: Choosing) -> KernelCall:
    """The dense call (the kernel set's best) or the sparse one, by the objective's cost. The
    dense call's multiply-accumulates are counted over the filter it stores: a kernel that skips
    constant channels (emu/compile/constant_channels.py) stores their live rows only."""
    w = graph.tensor(op.inputs[1])
    name, outputs = w.dtype, graph.tensor(op.outputs[0]).size
    dense_bytes = dense.filter_storage[1] if dense.filter_storage else w.nbytes
    dense_macs = dense.macs * min(dense_bytes, w.nbytes) // max(w.nbytes, 1)
    plain = Form(name, estimated_cycles(choosing.core, kernel_family(dense.path), outputs, dense_macs), dense_bytes)
    other = Form(sparse.filter_storage[0], estimated_cycles(choosing.core, "sparse", outputs, dense.macs, sparse.macs),
                 sparse.filter_storage[1])
    chosen, why = choose(choosing.for_filter(op.inputs[1]), plain, other, SPARSE_MARGIN, choosing.model)
    if chosen is other:
        return replace(sparse, weight_format=other.name, choice=why)
    return replace(dense, weight_format=name, choice=why, smaller=_smaller(plain, other))


def _smaller(chosen: Form, other: Form) -> tuple[int, int] | None:
    """(bytes saved, cycles lost) by the other form when it is the smaller one."""
    return (chosen.flash - other.flash, other.cycles - chosen.cycles) if other.flash < chosen.flash else None


@dataclass(frozen=True)
class Expansion:
    """The choice for a filter produced at run time: the filter, its form, why, and what the
    smallest form would save and cost where it was not taken (KernelCall.smaller)."""

    tensor: int
    weight_format: str
    choice: str
    smaller: tuple[int, int] | None


def plain_totals(graph: Graph, choosing: Choosing) -> tuple[int, int]:
    """Estimated cycles and bytes of the model's filter layers, every filter dense and in flash
    (a decoded or widened one expanded): what balanced measures a layer's shares against."""
    cycles = size = 0
    for op in graph.operators:
        if op.op not in FILTER_OPS or len(op.inputs) < 2 or graph.tensor(op.inputs[1]) is None:
            continue
        w = graph.tensor(op.inputs[1])
        family = "reference" if w.dtype == "float32" else choosing.dense_family
        cycles += estimated_cycles(choosing.core, family, graph.tensor(op.outputs[0]).size, _consumer_macs(op, graph))
        size += w.nbytes
    return max(cycles, 1), max(size, 1)


def _consumer_macs(op: Operator, graph: Graph) -> int:
    """Multiply-accumulates of a filter operator, from its shapes: every output element takes
    the filter's weights of one output channel (the last axis for a depthwise filter)."""
    w, y = graph.tensor(op.inputs[1]), graph.tensor(op.outputs[0])
    channels = w.shape[-1] if op.op == "DEPTHWISE_CONV_2D" else w.shape[0]
    return y.size * (w.size // max(channels, 1))


def _stored(graph: Graph, producer: Operator) -> tuple[str, int]:
    """The form and flash bytes of a weight produced at run time, as the model stores it."""
    source = graph.tensors[producer.inputs[0]]
    if is_decode(producer):
        lut = lookup_table(graph.tensors[producer.inputs[1]], graph.tensors[producer.outputs[0]])
        return f"lut{lut.bitwidth}", source.nbytes + lut.tables.nbytes
    return source.dtype, source.nbytes


def expand_at_build_time(graph: Graph, produced: frozenset[int],
                         choosing: Choosing) -> tuple[Graph, frozenset[int], dict[int, Expansion]]:
    """The main subgraph with the decodings and widenings the objective drops: their weights
    become constants of the plain type (the lowerings already gave them their values), which
    the dense kernels read from flash. Returns the graph, the weights still produced at run time,
    and for each filter operator chosen for (its index) the choice."""
    readers: dict[int, list[Operator]] = {}
    for op in graph.operators:
        for t in op.inputs:
            readers.setdefault(t, []).append(op)
    writers = {op.outputs[0]: op for op in graph.operators if op.outputs and op.outputs[0] in produced}
    dropped: set[int] = set()
    choices: dict[int, Expansion] = {}
    for tensor, producer in writers.items():
        consumers = readers.get(tensor, [])
        if (tensor in graph.outputs or len(consumers) != 1 or consumers[0].op not in FILTER_OPS
                or consumers[0].inputs[1] != tensor):
            continue
        consumer, decoded = consumers[0], graph.tensors[tensor]
        kind, stored_bytes = _stored(graph, producer)
        family = "reference" if decoded.dtype == "float32" else choosing.dense_family
        layer = estimated_cycles(choosing.core, family, graph.tensors[consumer.outputs[0]].size,
                                 _consumer_macs(consumer, graph))
        decoding = estimated_cycles(choosing.core, "decode", decoded.size, 0)  # per weight decoded
        expanded = Form(f"{decoded.dtype} expanded from {kind}", layer, decoded.nbytes)
        at_run_time = Form(f"{kind} decoded to RAM", layer + decoding, stored_bytes)
        chosen, why = choose(choosing.for_filter(tensor), at_run_time, expanded, model=choosing.model)
        choices[consumer.index] = Expansion(tensor, chosen.name, why,
                                            _smaller(expanded, at_run_time) if chosen is expanded else None)
        if chosen is expanded:
            dropped.add(tensor)
    if not dropped:
        return graph, produced, choices
    gone = {id(writers[t]) for t in dropped}
    operators = [op for op in graph.operators if id(op) not in gone]
    return replace(graph, operators=operators), produced - dropped, choices
