"""What a Graph must satisfy before the compiler or a reference interpreter sees it.

Models come from anyone, and one flipped bit gives a flatbuffer that still parses. Each
rule here is a clear violation of the TFLite schema or quantization spec that TFLM itself
would reject, crash on or miscompute (https://ai.google.dev/edge/litert/models/quantization_spec);
each raises EmuError with one line naming the tensor or operator.
"""

from __future__ import annotations

import math

from emu.errors import EmuError, shown
from emu.model.graph import Graph, Tensor, called_subgraphs

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


# Options that size a window or a step: TFLM divides by strides and dilations
# (ComputePaddingHeightWidth) and loops over filters, so zero divides by zero and a negative
# value walks outside the tensors. Names as emu/model/reader.py spells them.
_WINDOW = ("stride_h", "stride_w", "dilation_hfactor", "dilation_wfactor")
_POOL = ("stride_h", "stride_w", "filter_height", "filter_width")
_POSITIVE_OPTIONS = {
    "CONV_2D": _WINDOW,
    "DEPTHWISE_CONV_2D": (*_WINDOW, "depth_multiplier"),
    "AVERAGE_POOL_2D": _POOL, "MAX_POOL_2D": _POOL, "L2_POOL_2D": _POOL,
    "TRANSPOSE_CONV": ("stride_h", "stride_w"),
    "CONV_3D": ("stride_d", *_WINDOW, "dilation_dfactor"),
}
_PADDINGS = ("SAME", "VALID")

# For the operators emu runs: how many inputs each needs at least, and the positions where -1
# (an absent optional input) may stand: a bias, RESHAPE's shape, PADV2's fill value. TFLM's
# kernels read every other input unconditionally. Any other operator needs its first input.
_NO_OPTIONAL: frozenset[int] = frozenset()
_INPUTS = {
    "CONV_2D": (2, frozenset({2})), "DEPTHWISE_CONV_2D": (2, frozenset({2})),
    "FULLY_CONNECTED": (2, frozenset({2})), "TRANSPOSE_CONV": (3, frozenset({3})),
    "ADD": (2, _NO_OPTIONAL), "MUL": (2, _NO_OPTIONAL), "MEAN": (2, _NO_OPTIONAL),
    "PAD": (2, _NO_OPTIONAL), "PADV2": (2, frozenset({2})),
    "RESHAPE": (1, frozenset({1})), "SQUEEZE": (1, _NO_OPTIONAL), "EXPAND_DIMS": (2, _NO_OPTIONAL),
    "CONCATENATION": (1, _NO_OPTIONAL), "SOFTMAX": (1, _NO_OPTIONAL), "RELU": (1, _NO_OPTIONAL),
    "RELU6": (1, _NO_OPTIONAL), "LOGISTIC": (1, _NO_OPTIONAL), "TANH": (1, _NO_OPTIONAL),
    "QUANTIZE": (1, _NO_OPTIONAL), "DEQUANTIZE": (1, _NO_OPTIONAL),
    "AVERAGE_POOL_2D": (1, _NO_OPTIONAL), "MAX_POOL_2D": (1, _NO_OPTIONAL),
    "SUB": (2, _NO_OPTIONAL), "MAXIMUM": (2, _NO_OPTIONAL), "MINIMUM": (2, _NO_OPTIONAL),
    "LEAKY_RELU": (1, _NO_OPTIONAL), "HARD_SWISH": (1, _NO_OPTIONAL), "SQUARED_DIFFERENCE": (2, _NO_OPTIONAL),
    "SPLIT": (2, _NO_OPTIONAL), "SPLIT_V": (3, _NO_OPTIONAL), "UNPACK": (1, _NO_OPTIONAL),
    "PACK": (1, _NO_OPTIONAL), "TRANSPOSE": (2, _NO_OPTIONAL), "GATHER": (2, _NO_OPTIONAL),
    "RESIZE_NEAREST_NEIGHBOR": (2, _NO_OPTIONAL), "RESIZE_BILINEAR": (2, _NO_OPTIONAL),
    "BATCH_MATMUL": (2, _NO_OPTIONAL), "ELU": (1, _NO_OPTIONAL), "PRELU": (2, _NO_OPTIONAL),
    **{name: (1, _NO_OPTIONAL) for name in ("ABS", "NEG", "SQRT", "RSQRT", "EXP", "LOG", "SIN", "COS", "SQUARE",
                                            "L2_NORMALIZATION")},
    **{name: (1, _NO_OPTIONAL) for name in ("FLOOR", "CEIL", "ROUND", "LOG_SOFTMAX", "L2_POOL_2D")},
    **{name: (2, _NO_OPTIONAL) for name in ("DIV", "FLOOR_DIV", "FLOOR_MOD", "ADD_N", "SUM", "REDUCE_MIN", "CUMSUM")},
    "ARG_MAX": (2, _NO_OPTIONAL), "ARG_MIN": (2, _NO_OPTIONAL),
    "SPACE_TO_BATCH_ND": (3, _NO_OPTIONAL), "BATCH_TO_SPACE_ND": (3, _NO_OPTIONAL),
    "STRIDED_SLICE": (4, _NO_OPTIONAL), "REDUCE_MAX": (2, _NO_OPTIONAL),
    "SLICE": (3, _NO_OPTIONAL), "REVERSE_V2": (2, _NO_OPTIONAL), "DEPTH_TO_SPACE": (1, _NO_OPTIONAL),
    "SPACE_TO_DEPTH": (1, _NO_OPTIONAL), "MIRROR_PAD": (2, _NO_OPTIONAL), "GATHER_ND": (2, _NO_OPTIONAL),
    "EMBEDDING_LOOKUP": (2, _NO_OPTIONAL), "DYNAMIC_UPDATE_SLICE": (3, _NO_OPTIONAL), "SHAPE": (1, _NO_OPTIONAL),
    # control flow and resource variables: TFLM's kernels count their inputs themselves
    "WHILE": (0, _NO_OPTIONAL), "IF": (1, _NO_OPTIONAL), "CALL_ONCE": (0, _NO_OPTIONAL),
    "VAR_HANDLE": (0, _NO_OPTIONAL), "READ_VARIABLE": (1, _NO_OPTIONAL), "ASSIGN_VARIABLE": (2, _NO_OPTIONAL),
}
# The operators that take no inputs (a variable's handle, an init call) or write no outputs
# (an assignment, an init call, a loop over no values).
_NO_INPUTS = frozenset({"VAR_HANDLE", "CALL_ONCE", "WHILE"})
_NO_OUTPUTS = frozenset({"ASSIGN_VARIABLE", "CALL_ONCE", "WHILE", "IF"})


