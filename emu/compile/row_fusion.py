"""Residual blocks run band by band, so that the activations inside them never exist whole.

A residual block x -> CONV_2D -> a -> CONV_2D -> b -> ADD(x, b) -> c keeps its input x alive
until the ADD, so run one operator after the other it needs x and a whole at once (and,
while the second convolution streams over a, its lead too), plus the kernels' scratch: two
activations side by side. Run by bands of the block's output rows instead, each band is
computed through the whole block before the next: the first convolution adds the rows of a
the band needs to a window of a few rows, the second computes the band's rows of b from the
window into a band buffer, and the ADD writes the band of c over the same rows of x, which
no later band reads (checked for each schedule: `schedule` refuses one that would). The
block then needs x, a window of the second filter's height plus a band of a, and a band of
b, instead of x and a whole.

Every kernel call is the operator's own kernel on fewer rows, as TFLM computes each of
them: a convolution told its input starts at the first row the band needs (with the top
padding only where the band starts at the top, and the rows below the window standing for
the bottom padding only where the window reaches the end of a), and the ADD told its run
is the band's elements. So the results are the same to the bit, and any kernel form
(reference, DSP, Helium) runs as it is. Only convolutions of row stride and dilation 1 are
run so (a ResNet's first stage; the later stages' first blocks downsample); the code
generator (emu/compile/codegen.py) takes bands only where they make the arena smaller.
"""

from __future__ import annotations

from dataclasses import dataclass

from emu.compile.kernel_call import ConstArray, KernelCall
from emu.model.graph import Graph


@dataclass(frozen=True)
class Rows:
    """One convolution call on some of its output rows: its input starts `input_row` rows into
    the buffer it reads (the block input, or the window), which holds `input_h` rows from
    there for this call, `pad` rows of padding above them; it writes `output_h` rows starting
    `output_row` rows into the buffer it writes (the window, or the band)."""

    input_row: int
    pad: int
    input_h: int
    output_row: int
    output_h: int


@dataclass(frozen=True)
class Step:
    """One band: move `keep` rows of a from window row `keep_from` to the window's top, compute
    the new rows of a into the window (`first`, None when the band needs none), the band's rows
    of b (`second`), and the ADD over block rows [row, row + rows)."""

    keep_from: int
    keep: int
    first: Rows | None
    second: Rows
    row: int
    rows: int


@dataclass(frozen=True)
class Schedule:
    steps: list[Step]
    window_rows: int  # rows of a the window holds at most
    band_rows: int  # rows of b the band buffer holds


def schedule(in_rows: int, mid_rows: int, pad1: int, filter2: int, pad2: int, band: int) -> Schedule | None:
    """The bands of `band` output rows of a block whose input has `in_rows` rows (as has its
    output, written over it) and a `mid_rows`, whose convolutions have row stride 1, the first
    top padding `pad1` (its filter's height does not matter: only the first input row each band
    reads is checked against the rows already written), the second filter height `filter2`
    and top padding `pad2`. None when a band of the output would be written over input rows a
    later band still reads, or a band needs no row of a at all."""
    p1, f2, p2 = pad1, filter2, pad2
    steps: list[Step] = []
    lo_had = hi_had = 0  # rows of a in the window: [lo_had, hi_had)
    for y in range(0, in_rows, band):
        n = min(band, in_rows - y)
        lo = min(max(y - p2, 0), mid_rows)
        hi = min(max(y + n - 1 - p2 + f2, 0), mid_rows)
        if hi <= lo:
            return None
        keep_start = max(lo, lo_had)
        keep = max(0, hi_had - keep_start)
        new_from = max(hi_had, lo)
        conv1 = None
        if hi > new_from:
            start = new_from - p1  # the first input row the new rows of a read (padding above row 0)
            if steps and max(start, 0) < steps[-1].row + steps[-1].rows:
                return None  # that row of x already holds the output
            conv1 = Rows(max(start, 0), max(-start, 0), in_rows - max(start, 0), new_from - lo, hi - new_from)
        top = y - p2
        conv2 = Rows(0, max(-top, 0), hi - lo, 0, n)
        steps.append(Step(keep_start - lo_had if keep else 0, keep, conv1, conv2, y, n))
        lo_had, hi_had = lo, hi
    return Schedule(steps, max(s.second.input_h for s in steps), max(s.rows for s in steps))


@dataclass(frozen=True)
class Block:
    """A residual block of the main subgraph found by `blocks`: the positions of its two
    convolutions and its ADD (consecutive), and its tensors."""

    position: int  # of the first convolution
    x: int
    a: int
    b: int
    c: int


ROW_FIELDS = ("input_h", "output_h", "batches", "stride_h", "dilation_h")


def _rows_call(call: KernelCall) -> bool:
    p = call.params
    return bool(call.function and call.params_type) and all(k in p for k in ROW_FIELDS) and \
        p["batches"] == 1 and p["stride_h"] == 1 and p["dilation_h"] == 1


def blocks(graph: Graph, calls: list[KernelCall]) -> list[Block]:
    """The main subgraph's residual blocks that can run by bands: CONV_2D x -> a, CONV_2D a -> b,
    ADD of x and b -> c, one after the other, where a and b are read by nothing else, x by
    nothing after the ADD, none of them is a model output or state, and c has x's shape and
    type (so each band of c fits over the rows of x it replaces)."""
    readers: dict[int, int] = {}
    for op in graph.all_operators:
        for t in op.inputs:
            readers[t] = readers.get(t, 0) + 1
    kept = set(graph.outputs) | {o for k in range(1, graph.subgraph_count) for o in graph.subgraph(k).outputs}
    ops = graph.operators
    found = []
    for i in range(len(ops) - 2):
        conv1, conv2, add = ops[i:i + 3]
        c1, c2, ca = calls[i:i + 3]
        if (conv1.op, conv2.op, add.op) != ("CONV_2D", "CONV_2D", "ADD") or not (_rows_call(c1) and _rows_call(c2)):
            continue
        x, a, b = conv1.inputs[0], conv1.outputs[0], conv2.outputs[0]
        c = add.outputs[0]
        if conv2.inputs[0] != a or sorted(add.inputs) != sorted((x, b)) or x == b:
            continue
        tensors = [graph.tensors[t] for t in (x, a, b, c)]
        if any(t.is_constant or t.variable for t in tensors) or {x, a, b} & kept:
            continue
        if readers.get(a) != 1 or readers.get(b) != 1 or readers.get(x) != 2 or _aliased(ops, calls, x):
            continue  # read elsewhere, or (an alias) the bytes of a tensor read elsewhere
        tx, tc = tensors[0], tensors[3]
        if tuple(tx.shape) != tuple(tc.shape) or tx.dtype != tc.dtype or len(tx.shape) != 4:
            continue
        # the ADD's operands as the model has them, then constants of its own (the table form's
        # tables), which are the same for every band
        operands, constants = list(ca.args[:3]), ca.args[3:]
        if ca.params.get("rank") != 1 or operands != [*add.inputs, c] or not ca.function or \
                not all(isinstance(k, ConstArray) for k in constants):
            continue
        if c1.args[0] != x or a not in c1.args or c2.args[0] != a or b not in c2.args:
            continue
        found.append(Block(i, x, a, b, c))
    return found


def _aliased(ops, calls: list[KernelCall], t: int) -> bool:
    """Whether tensor t is another tensor's bytes under a new shape (RESHAPE's output): writing
    over it would write over that one too."""
    return any(t in op.outputs and call.alias for op, call in zip(ops, calls, strict=True))
