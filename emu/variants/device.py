"""Whether emu can build a variant into firmware at all, and if not, why."""

from __future__ import annotations

from emu.errors import EmuError, first_line
from emu.model.graph import Graph


def device_build(graph: Graph):
    """(None, the CompiledModel) when the compiler accepts every operator; else (its one-line
    reason, None). The CompiledModel tells how small the device can store the weights: built for
    the flash objective (emu/compile/objective.py), each filter in its smallest form."""
    from emu.compile.codegen import compile_graph
    from emu.compile.objective import FLASH

    try:
        return None, compile_graph(graph, objective=FLASH)
    except EmuError as e:
        return first_line(e), None
