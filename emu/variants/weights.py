"""What the weights of a .tflite model look like: how many are zero, how many distinct.

Weights are the filter inputs of the operators that have them (convolutions and fully
connected layers); biases and other constants are not counted. In a float16 model a
weight reaches its operator through a DEQUANTIZE of the stored float16 constant; in a
LUT-compressed model through a DECODE, and its values are the decoded ones.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from emu.model.compressed import decode, is_decode, lookup_table
from emu.model.graph import Graph, Tensor

# operator -> (input holding the weights, axis of the output channels in that tensor)
WEIGHT_INPUTS = {
    "CONV_2D": (1, 0),
    "FULLY_CONNECTED": (1, 0),
    "DEPTHWISE_CONV_2D": (1, 3),
    "TRANSPOSE_CONV": (1, 0),
    "CONV_3D": (1, 4),
}


@dataclass
class LayerWeights:
    op_index: int
    op: str
    tensor: str
    dtype: str
    count: int
    zeros: int
    unique_values: int  # in the whole tensor
    unique_per_channel: int  # most distinct values in any one output channel

    @property
    def sparsity(self) -> float:
        return self.zeros / self.count if self.count else 0.0

    def to_dict(self) -> dict:
        return {**asdict(self), "sparsity": self.sparsity}


@dataclass
class WeightStats:
    count: int
    sparsity: float
    unique_per_channel: int  # the largest over all layers
    layers: list[LayerWeights]


def weight_stats(graph: Graph) -> WeightStats:
    layers = [layer_weights(graph, op.index, op.op, tensor, axis)
              for op, tensor, axis in weight_tensors(graph)]
    count = sum(layer.count for layer in layers)
    zeros = sum(layer.zeros for layer in layers)
    return WeightStats(count=count, sparsity=zeros / count if count else 0.0,
                       unique_per_channel=max((layer.unique_per_channel for layer in layers), default=0),
                       layers=layers)


def weight_tensors(graph: Graph):
    producers = {out: op for op in graph.operators for out in op.outputs}
    for op in graph.operators:
        if op.op not in WEIGHT_INPUTS:
            continue
        position, axis = WEIGHT_INPUTS[op.op]
        if position >= len(op.inputs) or op.inputs[position] < 0:
            continue
        tensor = graph.tensors[op.inputs[position]]
        producer = producers.get(tensor.index)
        if not tensor.is_constant and producer is not None and producer.op == "DEQUANTIZE":
            tensor = graph.tensors[producer.inputs[0]]
        elif not tensor.is_constant and producer is not None and is_decode(producer):
            at = producer.outputs.index(tensor.index)
            encoded, ancillary = (graph.tensors[t] for t in producer.inputs[2 * at:2 * at + 2])
            tensor = replace(tensor, data=decode(encoded, lookup_table(ancillary, tensor), tensor))
        if tensor.is_constant:
            yield op, tensor, axis


def layer_weights(graph: Graph, op_index: int, op: str, tensor: Tensor, axis: int) -> LayerWeights:
    values = np.asarray(tensor.data).reshape(tensor.shape)
    channels = np.moveaxis(values, axis, 0).reshape(values.shape[axis], -1) if values.ndim else values.reshape(1, -1)
    return LayerWeights(
        op_index=op_index, op=op, tensor=tensor.name, dtype=tensor.dtype, count=int(values.size),
        zeros=int(np.sum(values == 0)), unique_values=int(len(np.unique(values))),
        unique_per_channel=int(max(len(np.unique(row)) for row in channels)),
    )
