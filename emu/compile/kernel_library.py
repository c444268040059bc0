"""The kernel library (emu/firmware/kernels, both kernel sets) compiled once per compiler and flags
into a static archive, cached by content.

A model's build, for the device or the host, then compiles only its own model.c (and the
device runtime) and links the archive: the linker takes the kernels the model calls. The
kernels compile the same whichever model calls them, so building them once per board's
flags saves most of every build's time (2 of a firmware build's 3 seconds).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

from emu import cache, processes
from emu.errors import EmuError
from emu.resources import FIRMWARE
from emu.tools import archiver_for, tool_version

ARCHIVE = "libemu_kernels.a"


def kernel_sources(firmware: Path = FIRMWARE) -> list[Path]:
    """Every kernel source, of both kernel sets."""
    kernels = firmware / "kernels"
    return sorted(kernels.glob("*.c")) + sorted((kernels / "optimized").glob("*.c"))


def kernel_includes(firmware: Path = FIRMWARE) -> list[str]:
    return [f"-I{firmware / 'kernels'}", f"-I{firmware / 'kernels' / 'optimized'}"]


def firmware_digest(firmware: Path = FIRMWARE) -> str:
    """Every source, header and script of the firmware, each with its path: the one digest of
    the firmware in every cache key built from it (kernel archives, builds, results)."""
    h = hashlib.sha256()
    for path in sorted(firmware.rglob("*")):
        if path.is_file() and path.suffix in (".c", ".h", ".S", ".ld"):
            h.update(str(path.relative_to(firmware)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def kernel_archive(compiler: str, flags: Sequence[str], firmware: Path = FIRMWARE) -> Path:
    """The archive of every kernel of `firmware` compiled by `compiler` with `flags` (built on
    first use)."""
    archiver = archiver_for(compiler)
    key = cache.key("kernels", tool_version(compiler), " ".join(flags), firmware_digest(firmware), length=24)
    final = cache.root() / "kernels" / key
    if cache.entry(final) is None:
        with cache.staging(final.parent, key) as work:
            # The runtime's headers too: the kernels include emu_model.h.
            _run([compiler, *flags, f"-I{firmware / 'runtime'}", *kernel_includes(firmware), "-c",
                  *map(str, kernel_sources(firmware))], work, "kernel library build failed")
            objects = sorted(p.name for p in work.glob("*.o"))
            _run([archiver, "rcs", ARCHIVE, *objects], work, "kernel library archive failed")
            for name in objects:
                (work / name).unlink()
            cache.publish(work, final)
    return final / ARCHIVE


def _run(command: list[str], cwd: Path, what: str) -> None:
    result = processes.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise EmuError(f"{what}:\n{result.stderr.strip()}")
