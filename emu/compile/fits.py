"""Whether a model can fit a board at all, known before the work that would show it.

Before compiling, from the Graph: sound lower bounds on the flash the generated code takes
(check_graph_fits). A model past them could never run on the board, and refusing it first
keeps a hostile file of a million operators from costing minutes of compiling.

After compiling, before the toolchain runs: the linker reports an overflow only for sizes it
can represent; a planned arena of gigabytes makes gcc fail earlier with "size of array is
too large". The arena (weights decoded at run time and scratch included) with the stack
reserved for the firmware must fit RAM and the constants must fit flash, so larger ones are
refused here with the sizes (check_fits).

Both raise DoesNotFit, whose `reason` ("needs N B of RAM, board has M B") is what a results
row that does not fit carries. The sizes compared are the part's (its datasheet's). Where the
part could hold a model but the emulated machine maps less than the part has (emu.platforms),
check_fits raises NotRunnable instead, naming the machine's limit beside the part's figure:
the board could run it, emu cannot show it.
"""

from __future__ import annotations

from emu.compile.codegen import CompiledModel
from emu.compile.fold import most_folded
from emu.errors import DoesNotFit, NotRunnable
from emu.model.graph import Graph
from emu.platforms import Platform

# The least flash each part of a model takes in the generated code (emu/compile/codegen.py),
# whatever the compiler makes of it:
# - every operator of the main subgraph, even one that moves no data (RESHAPE), is preceded by a call of
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
        raise DoesNotFit(f"{graph.name} cannot fit {board}: its {operators:,} operators and {io:,} graph inputs "
                         f"and outputs need at least {least:,} bytes of flash for their calls and tables, "
                         f"board has {flash_bytes:,}",
                         f"needs at least {least:,} B of flash for its {operators:,} operators' calls and "
                         f"tables, board has {flash_bytes:,} B")


def check_fits(compiled: CompiledModel, platform: Platform, stack_reserve: int = 0) -> None:
    """stack_reserve: the RAM the firmware's linker script sets aside for the stack."""
    board, ram_bytes, flash_bytes = platform.name, platform.ram_bytes, platform.flash_bytes
    ram = compiled.arena_bytes + stack_reserve
    parts = f"tensor arena {compiled.arena_bytes:,} B" + (f" + stack {stack_reserve:,} B" if stack_reserve else "")
    if ram > ram_bytes:
        raise DoesNotFit(f"{compiled.name} does not fit {board}: needs {ram:,} bytes of RAM ({parts}), "
                         f"board has {ram_bytes:,}",
                         f"needs {ram:,} B of RAM ({parts}), board has {ram_bytes:,} B")
    if compiled.weight_bytes > flash_bytes:
        raise DoesNotFit(f"{compiled.name} does not fit {board}: needs {compiled.weight_bytes:,} bytes of "
                         f"flash for its constants, board has {flash_bytes:,}",
                         f"needs {compiled.weight_bytes:,} B of flash for its constants, board has {flash_bytes:,} B")
    mapped_ram = platform.ram_region[1]
    if ram > mapped_ram:
        raise emulator_limit(compiled.name, platform, f"{ram:,} B of RAM ({parts})", "data", mapped_ram,
                             f"{ram_bytes:,} B")
    weights = platform.weights_region or platform.code_region
    if compiled.weight_bytes > weights[1]:
        what = "weights" if platform.weights_region else "code and weights"
        raise emulator_limit(compiled.name, platform, f"{compiled.weight_bytes:,} B of flash for its constants",
                             what, weights[1], f"{flash_bytes:,} B")


def emulator_limit(model: str, platform: Platform, needs: str, what: str, mapped: int, part_has: str) -> NotRunnable:
    """A model the part could hold but the emulated machine cannot: the limit is the emulator's."""
    reason = (f"needs {needs}: the part has {part_has}, but the emulated {platform.qemu_machine} maps at most "
              f"{mapped:,} B for {what} (the emulator's limit, not the board's)")
    return NotRunnable(f"{model} cannot run on {platform.name} in the emulator: {reason}", reason)
