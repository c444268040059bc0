"""Whether emu can build a variant into firmware at all, and if not, why."""

from __future__ import annotations

from emu.errors import EmuError, first_line
from emu.model.graph import Graph


def device_build(graph: Graph):
    """(None, the CompiledModel) when the compiler accepts every operator; else (its one-line
    reason, None). The CompiledModel tells how the weights are stored on the device."""
    from emu.compile.codegen import compile_graph

    try:
        return None, compile_graph(graph)
    except EmuError as e:
        return first_line(e), None
