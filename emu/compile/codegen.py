"""Graph -> C: constant tensors in flash, one planned arena, one kernel call per operator.

The generated model.c is all a model contributes to the firmware; the runtime and kernels
in emu/firmware/ never change with the model. Before each operator of the main subgraph the
code calls emu_mark_layer(), which the emulator watches to attribute work to layers. A model
with control flow has one C function per subgraph (emu/compile/subgraphs.py); the operators
of the subgraphs a WHILE, IF or CALL_ONCE runs are not marked, so that operator's layer
counts all the work of the subgraphs it runs (a loop's body over all its iterations).
A residual block run by bands of rows (emu/compile/row_fusion.py) calls its three kernels
once per band, all under its first operator's marker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from emu.compile.arena import ArenaPlan, Buffer, plan_arena
from emu.compile.constant_outputs import copy_constant_outputs
from emu.compile.filter_copies import add_copies, filter_bytes
from emu.compile.fold import fold_constants
from emu.compile.formats import Choosing, choose_sparse, expand_at_build_time, plain_totals
from emu.compile.kernel_call import ConstArray, KernelCall, UnsupportedOperator
from emu.compile.kernel_set import KERNEL_SETS, OPTIMIZED, REFERENCE
from emu.compile.objective import DEFAULT_OBJECTIVE, resolve_objective
from emu.compile.ops import lowerings, optimizations
from emu.compile.quant import RescaleOutOfRange
from emu.compile.resources import bind_resource_variables
from emu.compile.row_fusion import Block, Schedule
from emu.compile.row_fusion import blocks as row_blocks
from emu.compile.row_fusion import schedule as row_schedule
from emu.compile.schedule import as_activations, produce_at_run_time
from emu.compile.subgraphs import Timeline, control_code, function_name, timeline
from emu.compile.weight_format import filter_storage
from emu.errors import EmuError, shown
from emu.model.graph import Graph, Operator

C_TYPES = {
    "int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "uint16": "uint16_t",
    "int32": "int32_t", "uint32": "uint32_t", "int64": "int64_t", "float32": "float",
    "float16": "uint16_t",  # raw IEEE half bits; DEQUANTIZE widens them
    "bool": "uint8_t",
}


@dataclass
class TensorIO:
    """Where a model input or output lives in the arena, and how to read it."""

    tensor: int
    name: str
    offset: int
    shape: tuple[int, ...]
    dtype: str
    nbytes: int
    scale: float | None = None
    zero_point: int | None = None


@dataclass
class Layer:
    index: int
    op: str
    function: str | None  # None for operators that move no data (RESHAPE)
    path: str = ""  # the kernel form that runs, e.g. "conv_2d/1x1-dsp" or "conv_2d/reference"
    macs: int = 0  # multiply-accumulates, from the shapes
    # Why the portable kernel runs though the kernel set and core have a faster one for this
    # operator (KernelCall.fallback); empty when a faster one runs or none exists.
    fallback: str = ""
    # The filter's form where the objective had a choice of forms, and why it took this one
    # (emu/compile/formats.py); empty otherwise.
    weight_format: str = ""
    choice: str = ""


@dataclass
class CompiledModel:
    name: str
    sha256: str
    source: str  # model.c
    arena_bytes: int
    inputs: list[TensorIO]
    outputs: list[TensorIO]
    layers: list[Layer]
    kernels: list[str] = field(default_factory=list)  # C functions the model calls
    weight_bytes: int = 0  # constant data the model puts in flash
    kernel_set: str = REFERENCE  # emu/compile/kernel_set.py
    weight_format: str = "none"  # how the filters are stored (emu/compile/weight_format.py)
    filter_bytes: int = 0  # flash bytes of the filters in that form (part of weight_bytes)
    objective: str = DEFAULT_OBJECTIVE  # what the filters' forms were chosen for (emu/compile/objective.py)


def lower_graph(graph: Graph, kernel_set: str = REFERENCE, mve: bool = False,
                choosing: Choosing | None = None) -> list[KernelCall]:
    """Each operator's kernel call; with the optimized set, the DSP kernels, and where `mve`
    (the core has Helium) the vector kernels first. The main subgraph's operators only:
    lower_subgraphs gives every subgraph's."""
    return lower_subgraphs(graph, kernel_set, mve, choosing)[0]


