"""The external programs emu runs, found on PATH, and their versions.

A tool's version is part of every cache key its output goes into, so it is read one way,
once per process.
"""

from __future__ import annotations

import functools
import shutil
import subprocess


@functools.lru_cache(maxsize=None)
def tool_version(tool: str) -> str:
    """The first line `TOOL --version` prints, or 'TOOL: missing'."""
    found = shutil.which(tool)
    if found is None:
        return f"{tool}: missing"
    try:
        out = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return f"{tool}: unusable"
    return out.splitlines()[0] if out.strip() else tool