def validate(graph: Graph, buffer_count: int) -> None:
    # A DECODE input holds packed indices, not the tensor its quantization describes: its
    # shape is the packed bytes', so the channel count is checked on what it decodes to.
    encoded = {i for op in graph.operators if op.op == DECODE for i in op.inputs if i >= 0}
    for t in graph.tensors:
        _check_tensor(graph, t, buffer_count, packed=t.index in encoded)
    _check_graph_io(graph)
    for k in range(graph.subgraph_count):
        sub = graph.subgraph(k)
        if k:
            _check_subgraph_io(sub, k)
        for op in sub.operators:
            _check_operator(sub, op)
            _check_options(sub, op)
        _check_dataflow(sub)
    _check_calls(graph)


def _where(graph: Graph, op) -> str:
    """How a message names an operator: its index, and its subgraph's outside the main one."""
    of = f" of subgraph {op.subgraph}" if op.subgraph else ""
    return f"{graph.name}: operator {op.index}{of} ({shown(op.op)})"


def _check_subgraph_io(sub: Graph, k: int) -> None:
    """A called subgraph's inputs are written by the copies its caller makes (TFLM's
    CopyOpInputsToSubgraphInputs): never a constant. Its outputs may be (they are read)."""
    for i in sub.inputs:
        if not 0 <= i < len(sub.tensors):
            raise EmuError(f"{sub.name}: subgraph {k} has input {i}, which is not a tensor")
        if sub.tensors[i].is_constant:
            raise EmuError(f"{sub.name}: subgraph {k} input {tensor_label(i, sub.tensors[i].name)} is a constant")
    for i in sub.outputs:
        if not 0 <= i < len(sub.tensors):
            raise EmuError(f"{sub.name}: subgraph {k} has output {i}, which is not a tensor")


def _check_calls(graph: Graph) -> None:
    """The subgraphs WHILE, IF and CALL_ONCE run exist (TFLM's Prepare checks it), and none
    runs itself, directly or through another (TFLM would recurse until its stack ran out)."""
    calls: dict[int, set[int]] = {}
    for k in range(graph.subgraph_count):
        for op in graph.subgraph(k).operators:
            for callee in called_subgraphs(op):
                if not 0 <= callee < graph.subgraph_count:
                    raise EmuError(f"{_where(graph, op)} runs subgraph {callee}, but the model has "
                                   f"{graph.subgraph_count}")
                calls.setdefault(k, set()).add(callee)

    def visit(k: int, path: tuple[int, ...]) -> None:
        for callee in sorted(calls.get(k, ())):
            if callee in path:
                raise EmuError(f"{graph.name}: subgraph {callee} runs itself (through subgraphs "
                               f"{' -> '.join(map(str, (*path[path.index(callee):], callee)))})")
            if callee not in done:
                visit(callee, (*path, callee))
        done.add(k)

    done: set[int] = set()
    for k in range(graph.subgraph_count):
        if k not in done:
            visit(k, (k,))


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
    # A constant output is the constant (TFLM returns it; the compiler copies it to the arena).
    for i in graph.inputs:
        t = graph.tensors[i]
        if t.is_constant:
            raise EmuError(f"{graph.name}: graph input {tensor_label(i, t.name)} is a constant "
                           "(it has buffer data)")