def dense_family(kernel_set: str, mve: bool) -> str:
    """The cost family of the dense int8 kernels a kernel set runs (emu/compile/objective.py)."""
    return "reference" if kernel_set != OPTIMIZED else ("mve" if mve else "dsp")


def lower_subgraphs(graph: Graph, kernel_set: str = REFERENCE, mve: bool = False,
                    choosing: Choosing | None = None) -> list[list[KernelCall]]:
    """The kernel calls of every subgraph's operators, subgraph by subgraph. Every subgraph is
    lowered, run or not, as TFLM prepares every one. `choosing`: what a filter's form is chosen
    for where it has more than one (the default objective, no board, without it)."""
    if kernel_set not in KERNEL_SETS:
        raise EmuError(f"unknown kernel set '{kernel_set}' (known: {', '.join(KERNEL_SETS)})")
    choosing = choosing or Choosing(dense_family=dense_family(kernel_set, mve))
    table = lowerings()
    faster = optimizations() if kernel_set == OPTIMIZED else {}
    vector = optimizations("helium") if kernel_set == OPTIMIZED and mve else {}
    sparse = optimizations("sparse")
    views = [graph.subgraph(k) for k in range(graph.subgraph_count)]  # one each: a view indexes its writers once
    return [[_lower(op, view, table, faster, vector, sparse, choosing) for op in view.operators] for view in views]


def _lower(op: Operator, graph: Graph, table, faster, vector, sparse, choosing: Choosing) -> KernelCall:
    where = f"at index {op.index}{f' of subgraph {op.subgraph}' if op.subgraph else ''} in {graph.name}"
    lower = table.get(op.op)
    if lower is None:
        raise EmuError(f"unsupported operator {shown(op.op)} {where}")
    try:
        call = lower(op, graph)
    except UnsupportedOperator as e:
        raise EmuError(f"unsupported operator {shown(op.op)} {where}: {shown(str(e), 200)}") from None
    except RescaleOutOfRange as e:
        raise EmuError(f"{graph.name}: operator {op.index} ({shown(op.op)}) cannot be computed: {e}") from None
    pruned = sparse[op.op](op, graph, call) if op.op in sparse and call.function else None
    reasons = []
    for name, hooks in (("helium", vector), ("dsp", faster)) if call.function else ():
        better = hooks[op.op](op, graph, call) if op.op in hooks else None  # a vector kernel first
        if isinstance(better, KernelCall):
            call = better
            break
        if better is not None and better not in (r for _, r in reasons):
            reasons.append((name, better))
    else:
        call.fallback = "; ".join(f"{name}: {reason}" if len(reasons) > 1 else reason for name, reason in reasons)
    if pruned is not None:  # the objective picks between the dense call and the sparse one
        call = choose_sparse(op, graph, call, pruned, choosing)
    if not call.path:
        call.path = f"{op.op.lower()}/reference"
    return call


class _Groups:
    """Tensors that are one buffer: an alias and its input, an in-place output and its input."""

    def __init__(self):
        self.parent: dict[int, int] = {}

    def root(self, t: int) -> int:
        path = []
        while t in self.parent:
            path.append(t)
            t = self.parent[t]
        for step in path:  # shortcut the walk for next time: a chain of joins stays linear
            self.parent[step] = t
        return t

    def join(self, t: int, other: int) -> tuple[int, int] | None:
        """Make t's group part of other's; (old root, new root), or None if already one."""
        a, b = self.root(t), self.root(other)
        if a == b:
            return None
        self.parent[a] = b
        return a, b


def _ran(graph: Graph, calls: list[list[KernelCall]] | None, clock: Timeline):
    """(operator, its call, its first and last tick) of every operator of the subgraphs that
    run (the call None without `calls`)."""
    for k in sorted(clock.subgraphs):
        for position, op in enumerate(graph.subgraph(k).operators):
            yield op, calls[k][position] if calls else None, *clock.operators[k, position]


def _lifetimes(graph: Graph, groups: _Groups, clock: Timeline) -> dict[int, list[int]]:
    """Buffer root -> [first, last] tick that uses it, on the timeline of the whole model
    (emu/compile/subgraphs.py): each subgraph's inputs are written at its entry tick and its
    outputs read at its exit tick; the main subgraph's entry is 0 and its exit the end."""
    span: dict[int, list[int]] = {}

    def touch(t: int, i: int) -> None:
        if t < 0 or graph.tensors[t].is_constant:
            return
        s = span.setdefault(groups.root(t), [i, i])
        s[0], s[1] = min(s[0], i), max(s[1], i)

    for k, (entry, leave) in clock.subgraphs.items():
        sub = graph.subgraph(k)
        for t in sub.inputs:
            touch(t, entry)
        for t in sub.outputs:
            touch(t, leave)
    for op, _, first, last in _ran(graph, None, clock):
        for t in (*op.inputs, *op.outputs):
            touch(t, first)
            touch(t, last)
    for t in used_variable_tensors(graph):  # state kept between inferences: no other tensor may ever share its bytes
        touch(t, 0)
        touch(t, clock.end)
    return span


