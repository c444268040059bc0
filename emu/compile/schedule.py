"""Weights produced at run time: widened float16 weights and decoded compressed weights.

Each is written into the arena just before the operator that reads it and lives only until
that operator ran.

TensorFlow's float16 quantization stores weights as float16 constants, each followed by a
DEQUANTIZE to float32, and the converter puts all those DEQUANTIZE operators at the start
of the graph. Run there, every widened float32 tensor would be alive in the arena from the
start until its consumer. Moved to just before their first consumer, each lives for one
operator only, so the arena holds the float32 copy of one layer's weights at a time, while
flash keeps the half-precision constants (half the bytes of float32 weights).

The widened tensor is given its values here too (numpy's float16 -> float32, which the
kernel reproduces to the bit), so that lowerings can check and fold weights at build time as
for any constant; the code generator still places it in the arena and lets the DEQUANTIZE
write it, because it is listed among the tensors produced at run time.
"""

from __future__ import annotations

from dataclasses import replace

from emu.model.compressed import compressed_tensors, decode, decode_pairs, is_decode
from emu.model.graph import Graph, Operator


def widens_constant(op: Operator, graph: Graph) -> bool:
    source = graph.tensor(op.inputs[0]) if op.inputs else None
    return op.op == "DEQUANTIZE" and source is not None and source.is_constant and source.dtype == "float16"


def defer_constant_widening(graph: Graph) -> tuple[Graph, frozenset[int]]:
    """The graph with each widening moved, and the tensors widened at run time."""
    deferred = {op.outputs[0]: op for op in graph.operators if widens_constant(op, graph)}
    if not deferred:
        return graph, frozenset()
    tensors = list(graph.tensors)
    for out, op in deferred.items():
        source = graph.tensors[op.inputs[0]]
        tensors[out] = replace(tensors[out], data=source.data.astype("float32").reshape(tensors[out].shape))
    widened = frozenset(deferred)
    ordered: list[Operator] = []
    for op in graph.operators:
        if op.outputs[0] in deferred and deferred[op.outputs[0]] is op:
            continue
        for t in op.inputs:
            widening = deferred.pop(t, None)
            if widening is not None:
                ordered.append(widening)
        ordered.append(op)
    ordered += deferred.values()  # widened tensors nothing reads (a model output, say) stay last
    return replace(graph, tensors=tensors, operators=ordered), widened


def as_activations(graph: Graph, produced: frozenset[int]) -> Graph:
    """The graph with the tensors produced at run time no longer constant, for the planner
    and the emitter: they get arena buffers and their producer writes them."""
    if not produced:
        return graph
    tensors = [replace(t, data=None) if t.index in produced else t for t in graph.tensors]
    return replace(graph, tensors=tensors)


def split_decodes(graph: Graph) -> tuple[Graph, frozenset[int]]:
    """One DECODE per decoded tensor (TFLM's compressor gives an operator that reads several
    compressed tensors one DECODE for all of them; emu makes one kernel call per tensor), and
    the decoded tensors, given their values for the lowerings as widened weights are."""
    if not any(is_decode(op) for op in graph.operators):
        return graph, frozenset()
    tables = compressed_tensors(graph)
    tensors = list(graph.tensors)
    operators: list[Operator] = []
    for op in graph.operators:
        if not is_decode(op):
            operators.append(op)
            continue
        for encoded, ancillary, out in decode_pairs(op):
            operators.append(replace(op, inputs=(encoded, ancillary), outputs=(out,)))
            tensors[out] = replace(tensors[out], data=decode(graph.tensors[encoded], tables[out][1], tensors[out]))
    return replace(graph, tensors=tensors, operators=operators), frozenset(tables)


def produce_at_run_time(graph: Graph) -> tuple[Graph, frozenset[int]]:
    graph, widened = defer_constant_widening(graph)
    graph, decoded = split_decodes(graph)
    return graph, widened | decoded
