"""Which C kernels a model is built with: the portable `reference` set, or the `optimized` set
that uses the DSP extension (emu/firmware/kernels/optimized/), where the board's core has it.

Both sets give the same integers as TFLM's reference kernels; they differ in speed only.
"""

from __future__ import annotations

from emu.errors import EmuError
from emu.platforms import Platform

KERNEL_SETS = ("reference", "optimized")
REFERENCE, OPTIMIZED = KERNEL_SETS


def default_kernel_set(platform: Platform) -> str:
    return OPTIMIZED if platform.dsp else REFERENCE


def resolve_kernel_set(platform: Platform, requested: str | None = None) -> str:
    """The kernel set to build with: the one asked for, the one the board's name pins
    ('<board>:reference'), or the board's default."""
    if requested is not None and platform.kernels is not None and requested != platform.kernels:
        raise EmuError(f"{platform.name} is the board with the {platform.kernels} kernels: drop "
                       f"--kernels {requested}, or name the board without ':{platform.kernels}'")
    requested = requested or platform.kernels
    if requested is None:
        return default_kernel_set(platform)
    if requested not in KERNEL_SETS:
        raise EmuError(f"unknown kernel set '{requested}' (known: {', '.join(KERNEL_SETS)})")
    if requested == OPTIMIZED and not platform.dsp:
        raise EmuError(f"the optimized kernels need the DSP extension, which {platform.name} "
                       f"({platform.core}) does not have: use --kernels reference")
    return requested
