"""Graph outputs that are constants (a head the converter folded to its value) copied into the
arena, where the runtime reads every output from.

TFLM hands such an output back as the constant it is. emu's runtime describes each output by
its place in the arena (emu_model_outputs), so the compiler adds, after the model's operators,
a copy of the constant into an arena tensor of its own (a RESHAPE of a constant, which lowers
to `emu_copy`) and makes that tensor the output.
"""

from __future__ import annotations

from dataclasses import replace

from emu.model.graph import Graph, Operator


def copy_constant_outputs(graph: Graph) -> Graph:
    """`graph` with each constant graph output replaced by an arena copy of it."""
    tensors, operators, outputs = list(graph.tensors), list(graph.operators), list(graph.outputs)
    for position, index in enumerate(outputs):
        constant = tensors[index]
        if not constant.is_constant:
            continue
        copy = replace(constant, index=len(tensors), data=None, buffer=0, variable=False)
        tensors.append(copy)
        operators.append(Operator(len(operators), "RESHAPE", (index,), (copy.index,)))
        outputs[position] = copy.index
    if outputs == graph.outputs:
        return graph
    return replace(graph, tensors=tensors, operators=operators, outputs=outputs)