def used_variable_tensors(graph: Graph) -> list[int]:
    """The variable tensors the model uses (operators' state, resource variables, kept from one
    inference to the next), in index order; one the graph never touches needs neither memory
    nor a reset."""
    used = {t for op in graph.all_operators for t in (*op.inputs, *op.outputs)} | set(graph.inputs) | set(graph.outputs)
    return sorted(t for t in used if t >= 0 and graph.tensors[t].variable and not graph.tensors[t].is_constant)


def _group_bytes(graph: Graph, groups: _Groups) -> dict[int, int]:
    size: dict[int, int] = {}
    for t in graph.tensors:
        if not t.is_constant:
            root = groups.root(t.index)
            size[root] = max(size.get(root, 0), t.nbytes)
    return size


def _share_buffers(graph: Graph, calls: list[list[KernelCall]], clock: Timeline,
                   banded_adds: dict[int, int] | None = None) -> tuple[_Groups, dict[tuple[int, int], int]]:
    """Groups of tensors that are one buffer, and the (output, input) buffer pairs that may
    overlap by streaming, with their leads (emu/compile/arena.py). `banded_adds`: the main
    subgraph's ADDs that end a block run by bands (emu/compile/row_fusion.py), by index, and the
    block input each one's output takes the bytes of (whichever of its inputs that is)."""
    banded_adds = banded_adds or {}
    groups = _Groups()
    for op, call, _, _ in _ran(graph, calls, clock):
        if call.alias:
            groups.join(op.outputs[0], op.inputs[0])
    leads: dict[tuple[int, int], int] = {}
    # Lifetimes and the groups holding an output of a subgraph that runs, kept up to date as
    # groups join (each join merges two entries), so the pass stays linear in the operators.
    span = _lifetimes(graph, groups, clock)
    output_roots = {groups.root(o) for k in clock.subgraphs for o in graph.subgraph(k).outputs}
    for op, call, _, last in _ran(graph, calls, clock):
        if not (call.inplace or call.input_lead is not None) or graph.tensors[op.inputs[0]].is_constant:
            continue
        src, dst = op.inputs[0], op.outputs[0]
        if not op.subgraph and op.index in banded_adds:
            src = banded_adds[op.index]
        src_root = groups.root(src)
        if span[src_root][1] != last or src_root in output_roots:
            continue  # the input is read again later, or must survive as a model output
        if call.inplace and graph.tensors[dst].nbytes <= graph.tensors[src].nbytes:
            joined = groups.join(dst, src)
            if joined:
                old, new = joined
                old_span = span.pop(old)
                span[new] = [min(span[new][0], old_span[0]), max(span[new][1], old_span[1])]
                if old in output_roots:
                    output_roots.add(new)
        elif call.input_lead is not None:
            leads[groups.root(dst), src_root] = call.input_lead
    return groups, leads


def _each_subgraph(graph: Graph, stage) -> tuple[Graph, frozenset[int]]:
    """A stage that reads and returns one Graph (and the tensors it produces at run time) run
    on each subgraph in turn, each seeing the tensors as the one before left them."""
    produced: frozenset[int] = frozenset()
    for k in range(graph.subgraph_count):
        view, made = stage(graph.subgraph(k))
        graph, produced = graph.with_subgraph(k, view), produced | made
    return graph, produced


def _scratch(op: Operator) -> str:
    return f"scratch{op.index}" if not op.subgraph else f"scratch{op.subgraph}_{op.index}"


def prepared(graph: Graph) -> tuple[Graph, frozenset[int]]:
    """The model as the lowerings see it, every subgraph: shape arithmetic on constants left as
    constants, resource variables bound, the weights produced at run time given their values
    (with the set of those, which the planner then places in the arena), and the main graph's
    constant outputs copied into the arena."""
    graph, _ = _each_subgraph(graph, lambda sub: (fold_constants(sub), frozenset()))
    graph = copy_constant_outputs(graph)
    graph = bind_resource_variables(graph)
    return _each_subgraph(graph, produce_at_run_time)


