"""Whether a compiled model can fit a board at all, known before the toolchain runs.

The linker reports an overflow only for sizes it can represent; a planned arena of
gigabytes makes gcc fail earlier with "size of array is too large". The arena alone must fit
RAM and the constants alone must fit flash, so larger ones are refused here with the sizes.
"""

from __future__ import annotations

from emu.compile.codegen import CompiledModel
from emu.errors import EmuError


def check_fits(compiled: CompiledModel, board: str, ram_bytes: int, flash_bytes: int) -> None:
    if compiled.arena_bytes > ram_bytes:
        raise EmuError(f"{compiled.name} does not fit {board}: needs {compiled.arena_bytes:,} bytes of RAM "
                       f"for its tensor arena, board has {ram_bytes:,}")
    if compiled.weight_bytes > flash_bytes:
        raise EmuError(f"{compiled.name} does not fit {board}: needs {compiled.weight_bytes:,} bytes of "
                       f"flash for its constants, board has {flash_bytes:,}")