def _check_operator(graph: Graph, op) -> None:
    where = _where(graph, op)
    count = len(graph.tensors)
    if not op.inputs and op.op not in _NO_INPUTS:
        raise EmuError(f"{where} has no inputs")
    if not op.outputs and op.op not in _NO_OUTPUTS:
        raise EmuError(f"{where} has no outputs")
    for i in op.inputs:
        if i != -1 and not 0 <= i < count:  # -1 marks an absent optional input
            raise EmuError(f"{where} reads tensor {i}, but the model has {count} tensors")
    required, optional = _INPUTS.get(op.op, (1, None))
    if len(op.inputs) < required:
        have = f"{len(op.inputs)} input" + ("s" if len(op.inputs) != 1 else "")
        raise EmuError(f"{where} has {have}; {shown(op.op)} needs at least {required}")
    for position, i in enumerate(op.inputs):
        may_be_absent = position in optional if optional is not None else position > 0
        if i == -1 and not may_be_absent:
            raise EmuError(f"{where} has no tensor (-1) for its input {position}, which {shown(op.op)} needs")
    for i in op.outputs:
        if not 0 <= i < count:
            raise EmuError(f"{where} writes tensor {i}, but the model has {count} tensors")
        if graph.tensors[i].is_constant:
            raise EmuError(f"{where} writes {tensor_label(i, graph.tensors[i].name)}, "
                           "which is a constant (it has buffer data)")


def _check_options(graph: Graph, op) -> None:
    """Options TFLM divides by, loops over or computes with: refused where no runtime could
    compute the operator (or TFLM would compute something other than what the shapes say)."""
    where = _where(graph, op)
    options = op.options
    for name in _POSITIVE_OPTIONS.get(op.op, ()):
        value = options.get(name, 1)
        if not value >= 1:
            raise EmuError(f"{where} has {name} {value}; it must be at least 1")
    if "padding" in options and options["padding"] not in _PADDINGS:
        raise EmuError(f"{where} has padding {options['padding']!r}, which is neither SAME nor VALID")
    if isinstance(options.get("fused_activation_function", "NONE"), int):  # the reader names the known ones
        raise EmuError(f"{where} has fused activation {options['fused_activation_function']}, "
                       "which the schema does not define")
    if op.op == "SOFTMAX" and not math.isfinite(options.get("beta", 1.0)):
        raise EmuError(f"{where} has beta {options['beta']}, which is not finite")
    if op.op == "DEPTHWISE_CONV_2D":
        _check_depth_multiplier(graph, op, where)


def _check_depth_multiplier(graph: Graph, op, where: str) -> None:
    """TFLM's depthwise kernels loop over the option's multiplier, emu's take it from the
    shapes: the two must agree, or the kernels compute different outputs."""
    x, w = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    if len(x.shape) != 4 or len(w.shape) != 4 or x.shape[3] <= 0:
        return  # the lowering names the shapes it cannot run
    multiplier = op.options.get("depth_multiplier", 1)
    if multiplier * x.shape[3] != w.shape[3]:
        raise EmuError(f"{where} has depth_multiplier {multiplier}, but its filter {list(w.shape)} makes "
                       f"{w.shape[3]} output channels from {x.shape[3]} input channels")


def _check_dataflow(graph: Graph) -> None:
    """Each tensor written by one operator at most, never a graph input, and operators in an
    order that runs: an operator reads only tensors written before it (or inputs and
    constants), never its own output. Linear in the model's size."""
    def where(op, verb: str, t: int) -> str:
        return f"{_where(graph, op)} {verb} {tensor_label(t, graph.tensors[t].name)}"

    writer: dict[int, int] = {}
    graph_inputs = set(graph.inputs)
    for op in graph.operators:
        for t in op.outputs:
            if t in writer:
                raise EmuError(f"{where(op, 'writes', t)}, which operator {writer[t]} writes too")
            if t in graph_inputs:
                raise EmuError(f"{where(op, 'writes', t)}, which is a graph input")
            writer[t] = op.index
    for op in graph.operators:
        for t in op.inputs:
            if t < 0 or t not in writer:
                continue
            if writer[t] == op.index:
                raise EmuError(f"{where(op, 'reads', t)}, its own output")
            if writer[t] > op.index:
                raise EmuError(f"{where(op, 'reads', t)} before operator {writer[t]} writes it "
                               "(operators must come in the order they run)")
