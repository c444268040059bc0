"""The measured window of a run: the marker functions that open and close it and start each layer.

Both backends take a Window; by default it comes from emu's marker functions in the ELF.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from emu.elf import function_addresses
from emu.errors import EmuError

DEFAULT_MARKERS = ("emu_mark_start", "emu_mark_end", "emu_mark_layer")


@dataclass(frozen=True)
class Window:
    """Instruction addresses (Thumb bit cleared) that delimit the measured run; None = not used."""

    start: int | None  # window opens when this address first executes (None: from reset)
    end: int | None  # window closes when this address first executes (None: until exit)
    layer: int | None  # each execution of this address starts a new Segment


def window_from_elf(
    elf: Path,
    start: str | None = "emu_mark_start",
    end: str | None = "emu_mark_end",
    layer: str | None = "emu_mark_layer",
) -> Window:
    """The window marked by function symbols; the default marker names may be absent."""
    functions = function_addresses(elf)

    def resolve(name: str | None) -> int | None:
        if name is None:
            return None
        if name in functions:
            return functions[name]
        if name in DEFAULT_MARKERS:
            return None
        raise EmuError(f"{elf} has no function named '{name}'")

    return Window(start=resolve(start), end=resolve(end), layer=resolve(layer))
