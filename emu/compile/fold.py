"""Shape arithmetic computed at compile time: operators whose inputs are all constants become
constants themselves, and leave the graph.

Keras layers with an open batch size (Input(shape=...) without batch_size: Flatten, Reshape,
Conv2DTranspose, every keras.applications model) make the converter compute shapes at run
time: SHAPE of an activation, STRIDED_SLICE of the batch size out of it, PACK with the other
dimensions, and the result as RESHAPE's shape. The file holds the static shape TFLM allocates
for (the batch dimension that the converter marks -1 in shape_signature is 1 in `shape`), and
emu compiles for that static shape too, so SHAPE of any tensor is a constant and everything
computed from constants is one. Evaluated here with numpy, as TFLM's kernels compute it.

An operator is folded only where TFLM would run it and its result is exactly TFLM's: the types
TFLM's kernel takes, data moved only between tensors of one quantization, no division by zero
or index out of range, a result of the shape the file declares for its output (TFLM allocates
that shape and never resizes it). Anything else stays in the graph and is lowered, or refused
as an unsupported operator, as before. A graph output is never folded: the graph's outputs
must be written by operators. Folded operators are not layers: they leave the operator list,
and the remaining operators keep their indices in the file.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Callable

import numpy as np

from emu.model.graph import Graph, Operator, Tensor

# A folded result is stored in flash as a constant: bounded, so that a FILL or BROADCAST_TO of
# a large activation stays an operator of the graph instead of a large constant.
MAX_FOLDED_BYTES = 64 * 1024


class NotFoldable(Exception):
    """This operator, with these inputs, is not computed here (it stays in the graph)."""


# TFLM's STRIDED_SLICE takes inputs of at most 4 dimensions, BROADCAST_TO outputs of at most 5.
_MAX_SLICE_RANK = 4
_MAX_BROADCAST_RANK = 5
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def _clamp(value: int, stride: int, size: int) -> int:
    return min(max(value, 0), size) if stride > 0 else min(max(value, -1), size - 1)


def _slice_range(b: int, e: int, s: int, size: int, bit: int, options: dict) -> range:
    """The positions TFLM's kernel reads along one axis (reference_ops::StridedSlice:
    StridedSliceStartForAxis and StridedSliceEndForAxis): a masked begin counts after clamping,
    and a shrunk axis takes one element from the start, whatever its masks and end say."""
    start = _clamp(b + size if b < 0 else b, s, size)
    if options.get("begin_mask", 0) & bit:
        start = 0 if s > 0 else size - 1
    if options.get("shrink_axis_mask", 0) & bit:
        return range(start, start if start >= size else start + 1, s)
    stop = _clamp(e + size if e < 0 else e, s, size)
    if options.get("end_mask", 0) & bit:
        stop = size if s > 0 else -1
    return range(start, stop, s)


def _declared_length(b: int, e: int, s: int, size: int, bit: int, options: dict) -> int:
    """The length TFLM's Prepare requires the output to declare for one axis (CheckOutputSize,
    with StartForAxis and StopForAxis, which treat masks before clamping)."""
    if size == 0:
        return 0
    if options.get("begin_mask", 0) & bit:
        b = _INT_MIN if s > 0 else _INT_MAX
    start = _clamp(b + size if b < 0 else b, s, size)
    if options.get("shrink_axis_mask", 0) & bit:
        return 1
    if options.get("end_mask", 0) & bit:
        e = _INT_MAX if s > 0 else _INT_MIN
    stop = _clamp(e + size if e < 0 else e, s, size)
    return max(math.ceil((stop - start) / s), 0)


def slice_ranges(shape: tuple[int, ...], begin: np.ndarray, end: np.ndarray, strides: np.ndarray,
                 options: dict) -> tuple[list[range], list[int]]:
    """STRIDED_SLICE's index walk as TFLM computes it: the positions its kernel reads along each
    input axis, and the output shape its Prepare requires. TFLM reads one begin, end and stride
    per input dimension and ignores the ellipsis and new-axis masks and the `offset` option (the
    converter writes none of them: it rewrites ellipses and new axes as full masks and
    RESHAPEs). Where Prepare would refuse, or the kernel would write another number of elements
    than that shape holds, NotFoldable says why."""
    rank = len(shape)
    if not 0 < rank <= _MAX_SLICE_RANK:
        raise NotFoldable(f"an input of {rank} dimensions (TFLM takes 1 to {_MAX_SLICE_RANK})")
    if not (begin.shape == end.shape == strides.shape == (rank,)):
        raise NotFoldable("begin, end and strides must hold one value per input dimension")
    if (strides == 0).any():
        raise NotFoldable("stride 0")
    shrink = options.get("shrink_axis_mask", 0)
    ranges, declared = [], []
    for axis, (b, e, s) in enumerate(zip(begin.tolist(), end.tolist(), strides.tolist(), strict=True)):
        bit, size = 1 << axis, shape[axis]
        ranges.append(_slice_range(b, e, s, size, bit, options))
        if not shrink & bit:
            declared.append(_declared_length(b, e, s, size, bit, options))
    if math.prod(len(r) for r in ranges) != math.prod(declared):
        raise NotFoldable("the kernel writes another number of elements than the output holds")
    return ranges, declared


def strided_slice(x: np.ndarray, begin: np.ndarray, end: np.ndarray, strides: np.ndarray,
                  options: dict) -> np.ndarray:
    """STRIDED_SLICE of a constant, as TFLM computes it (see slice_ranges)."""
    ranges, declared = slice_ranges(x.shape, begin, end, strides, options)
    return x[np.ix_(*[np.array(r, dtype=np.int64) for r in ranges])].reshape(declared)


def _axis(axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise NotFoldable(f"axis {axis} outside rank {rank}")
    return axis % rank


def _shape(op: Operator, graph: Graph, values: list, out: Tensor) -> np.ndarray:
    return np.array(graph.tensors[op.inputs[0]].shape, dtype=out.dtype)


def _strided_slice(op, graph, values, out):
    if any(v.dtype.name != "int32" for v in values[1:4]):
        raise NotFoldable("begin, end and strides must be int32")  # as TFLM requires
    return strided_slice(values[0], *values[1:4], op.options)


def _pack(op, graph, values, out):
    rank = values[0].ndim + 1
    return np.stack(values, axis=_axis(op.options.get("axis", 0), rank))


def _concatenation(op, graph, values, out):
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        raise NotFoldable("fused activation")
    return np.concatenate(values, axis=_axis(op.options.get("axis", 0), values[0].ndim))


def _same_shape(op, graph, values, out):
    """RESHAPE, SQUEEZE and EXPAND_DIMS: TFLM gives the output the shape its tensor declares."""
    if values[0].size != out.size:
        raise NotFoldable("element counts differ")
    return values[0].reshape(out.shape)


def _gather(op, graph, values, out):
    params, indices = values[0], values[1]
    if op.options.get("batch_dims", 0) != 0:
        raise NotFoldable("batch_dims")
    axis = _axis(op.options.get("axis", 0), params.ndim)
    if indices.size and not (0 <= indices.min() and indices.max() < params.shape[axis]):
        raise NotFoldable("index out of range")  # TFLM refuses these at run time
    return np.take(params, indices.astype(np.int64), axis=axis)


def _cast(op, graph, values, out):
    x = values[0]
    if x.dtype.kind == "f" and out.dtype != "float32":
        info = np.iinfo(out.dtype)
        if not (np.isfinite(x).all() and (x > info.min - 1).all() and (x < info.max + 1).all()):
            raise NotFoldable("a float outside the integer type")  # static_cast is undefined there
    return x.astype(out.dtype)


def _fill(op, graph, values, out):
    dims, value = values
    if dims.ndim != 1 or value.ndim != 0 or (dims < 0).any():
        raise NotFoldable("FILL needs a vector of dimensions and a scalar")  # as TFLM does
    return np.full(tuple(int(d) for d in dims), value, dtype=out.dtype)


def _broadcast_to(op, graph, values, out):
    if len(values[1]) > _MAX_BROADCAST_RANK or values[0].ndim > len(values[1]):
        raise NotFoldable("TFLM broadcasts to at most 5 dimensions, never to fewer")
    try:
        return np.broadcast_to(values[0], tuple(int(d) for d in values[1])).copy()
    except ValueError as e:
        raise NotFoldable(str(e)) from None


def _floor_div(a, b):
    if (b == 0).any():
        raise NotFoldable("division by zero")  # TFLM refuses it at run time
    return np.floor(a / b)  # TFLM: std::floor of the float32 quotient


_ARITHMETIC: dict[str, Callable] = {"ADD": np.add, "SUB": np.subtract, "MUL": np.multiply, "FLOOR_DIV": _floor_div}


def _arithmetic(op, graph, values, out):
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        raise NotFoldable("fused activation")
    a, b = values
    with np.errstate(over="ignore"):  # int32 wraps in numpy as in TFLM's two's-complement kernels
        return _ARITHMETIC[op.op](a, b)


# Operator -> its evaluation on constant inputs (present inputs, in order).
FOLDERS: dict[str, Callable] = {
    "SHAPE": _shape, "STRIDED_SLICE": _strided_slice, "PACK": _pack, "CONCATENATION": _concatenation,
    "RESHAPE": _same_shape, "SQUEEZE": _same_shape, "EXPAND_DIMS": _same_shape, "GATHER": _gather,
    "CAST": _cast, "FILL": _fill, "BROADCAST_TO": _broadcast_to,
    **{name: _arithmetic for name in _ARITHMETIC},
}

# The types TFLM's kernel for each operator takes (tensorflow/lite/micro/kernels/): for each
# operator, the data type of its inputs and output, then of its index inputs (RESHAPE's and
# SQUEEZE's shape, STRIDED_SLICE's begin, end and strides, GATHER's positions, FILL's and
# BROADCAST_TO's dimensions, EXPAND_DIMS's axis). A model TFLM refuses is not made runnable by
# folding: its operator stays, and is refused as TFLM refuses it.
_ANY = None
_TFLM_TYPES: dict[str, tuple[frozenset[str] | None, frozenset[str] | None]] = {
    "SHAPE": (frozenset({"int32"}), _ANY),  # its output; the input is read for its shape only
    "STRIDED_SLICE": (frozenset({"float32", "int8", "int16", "int32", "bool"}), frozenset({"int32"})),
    "PACK": (frozenset({"float32", "int8", "int16", "int32", "int64"}), _ANY),
    "CONCATENATION": (frozenset({"float32", "int8", "int16", "int32", "int64", "bool"}), _ANY),
    "RESHAPE": (_ANY, frozenset({"int32"})),
    "SQUEEZE": (_ANY, _ANY),
    "EXPAND_DIMS": (_ANY, frozenset({"int32"})),
    "GATHER": (frozenset({"float32", "int8"}), frozenset({"int32"})),
    "CAST": (frozenset({"int8", "int16", "int32", "uint32", "float32", "bool"}), _ANY),  # its input
    "FILL": (frozenset({"float32", "int32", "int8"}), frozenset({"int32", "int64"})),
    "BROADCAST_TO": (_ANY, frozenset({"int32", "int64"})),
    "ADD": (frozenset({"int32"}), _ANY), "SUB": (frozenset({"int32"}), _ANY), "MUL": (frozenset({"int32"}), _ANY),
    "FLOOR_DIV": (frozenset({"float32"}), _ANY),
}
_CAST_OUTPUTS = frozenset({"int8", "int16", "int32", "uint32", "float32"})


def _tflm_takes(op: Operator, tensors: list[Tensor]) -> bool:
    data_types, index_types = _TFLM_TYPES[op.op]
    present = [t for t in op.inputs if t >= 0]
    data = _data_inputs(op)
    out = tensors[op.outputs[0]].dtype
    if op.op == "SHAPE":
        return out in data_types
    if op.op == "CAST":
        return all(tensors[t].dtype in data_types for t in data) and out in _CAST_OUTPUTS
    if data_types is not _ANY and not all(tensors[t].dtype in data_types for t in [*data, op.outputs[0]]):
        return False
    index = [t for t in present if t not in data]
    return index_types is _ANY or all(tensors[t].dtype in index_types for t in index)


# Where an operator's inputs after the first are indices, not data: their quantization does not
# matter. SHAPE reads only its input's shape, so that input need not be constant.
_DATA_INPUTS = {"STRIDED_SLICE": 1, "RESHAPE": 1, "SQUEEZE": 1, "EXPAND_DIMS": 1, "GATHER": 1,
                "BROADCAST_TO": 1, "FILL": (1, 2)}


def _data_inputs(op: Operator) -> list[int]:
    present = [t for t in op.inputs if t >= 0]
    which = _DATA_INPUTS.get(op.op)
    if which is None:
        return present
    if isinstance(which, tuple):
        return present[which[0]:which[1]]
    return present[:which]


def _moves_values_unchanged(op: Operator, tensors: list[Tensor]) -> bool:
    """Data passes from the inputs to the output as stored integers: true when every data
    input has the output's quantization (or none has any), as a requantizing kernel would
    otherwise change the values."""
    if op.op == "SHAPE":
        return True
    out = tensors[op.outputs[0]]
    for t in _data_inputs(op):
        if tensors[t].quantization != out.quantization:
            return False
        if op.op != "CAST" and tensors[t].dtype != out.dtype:
            return False
    return op.op != "CAST" or out.quantization is None


def _evaluate(op: Operator, graph: Graph, tensors: list[Tensor]) -> np.ndarray:
    present = [t for t in op.inputs if t >= 0]
    if len(op.outputs) != 1:
        raise NotFoldable("one output only")
    needed = present[1:] if op.op == "SHAPE" else present
    if not present or any(tensors[t].data is None for t in needed):
        raise NotFoldable("an input is computed at run time")
    if not _tflm_takes(op, tensors):
        raise NotFoldable("a type TFLM's kernel does not take")
    if not _moves_values_unchanged(op, tensors):
        raise NotFoldable("quantization changes")
    out = tensors[op.outputs[0]]
    values = [tensors[t].data for t in present]
    try:
        result = np.asarray(FOLDERS[op.op](op, graph, values, out))
    except (ValueError, IndexError) as e:  # operands numpy cannot stack, join or index
        raise NotFoldable(str(e)) from None
    if result.dtype.name != out.dtype:
        raise NotFoldable(f"computes {result.dtype.name}, the file declares {out.dtype}")
    if result.shape != tuple(out.shape):
        # TFLM allocates the declared shape and does not resize it: a different result is a
        # model TFLM does not run as its file says, so the operator is left to its lowering.
        raise NotFoldable(f"computes shape {list(result.shape)}, the file declares {list(out.shape)}")
    if result.nbytes > MAX_FOLDED_BYTES:
        raise NotFoldable("too large to keep as a constant")
    return result


def most_folded(graph: Graph) -> int:
    """How many operators fold_constants could remove at most, in one pass without computing
    anything: those of FOLDERS that read only constants and what such operators write (SHAPE's
    first input aside) and write no graph output."""
    constant = {t.index for t in graph.tensors if t.is_constant}
    outputs = set(graph.outputs)
    count = 0
    for op in graph.operators:
        present = [t for t in op.inputs if t >= 0]
        needed = present[1:] if op.op == "SHAPE" else present
        if op.op in FOLDERS and all(t in constant for t in needed) and not outputs.intersection(op.outputs):
            constant.update(op.outputs)
            count += 1
    return count


def fold_constants(graph: Graph) -> Graph:
    """The graph with every operator whose inputs are all constant (or, for SHAPE, whose input
    has a static shape) replaced by its result as a constant tensor."""
    if not any(op.op in FOLDERS for op in graph.operators):
        return graph
    tensors = list(graph.tensors)
    outputs = set(graph.outputs)
    kept: list[Operator] = []
    for op in graph.operators:
        if op.op not in FOLDERS or outputs.intersection(op.outputs):
            kept.append(op)
            continue
        try:
            result = _evaluate(op, graph, tensors)
        except NotFoldable:
            kept.append(op)
            continue
        out = op.outputs[0]
        tensors[out] = replace(tensors[out], data=result)
    if len(kept) == len(graph.operators):
        return graph
    return replace(graph, tensors=tensors, operators=kept)
