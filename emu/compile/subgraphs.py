"""Models of several subgraphs: when each subgraph's operators run, and the C that runs them.

A model's main subgraph (0) may run others through WHILE, IF and CALL_ONCE. Each subgraph
becomes a C function of its own (emu_subgraph_<k>, the main one emu_model_run), and a
control-flow operator becomes C around calls of them (control_code): copies of its tensors
to the subgraph's inputs and back from its outputs, as TFLM's kernels copy them, and the
loop or branch.

The arena planner needs to know which tensors can be alive at the same time. The timeline
puts every operator of every subgraph on one clock, a called subgraph's operators inlined
inside the tick span of the operator that calls it (as TFLM's planner marks a called
subgraph's lifetimes inside its caller's): a loop's condition and body run within its
WHILE, so their buffers never share memory with the WHILE's own inputs and outputs, while
the condition's and the body's may share with each other (the condition's output is read
before the body runs, and each is written afresh before it runs). A subgraph called from
several operators has the hull of its spans, which is sound if wasteful.
"""

from __future__ import annotations

from dataclasses import dataclass

from emu.errors import EmuError
from emu.model.graph import Graph, called_subgraphs

# Subgraphs called from several places are walked once per call: a bound, so that a hostile
# model whose subgraphs each call the next twice cannot make the walk exponential.
MAX_SUBGRAPH_WALKS = 10_000


@dataclass
class Timeline:
    """Ticks of one clock over the whole model, from 0 (the main subgraph's inputs written)
    to `end` (its outputs read)."""

    operators: dict[tuple[int, int], tuple[int, int]]  # (subgraph, position) -> first and last tick
    subgraphs: dict[int, tuple[int, int]]  # subgraph -> ticks its inputs are written and its outputs read
    end: int


def timeline(graph: Graph) -> Timeline:
    """Only the subgraphs the main one runs (directly or not) are on it. A model's call graph
    has no cycle (emu/model/validate.py)."""
    operators: dict[tuple[int, int], tuple[int, int]] = {}
    subgraphs: dict[int, tuple[int, int]] = {}
    clock = walks = 0

    def hull(table: dict, key, first: int, last: int) -> None:
        old = table.get(key, (first, last))
        table[key] = (min(old[0], first), max(old[1], last))

    def walk(k: int) -> None:
        nonlocal clock, walks
        walks += 1
        if walks > MAX_SUBGRAPH_WALKS:
            raise EmuError(f"{graph.name}: its subgraphs run each other more than {MAX_SUBGRAPH_WALKS:,} times over")
        entry = clock
        clock += 1
        for position, op in enumerate(graph.subgraph(k).operators):
            first = clock
            clock += 1
            callees = called_subgraphs(op)
            for callee in callees:
                walk(callee)
            if callees:
                clock += 1
            hull(operators, (k, position), first, clock - 1)
        hull(subgraphs, k, entry, clock)
        clock += 1

    walk(0)
    return Timeline(operators, subgraphs, clock - 1)


def function_name(k: int) -> str:
    return "emu_model_run" if k == 0 else f"emu_subgraph_{k}"


def control_code(op, graph: Graph, address, done_flag: str) -> list[str]:
    """The C of one WHILE, IF or CALL_ONCE. address(t): a C expression of tensor t's bytes;
    done_flag: CALL_ONCE's zero-initialised flag (not reset by emu_model_reset, as TFLM's
    Reset does not run the init subgraph again)."""
    def copies(sources, targets, indent: str = "    ") -> list[str]:
        return [f"{indent}memcpy({address(t)}, {address(s)}, {graph.tensors[t].nbytes}u);"
                for s, t in zip(sources, targets, strict=True) if graph.tensors[t].nbytes]

    def call(k: int, indent: str = "    ") -> str:
        return f"{indent}{function_name(k)}();"

    def true(t: int) -> str:
        return f"((const uint8_t *)({address(t)}))[0]"

    if op.op == "CALL_ONCE":
        (init,) = called_subgraphs(op)
        return [f"    if (!{done_flag}) {{", call(init, "        "), f"        {done_flag} = 1;", "    }"]
    if op.op == "IF":
        then, other = called_subgraphs(op)
        lines = [f"    if ({true(op.inputs[0])}) {{"]
        for k, branch in ((then, "then"), (other, "else")):
            sub = graph.subgraph(k)
            if branch == "else":
                lines.append("    } else {")
            lines += copies(op.inputs[1:], sub.inputs, "        ")
            lines.append(call(k, "        "))
            if sub.outputs:
                lines += copies(sub.outputs, op.outputs, "        ")
        return [*lines, "    }"]
    cond, body = called_subgraphs(op)  # WHILE, in the order of TFLM's kernel
    condition, loop = graph.subgraph(cond), graph.subgraph(body)
    return [
        *copies(op.inputs, condition.inputs),
        *copies(op.inputs, op.outputs),
        call(cond),
        f"    while ({true(condition.outputs[0])}) {{",
        *copies(op.outputs, loop.inputs, "        "),
        call(body, "        "),
        *copies(loop.outputs, op.outputs, "        "),
        *copies(op.outputs, condition.inputs, "        "),
        call(cond, "        "),
        "    }",
    ]
