"""Whether a model can fit a board at all, known before the work that would show it.

Before compiling, from the Graph: sound lower bounds on the flash the generated code takes
(check_graph_fits). A model past them could never run on the board, and refusing it first
keeps a hostile file of a million operators from costing minutes of compiling.

After compiling, before the toolchain runs: the linker reports an overflow only for sizes it
can represent; a planned arena of gigabytes makes gcc fail earlier with "size of array is
too large". The arena alone must fit RAM and the constants alone must fit flash, so larger
ones are refused here with the sizes (check_fits).
"""

from __future__ import annotations

from emu.compile.codegen import CompiledModel
from emu.compile.fold import most_folded
from emu.errors import EmuError
from emu.model.graph import Graph

# The least flash each part of a model takes in the generated code (emu/compile/codegen.py),
# whatever the compiler makes of it:
# - every operator, even one that moves no data (RESHAPE), is preceded by a call of
#   emu_mark_layer(), a BL instruction of 4 bytes on every Cortex-M; not counted are those
#   that shape arithmetic may fold into constants (emu/compile/fold.py);
# - every graph input and output is an entry of the I/O tables (emu_tensor_io: offset and
#   bytes, two 32-bit words).
# Other tensors take nothing of their own: an activation is an offset in the planned arena and
# a constant is stored, or folded into parameters, by the operator that reads it; so their
# number is bounded through the operators that use them (and the model file's size).
MARKER_CALL_BYTES = 4
IO_ENTRY_BYTES = 8


def check_graph_fits(graph: Graph, board: str, flash_bytes: int) -> None:
    operators = len(graph.operators) - most_folded(graph)
    io = len(graph.inputs) + len(graph.outputs)
    least = operators * MARKER_CALL_BYTES + io * IO_ENTRY_BYTES
    if least > flash_bytes:
        raise EmuError(f"{graph.name} cannot fit {board}: its {operators:,} operators and {io:,} graph inputs "
                       f"and outputs need at least {least:,} bytes of flash for their calls and tables, "
                       f"board has {flash_bytes:,}")


def check_fits(compiled: CompiledModel, board: str, ram_bytes: int, flash_bytes: int) -> None:
    if compiled.arena_bytes > ram_bytes:
        raise EmuError(f"{compiled.name} does not fit {board}: needs {compiled.arena_bytes:,} bytes of RAM "
                       f"for its tensor arena, board has {ram_bytes:,}")
    if compiled.weight_bytes > flash_bytes:
        raise EmuError(f"{compiled.name} does not fit {board}: needs {compiled.weight_bytes:,} bytes of "
                       f"flash for its constants, board has {flash_bytes:,}")
