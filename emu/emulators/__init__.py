"""Emulator backends: each boots a firmware ELF and returns an emu.trace.Trace."""

from emu.emulators.qemu import Window, run_firmware, window_from_elf

__all__ = ["Window", "run_firmware", "window_from_elf"]
