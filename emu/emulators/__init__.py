"""Emulator backends: each boots a firmware ELF and returns an emu.emulators.trace.Trace.

`run_firmware` runs the backend chosen by name: the `emulator` argument, else the
EMU_EMULATOR environment variable, else QEMU. Every backend takes the same arguments.
"""

from __future__ import annotations

import os

from emu.emulators.window import Window, window_from_elf
from emu.errors import EmuError, shown

EMULATORS = ("qemu", "renode")
DEFAULT_EMULATOR = "qemu"


def emulator_name(name: str | None = None) -> str:
    """The backend to use: `name`, else $EMU_EMULATOR, else qemu; refused when unknown."""
    chosen = (name or os.environ.get("EMU_EMULATOR") or DEFAULT_EMULATOR).strip().lower()
    if chosen not in EMULATORS:
        source = "" if name else " (from EMU_EMULATOR)"
        raise EmuError(f"unknown emulator '{shown(chosen, 40)}'{source} (choose {' or '.join(EMULATORS)})")
    return chosen


def select_emulator(name: str | None) -> str:
    """Make `name` (or $EMU_EMULATOR) the backend for this process and its children.

    Checked up front, so a missing Renode is reported before anything is built.
    """
    chosen = emulator_name(name)
    if chosen == "renode":
        from emu.emulators.renode import renode_launcher

        renode_launcher()  # raises when Renode is missing, before anything is chosen
    os.environ["EMU_EMULATOR"] = chosen
    return chosen


def run_firmware(elf, platform, *, emulator: str | None = None, **options):
    """Boot `elf` on the board in the chosen emulator; see emu.emulators.qemu.run_firmware."""
    if emulator_name(emulator) == "renode":
        from emu.emulators.renode import run_firmware as run
    else:
        from emu.emulators.qemu import run_firmware as run
    return run(elf, platform, **options)


__all__ = ["EMULATORS", "Window", "emulator_name", "run_firmware", "select_emulator", "window_from_elf"]