def compile_graph(graph: Graph, kernel_set: str = REFERENCE, mve: bool = False, objective: str | None = None,
                  core: str | None = None, flash_bytes: int | None = None,
                  filter_copies: bool = False) -> CompiledModel:
    """The model as C for the kernel set; `mve`: the board's core has Helium (Platform.mve).
    Each filter's form is chosen for `objective` (emu/compile/objective.py) by the costs of
    `core` (the board's; None for no board). Within `flash_bytes` (the part's flash): when the
    constants of the forms chosen exceed it, the filters whose smallest form saves the most
    bytes per estimated cycle lost take it, until the constants fit (or no form is left).
    `filter_copies`: every data read from the board's flash waits (Platform.flash_data_waits), so
    convolutions read copies of their filters from RAM where the arena has room for them
    (emu/compile/filter_copies.py)."""
    objective = resolve_objective(objective)
    choosing = Choosing(objective, core, dense_family(kernel_set, mve))
    compiled, smaller = _compile(graph, kernel_set, mve, choosing, filter_copies)
    excess = compiled.weight_bytes - flash_bytes if flash_bytes is not None else 0
    if excess <= 0 or not smaller:
        return compiled
    smallest = set()
    for tensor, (saved, _) in sorted(smaller.items(), key=lambda kv: -kv[1][0] / max(kv[1][1], 1)):
        smallest.add(tensor)
        excess -= saved
        if excess <= 0:
            break
    return _compile(graph, kernel_set, mve, replace(choosing, smallest=frozenset(smallest)), filter_copies)[0]


def _compile(graph: Graph, kernel_set: str, mve: bool, choosing: Choosing,
             filter_copies: bool) -> tuple[CompiledModel, dict[int, tuple[int, int]]]:
    """The compiled model, and for each filter whose form is not its smallest, the flash bytes
    the smallest would save and the cycles it would cost."""
    graph, produced = prepared(graph)
    choosing = replace(choosing, model=plain_totals(graph, choosing))
    graph, produced, expansions = expand_at_build_time(graph, produced, choosing)
    # The lowerings fold weights produced at run time as constants,
    calls = lower_subgraphs(graph, kernel_set, mve, choosing)
    for op, call in zip(graph.operators, calls[0], strict=True):
        expansion = expansions.get(op.index)
        if expansion is not None and call.function:
            call.weight_format, call.choice, call.smaller = expansion.weight_format, expansion.choice, expansion.smaller
    smaller = {e.tensor: e.smaller for e in expansions.values() if e.smaller}
    smaller.update({op.inputs[1]: c.smaller for op, c in zip(graph.operators, calls[0], strict=True) if c.smaller})
    every = [c for subgraph_calls in calls for c in subgraph_calls]
    weight_format, filter_bytes = filter_storage(replace(graph, operators=graph.all_operators), every)
    graph = as_activations(graph, produced)  # which the planner places in the arena
    clock = timeline(graph)
    if filter_copies:
        add_copies(graph, calls[0], lambda: _smallest_layout(graph, calls, clock).plan.size)
    layout = _smallest_layout(graph, calls, clock)
    groups, plan = layout.groups, layout.plan

    def offset(t: int) -> int:
        return plan.offsets[f"t{groups.root(t)}"]

    emitter = _Emitter(graph, calls, sorted(clock.subgraphs), offset, plan.offsets, layout.banded)
    source = emitter.source(plan.size)
    ran = [c for _, c, _, _ in _ran(graph, calls, clock)]
    return CompiledModel(
        name=graph.name,
        sha256=graph.sha256,
        source=source,
        arena_bytes=plan.size,
        inputs=[_io(graph, t, offset(t)) for t in graph.inputs],
        outputs=[_io(graph, t, offset(t)) for t in graph.outputs],
        layers=[Layer(op.index, op.op, c.function or None, c.path if c.function or c.subgraphs else "", c.macs,
                      c.fallback, c.weight_format, c.choice) for op, c in zip(graph.operators, calls[0], strict=True)],
        kernels=sorted({c.function for c in ran if c.function}),
        weight_bytes=emitter.constant_bytes,
        kernel_set=kernel_set,
        weight_format=weight_format,
        filter_bytes=filter_bytes,
        objective=choosing.objective,
    ), smaller


