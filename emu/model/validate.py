"""What a Graph must satisfy before the compiler or a reference interpreter sees it.

Models come from anyone, and one flipped bit gives a flatbuffer that still parses. Each
rule here is a clear violation of the TFLite schema or quantization spec that TFLM itself
would reject, crash on or miscompute (https://ai.google.dev/edge/litert/models/quantization_spec);
each raises EmuError with one line naming the tensor or operator.
"""

from __future__ import annotations

import math

from emu.errors import EmuError, shown
from emu.model.graph import Graph, Tensor

# No board has 2 GB of RAM; a bound here also keeps every byte count within 64 bits.
MAX_ELEMENTS = 2**31

# The zero points an integer tensor can hold.
_ZERO_POINT_RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767),
                     "int32": (-(2**31), 2**31 - 1)}


def tensor_label(index: int, name: str) -> str:
    return f"tensor {index} ({shown(name)})"


def check_shape(model: str, index: int, name: str, shape: tuple[int, ...]) -> None:
    """Dimensions non-negative and the element count bounded (reading data depends on it)."""
    where = f"{model}: {tensor_label(index, name)}"
    if any(d < 0 for d in shape):
        raise EmuError(f"{where} has a negative dimension in shape {list(shape)}")
    if math.prod(shape) > MAX_ELEMENTS:
        raise EmuError(f"{where} has shape {list(shape)}: {math.prod(shape):,} elements, "
                       f"more than the {MAX_ELEMENTS:,} emu accepts")


# TFLM's compressor's operator (emu/model/compressed.py, which checks it and its tables)
DECODE = "CUSTOM:TFLM_DECODE"


def validate(graph: Graph, buffer_count: int) -> None:
    # A DECODE input holds packed indices, not the tensor its quantization describes: its
    # shape is the packed bytes', so the channel count is checked on what it decodes to.
    encoded = {i for op in graph.operators if op.op == DECODE for i in op.inputs if i >= 0}
    for t in graph.tensors:
        _check_tensor(graph, t, buffer_count, packed=t.index in encoded)
    _check_graph_io(graph)
    for op in graph.operators:
        _check_operator(graph, op)


def _check_tensor(graph: Graph, t: Tensor, buffer_count: int, packed: bool = False) -> None:
    where = f"{graph.name}: {tensor_label(t.index, t.name)}"
    check_shape(graph.name, t.index, t.name, t.shape)
    if not 0 <= t.buffer < buffer_count:
        raise EmuError(f"{where} refers to buffer {t.buffer}, but the model has {buffer_count} buffers")
    q = t.quantization
    if q is None or t.dtype not in _ZERO_POINT_RANGE:
        return  # float tensors ignore quantization parameters
    for s in q.scale:
        if not math.isfinite(s):
            raise EmuError(f"{where} has quantization scale {s}, which is not finite")
        if s < 0 or (s == 0 and not t.is_constant):
            # A zero scale on an activation divides by zero in every requantization.
            raise EmuError(f"{where} has quantization scale {s:g}; scales must be positive")
    if len(q.zero_point) != len(q.scale):
        raise EmuError(f"{where} has {len(q.scale)} scales but {len(q.zero_point)} zero points")
    low, high = _ZERO_POINT_RANGE[t.dtype]
    for z in q.zero_point:
        if not low <= z <= high:
            raise EmuError(f"{where} has zero point {z}, outside the {t.dtype} range [{low}, {high}]")
    if q.per_channel and not packed:
        axis = q.axis
        if len(t.shape) == 1 and axis > 0:
            # Converters leave per-channel biases ([C]) with their filter's dimension (3 for
            # depthwise); TFLM reads them by channel all the same.
            axis = 0
        if not 0 <= axis < len(t.shape):
            raise EmuError(f"{where} is quantized along dimension {q.axis}, but has shape {list(t.shape)}")
        if len(q.scale) != t.shape[axis]:
            raise EmuError(f"{where} has {len(q.scale)} scales, but dimension {axis} of shape "
                           f"{list(t.shape)} has {t.shape[axis]} channels")


def _check_graph_io(graph: Graph) -> None:
    count = len(graph.tensors)
    for kind, indices in (("inputs", graph.inputs), ("outputs", graph.outputs)):
        if not indices:
            raise EmuError(f"{graph.name}: the graph has no {kind}")
        for i in indices:
            if not 0 <= i < count:
                raise EmuError(f"{graph.name}: graph {kind[:-1]} {i} is not a tensor (the model has {count})")
    for i in graph.outputs:
        t = graph.tensors[i]
        if t.is_constant:
            raise EmuError(f"{graph.name}: graph output {tensor_label(i, t.name)} is a constant")


def _check_operator(graph: Graph, op) -> None:
    where = f"{graph.name}: operator {op.index} ({shown(op.op)})"
    count = len(graph.tensors)
    if not op.inputs:
        raise EmuError(f"{where} has no inputs")
    if not op.outputs:
        raise EmuError(f"{where} has no outputs")
    for i in op.inputs:
        if i != -1 and not 0 <= i < count:  # -1 marks an absent optional input
            raise EmuError(f"{where} reads tensor {i}, but the model has {count} tensors")
    for i in op.outputs:
        if not 0 <= i < count:
            raise EmuError(f"{where} writes tensor {i}, but the model has {count} tensors")
        if graph.tensors[i].is_constant:
            raise EmuError(f"{where} writes {tensor_label(i, graph.tensors[i].name)}, "
                           "which is a constant (it has buffer data)")
