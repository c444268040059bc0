"""Lookup-table compression of few-valued weights with TFLM's compressor.

A weight tensor whose values are few (at most 16 in the whole tensor or in every output
channel: clustered weights) is rewritten by TFLM's compressor as packed indices of
ceil(log2(values)) bits plus value tables, and a DECODE operator before its consumer
restores it. The table is one per tensor when that is smaller, else one per output
channel. A tensor is compressed only when indices and tables together take fewer bytes
than the int8 weights. The result is an ordinary TFLM model: TFLM's interpreter runs it,
and emu builds it with the packed indices in flash (docs/runtime.md).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from emu.model.graph import Graph
from emu.model.reader import parse_model
from emu.variants.flatbuffer import with_opcodes_in_both_fields
from emu.variants.weights import weight_tensors

MAX_VALUES = 16  # the clustered variants' budget: 4-bit indices


@dataclass(frozen=True)
class LutChoice:
    tensor: int
    bitwidth: int
    axis: int | None  # None: one table for the tensor
    bytes: int  # packed indices + value tables

    def spec(self):
        from tflite_micro.tensorflow.lite.micro.compression import spec

        mode = spec.PerTensor() if self.axis is None else spec.PerChannel(axis=self.axis)
        return spec.Tensor(subgraph=0, tensor=self.tensor,
                           compression=[spec.LookUpTableCompression(index_bitwidth=self.bitwidth, mode=mode)])


def bits_for(values: int) -> int:
    return max(1, math.ceil(math.log2(values))) if values > 1 else 1


def lut_choice(tensor, axis: int, max_values: int = MAX_VALUES) -> LutChoice | None:
    """The smaller of one table and a table per channel, if either fits max_values and
    saves bytes. TFLM's DECODE finds the channels from the tensor's quantization, so a
    tensor quantized per channel gets tables along its quantized axis, one scale one table;
    the compressor's per-channel tables are along axis 0 or the last axis."""
    data = np.asarray(tensor.data)
    if data.dtype.itemsize != 1 or data.size == 0:
        return None
    q = tensor.quantization
    per_channel = q is not None and q.per_channel
    if per_channel:
        axis = q.axis
    options = []
    whole = len(np.unique(data))
    if whole <= max_values and not per_channel:
        bits = bits_for(whole)
        options.append(LutChoice(tensor.index, bits, None, math.ceil(data.size * bits / 8) + whole))
    if per_channel and axis in (0, data.ndim - 1):
        per = max(len(np.unique(row)) for row in np.moveaxis(data, axis, 0).reshape(data.shape[axis], -1))
        if per <= max_values:
            bits = bits_for(per)
            options.append(LutChoice(tensor.index, bits, axis,
                                     math.ceil(data.size * bits / 8) + data.shape[axis] * per))
    best = min(options, key=lambda c: c.bytes, default=None)
    return best if best is not None and best.bytes < data.nbytes else None


# Filters the device compiler may store in its sparse form instead (emu/compile/sparse.py)
SPARSE_OPERATORS = ("CONV_2D", "FULLY_CONNECTED")


def lut_choices(graph: Graph, max_values: int = MAX_VALUES) -> list[LutChoice]:
    """The tensors to compress: few-valued filters, less those that a pruned model stores
    smaller in the compiler's sparse form."""
    from emu.compile.sparse import sparse_bytes

    seen, choices = set(), []
    for op, tensor, axis in weight_tensors(graph):
        if tensor.index in seen or tensor.dtype != "int8":
            continue
        seen.add(tensor.index)
        choice = lut_choice(tensor, axis, max_values)
        sparse = sparse_bytes(tensor.data.reshape(tensor.shape[0], -1)) if op.op in SPARSE_OPERATORS else None
        if choice is not None and (sparse is None or choice.bytes < sparse):
            choices.append(choice)
    return choices


def compress_few_valued(model: bytes, max_values: int = MAX_VALUES) -> bytes | None:
    """The model with its few-valued int8 weights LUT-compressed, or None when no tensor
    qualifies (or the model already carries DECODE operators)."""
    graph = parse_model(model)
    if any(op.op == "CUSTOM:TFLM_DECODE" for op in graph.operators):
        return None
    choices = lut_choices(graph, max_values)
    if not choices:
        return None
    from tflite_micro.tensorflow.lite.micro.compression.compress import compress

    with warnings.catch_warnings():  # it warns of tensors it leaves as they are; the choice is ours
        warnings.simplefilter("ignore")
        return bytes(compress(with_opcodes_in_both_fields(model), [c.spec() for c in choices]))