@dataclass
class _Layout:
    groups: _Groups
    plan: ArenaPlan
    banded: dict[int, tuple[Block, Schedule]]  # position of the first convolution -> block, bands


def _smallest_layout(graph: Graph, calls: list[list[KernelCall]], clock: Timeline) -> _Layout:
    """The arena plan with each operator run whole, or, where that is smaller, with the residual
    blocks run by bands (emu/compile/row_fusion.py): bands of 1, 2, 4... rows, the largest of
    those that make the arena smallest (fewer bands, fewer calls)."""
    best = _layout(graph, calls, clock, {})
    found = row_blocks(graph, calls[0])
    rows = max((graph.tensors[b.x].shape[1] for b in found), default=0)
    for band in sorted({1 << k for k in range(max(rows - 1, 0).bit_length())}, reverse=True):
        banded = {}
        for b in found:
            c1, c2 = calls[0][b.position].params, calls[0][b.position + 1].params
            bands = row_schedule(c1["input_h"], c2["input_h"], c1.get("pad_h", 0), c2.get("filter_h", 1),
                                 c2.get("pad_h", 0), band)
            if bands is not None:
                banded[b.position] = (b, bands)
        trial = _layout(graph, calls, clock, banded) if banded else None
        if trial is not None and trial.plan.size < best.plan.size:
            best = trial
    return best


def _row_bytes(graph: Graph, t: int) -> int:
    tensor = graph.tensors[t]
    return tensor.nbytes // int(tensor.shape[1])


def _layout(graph: Graph, calls: list[list[KernelCall]], clock: Timeline,
            banded: dict[int, tuple[Block, Schedule]]) -> _Layout | None:
    """The plan with the blocks of `banded` run by bands: their inner activations a and b
    replaced by a window of a and a band of b, alive from the block's first operator to its
    last, with one scratch for both convolutions (they never run at once). None when a block's
    output cannot take its input's bytes after all."""
    ops = graph.operators
    groups, leads = _share_buffers(graph, calls, clock,
                                   {ops[i + 2].index: block.x for i, (block, _) in banded.items()})
    if any(groups.root(block.c) != groups.root(block.x) for block, _ in banded.values()):
        return None
    span = _lifetimes(graph, groups, clock)
    sizes = _group_bytes(graph, groups)
    gone = {groups.root(t) for block, _ in banded.values() for t in (block.a, block.b)}
    buffers = [Buffer(f"t{r}", sizes[r], first, last) for r, (first, last) in span.items() if r not in gone]
    inside = {id(ops[i + k]) for i in banded for k in (0, 1)}
    buffers += [Buffer(_scratch(op), c.scratch_bytes, first, last)
                for op, c, first, last in _ran(graph, calls, clock) if c.scratch_bytes and id(op) not in inside]
    for i, (block, bands) in banded.items():
        first, last = clock.operators[0, i][0], clock.operators[0, i + 2][1]
        buffers.append(Buffer(f"window{i}", bands.window_rows * _row_bytes(graph, block.a), first, last))
        buffers.append(Buffer(f"band{i}", bands.band_rows * _row_bytes(graph, block.b), first, last))
        scratch = max(calls[0][i].scratch_bytes, calls[0][i + 1].scratch_bytes)
        if scratch:
            buffers.append(Buffer(_scratch(ops[i]), scratch, first, last))
    plan = plan_arena(buffers, {(f"t{dst}", f"t{src}"): lead for (dst, src), lead in leads.items()
                                if dst not in gone and src not in gone})
    return _Layout(groups, plan, banded)


def _io(graph: Graph, t: int, offset: int) -> TensorIO:
    tensor = graph.tensors[t]
    q = tensor.quantization
    return TensorIO(t, tensor.name, offset, tensor.shape, tensor.dtype, tensor.nbytes,
                    q.scale[0] if q else None, q.zero_point[0] if q else None)


def c_number(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        v = int(value)
        if v == -(2**31):  # the literal 2147483648 does not fit an int, so spell INT32_MIN
            return "(-2147483647 - 1)"
        return str(v)
    f = float(np.float32(value))
    if math.isinf(f):
        return "INFINITY" if f > 0 else "-INFINITY"
    if math.isnan(f):  # a quiet NaN (math.h); the payload and sign carry no meaning in arithmetic
        return "NAN"
    return f"{f.hex()}f"  # hexadecimal float: the exact float32 value, no decimal rounding


def c_array_body(values: np.ndarray) -> str:
    flat = np.asarray(values).reshape(-1)
    if flat.dtype == np.float16:
        flat = flat.view(np.uint16)
    if flat.dtype.kind == "f":
        items = [c_number(v) for v in flat]
    else:
        items = [str(int(v)) for v in flat.tolist()]
    lines = [", ".join(items[i:i + 24]) for i in range(0, len(items), 24)]
    return "{\n    " + ",\n    ".join(lines) + "\n}" if items else "{0}"


class _Emitter:
    def __init__(self, graph: Graph, calls: list[list[KernelCall]], ran: list[int], offset,
                 buffer_offsets: dict[str, int], banded: dict[int, tuple[Block, Schedule]] | None = None):
        self.graph, self.calls, self.offset, self.buffer_offsets = graph, calls, offset, buffer_offsets
        self.banded = banded or {}
        self.ran = ran  # the subgraphs that run, each a C function
        self.constants: list[str] = []
        self.flags: list[str] = []  # CALL_ONCE's "has run" flags, zero at boot
        self.emitted: set[int] = set()
        self.constant_bytes = 0
        self.copied: dict[int, tuple[str, int]] = {}  # id(call) -> its filter's C name, its scratch's offset

    def _constant(self, t: int) -> str:
        tensor = self.graph.tensors[t]
        if t not in self.emitted:
            self.emitted.add(t)
            self.constant_bytes += tensor.nbytes
            self.constants.append(
                f"static const {C_TYPES[tensor.dtype]} t{t}[{max(tensor.size, 1)}] EMU_ALIGNED = "
                f"{c_array_body(tensor.data)};")
        return f"t{t}"

    def _const_array(self, name: str, array: ConstArray) -> str:
        values = np.asarray(array.values)
        self.constant_bytes += values.nbytes
        self.constants.append(f"static const {array.ctype} {name}[{max(values.size, 1)}] EMU_ALIGNED = "
                              f"{c_array_body(values)};")
        return name

    def _value(self, prefix: str, field_name: str, value) -> str:
        if isinstance(value, ConstArray):
            return self._const_array(f"{prefix}_{field_name}", value)
        if isinstance(value, (list, tuple, np.ndarray)):
            return "{" + ", ".join(c_number(v) for v in np.asarray(value).reshape(-1).tolist()) + "}"
        return c_number(value)

    def _pointer(self, t: int | None, op) -> str:
        if t is None or t < 0:
            return "NULL"
        tensor = self.graph.tensors[t]
        ctype = C_TYPES[tensor.dtype]
        if tensor.is_constant:
            return self._constant(t)
        const = "" if t in op.outputs or tensor.variable else "const "  # kernels update state in place
        return f"({const}{ctype} *)(emu_arena + {self.offset(t)})"

    def _argument(self, name: str, arg, op) -> str:
        if isinstance(arg, ConstArray):
            return self._const_array(name, arg)
        if isinstance(arg, list):
            return self._pointer_table(name, arg, op)
        return self._pointer(arg, op)

    def _pointer_table(self, name: str, tensors: list[int], op) -> str:
        """A table in flash of the tensors' pointers, for kernels that take any number of
        inputs or outputs. The arena and the constants are file-scope arrays, so every entry
        is an address constant the compiler resolves."""
        writable = all(t in op.outputs for t in tensors)
        ctype = "void *const" if writable else "const void *const"
        pointers = ", ".join(f"(void *){p}" if writable else f"(const void *){p}"
                             for p in (self._pointer(t, op) for t in tensors))
        self.constants.append(f"static {ctype} {name}[{max(len(tensors), 1)}] = {{{pointers}}};")
        return name

    def _address(self, t: int) -> str:
        """Tensor t's bytes, for the copies between subgraphs."""
        return self._constant(t) if self.graph.tensors[t].is_constant else f"(emu_arena + {self.offset(t)})"

    def _call(self, op, call: KernelCall) -> list[str]:
        # Only the main subgraph's operators are layers (a called subgraph's work is its caller's).
        lines = [] if op.subgraph else [f"    emu_mark_layer(); /* {op.index}: {op.op} */"]
        prefix = f"op{op.index}" if not op.subgraph else f"sg{op.subgraph}_op{op.index}"
        if call.subgraphs:
            flag = f"emu_{prefix}_ran"
            if op.op == "CALL_ONCE":
                self.flags.append(f"static uint8_t {flag};")
            names = ", ".join(f"{function_name(k)}" for k in call.subgraphs)
            lines.append(f"    /* {op.op} of subgraph {op.subgraph}, operator {op.index}: runs {names} */")
            return lines + control_code(op, self.graph.subgraph(op.subgraph), self._address, flag)
        if not call.function:
            return lines
        if op.subgraph:
            lines.append(f"    /* {op.index}: {op.op} */")
        params, args = self._operands(op, call, prefix)
        lines += self._filter_copy(call, "    ")
        lines.append(f"    {call.function}({', '.join(([f'&{params}'] if params else []) + args)});")
        return lines

    def _operands(self, op, call: KernelCall, prefix: str, scratch: str | None = None,
                  pointers: dict[int, str] | None = None) -> tuple[str | None, list[str]]:
        """The call's parameters (the name of their constant struct, None without one) and its
        other arguments; `pointers` replaces the given tensors' pointers, `scratch` the scratch's
        buffer name."""
        params = None
        if call.params_type:
            fields = ",\n".join(f"    .{k} = {self._value(prefix, k, v)}" for k, v in call.params.items())
            self.constants.append(f"static const {call.params_type} {prefix} = {{\n{fields}\n}};")
            params = prefix
        pointers = pointers or {}
        args = [pointers[t] if isinstance(t, int) and t in pointers else self._argument(f"{prefix}_arg{i}", t, op)
                for i, t in enumerate(call.args)]
        base = self.buffer_offsets[scratch or _scratch(op)] if call.scratch_bytes else 0
        if call.filter_copy:  # the kernel reads the copy at the scratch's start; _filter_copy makes it
            self.copied[id(call)] = (args[1], base)
            args[1] = f"(const int8_t *)(emu_arena + {base})"
        if call.scratch_bytes > call.filter_copy:
            args.append(f"(void *)(emu_arena + {base + call.filter_copy})")
        return params, args

    def _filter_copy(self, call: KernelCall, indent: str) -> list[str]:
        """The statement that copies the call's filter from flash to the start of its scratch,
        before the call (emu/compile/filter_copies.py); none without a copy."""
        if not call.filter_copy:
            return []
        source, base = self.copied[id(call)]
        return [f"{indent}memcpy(emu_arena + {base}, {source}, {filter_bytes(self.graph, call)}u);"]

    def _banded(self, position: int) -> list[str]:
        """A residual block run by bands (emu/compile/row_fusion.py): its three kernels called
        band by band on copies of their parameters that say which rows, the window of a kept
        between bands moved up with memmove. The block is one layer to the emulator: its first
        operator's marker opens it, and the other two operators' markers follow it."""
        block, bands = self.banded[position]
        ops = self.graph.operators[position:position + 3]
        calls = self.calls[0][position:position + 3]
        ctype = C_TYPES[self.graph.tensors[block.x].dtype]
        rx, ra, rb = (_row_bytes(self.graph, t) for t in (block.x, block.a, block.b))
        x = self.offset(block.x)
        window, band = self.buffer_offsets[f"window{position}"], self.buffer_offsets[f"band{position}"]
        lines = [f"    emu_mark_layer(); /* {ops[0].index}: {ops[0].op} */",
                 f"    {{ /* {ops[0].index}, {ops[1].index} and {ops[2].index} ({ops[0].op}, {ops[1].op}, {ops[2].op}) "
                 f"by bands of {bands.band_rows} rows */"]
        names = ("first", "second", "add")
        args = []  # each call's arguments, its input and output pointers left as IN and OUT
        for op, call, name in zip(ops, calls, names, strict=True):
            placeholders = {op.inputs[0]: "IN", op.outputs[0]: "OUT"} if name != "add" else \
                {block.x: "IN", block.b: "BAND", block.c: "OUT"}
            params, operands = self._operands(op, call, f"op{op.index}", _scratch(ops[0]), placeholders)
            args.append(operands)
            lines.append(f"        {call.params_type} {name} = {params};")

        def call(k: int, source: str, target: str, sets: list[str]) -> list[str]:
            at = {"IN": f"(const {ctype} *)(emu_arena + {source})", "OUT": f"({ctype} *)(emu_arena + {target})",
                  "BAND": f"(const {ctype} *)(emu_arena + {band})"}
            return [f"        {' '.join(sets)}", *self._filter_copy(calls[k], "        "),
                    f"        {calls[k].function}(&{names[k]}, {', '.join(at.get(a, a) for a in args[k])});"]

        def conv(k: int, rows, source: int, target: int, row_in: int, row_out: int) -> list[str]:
            name = names[k]
            sets = [f"{name}.input_h = {rows.input_h};", f"{name}.output_h = {rows.output_h};"]
            if "pad_h" in calls[k].params:
                sets.append(f"{name}.pad_h = {rows.pad};")
            elif rows.pad:
                raise AssertionError("a convolution without top padding given some")  # row_fusion gives none
            return call(k, str(source + rows.input_row * row_in), str(target + rows.output_row * row_out), sets)

        item = np.dtype(self.graph.tensors[block.x].dtype).itemsize
        for step in bands.steps:
            if step.keep:
                lines.append(f"        memmove(emu_arena + {window}, emu_arena + {window + step.keep_from * ra}, "
                             f"{step.keep * ra}u);")
            if step.first is not None:
                lines += conv(0, step.first, x, window, rx, ra)
            lines += conv(1, step.second, window, band, ra, rb)
            rows_at = str(x + step.row * rx)
            lines += call(2, rows_at, rows_at, [f"add.shape[0] = {step.rows * rx // item};"])
        lines.append("    }")
        return lines + [f"    emu_mark_layer(); /* {op.index}: {op.op} */" for op in ops[1:]]

    def _reset_body(self) -> list[str]:
        """Each variable tensor set to what TFLM's ResetVariableTensors writes: every byte the
        zero point of an int8 tensor, 0 for any other type (an int16 state's zero point too)."""
        lines = []
        for t in (self.graph.tensors[i] for i in used_variable_tensors(self.graph)):
            q = t.quantization
            fill = q.zero_point[0] if t.dtype == "int8" and q is not None and q.zero_point else 0
            lines += [f"    for (uint32_t i = 0; i < {t.nbytes}u; i++) {{ /* tensor {t.index} */",
                      f"        emu_arena[{self.offset(t.index)}u + i] = (uint8_t){fill};",
                      "    }"]
        return lines

    def source(self, arena_bytes: int) -> str:
        functions = []
        for k in self.ran:  # the main subgraph first; the others are declared before it
            sub = self.graph.subgraph(k)
            body = []
            for position, (op, call) in enumerate(zip(sub.operators, self.calls[k], strict=True)):
                if k == 0 and position in self.banded:
                    body += self._banded(position)
                elif not (k == 0 and any(0 < position - i <= 2 for i in self.banded)):
                    body += self._call(op, call)
            head = "void emu_model_run(void)" if k == 0 else f"static void {function_name(k)}(void)"
            name = shown(self.graph.subgraphs[k - 1].name).replace("*/", "* /") if k else ""
            comment = [f"/* subgraph {k}: {name} */"] if k else []
            functions += [*comment, head, "{", *body, "}", ""]
        prototypes = [f"static void {function_name(k)}(void);" for k in self.ran if k]
        headers = sorted({c.header for k in self.ran for c in self.calls[k] if c.function and c.header})
        ios = []
        for kind, tensors in (("inputs", self.graph.inputs), ("outputs", self.graph.outputs)):
            entries = ", ".join(f"{{{self.offset(t)}u, {self.graph.tensors[t].nbytes}u}}" for t in tensors)
            ios.append(f"const struct emu_tensor_io emu_model_{kind}[] = {{{entries}}};")
            ios.append(f"const uint32_t emu_model_{kind[:-1]}_count = {len(tensors)}u;")
        return "\n".join([
            (f"/* Generated by emu from the model '{shown(self.graph.name).replace('*/', '* /')}' "
             f"(sha256 {self.graph.sha256})."),
            " * Do not edit: rebuild from the .tflite file instead. */",
            "#include <math.h>",
            "#include <stddef.h>",
            "#include <stdint.h>",
            *(["#include <string.h>"] if len(self.ran) > 1 or self.banded or self.copied else []),
            '#include "emu_model.h"',
            *[f'#include "{h}"' for h in headers],
            "",
            f"uint8_t emu_arena[{max(arena_bytes, 8)}] EMU_NOINIT;",
            f"const uint32_t emu_arena_bytes = {arena_bytes}u;",
            "",
            *self.constants,
            *self.flags,
            *prototypes,
            "",
            "void emu_model_reset(void)",
            "{",
            *self._reset_body(),
            "}",
            "",
            *functions,
            *ios,
            "",
        ])
