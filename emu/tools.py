"""The external programs emu runs: where each is found, which package brings it, and its version.

One table (TOOLS) says, for every program emu starts, what emu needs it for and how to
install it; `find_tool` looks a program up on PATH and, when it is missing, fails with that
one-line fix; `emu doctor` walks the same table. A tool's version is part of every cache key
its output goes into, so it is read one way, once per process.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from emu import processes
from emu.errors import EmuError


@dataclass(frozen=True)
class Tool:
    name: str  # the program emu asks for
    package: str  # the Debian package(s) that bring it; "" when Debian has none
    needed_for: str
    also: tuple[str, ...] = ()  # other names that do the same job, tried in order
    versioned: bool = False  # Debian may install only `NAME-<major>` (llvm-objdump-14)
    required: bool = True  # False: only an optional feature needs it
    fix: str = ""  # how to install it, when apt-get cannot

    def how_to_install(self) -> str:
        if self.fix:
            return self.fix
        return f"apt-get install {self.package} (or run 'make setup' in emu's checkout)"


RENODE_INSTALL = ("install Renode from https://renode.io (Linux portable package or .deb) and put `renode` "
                  "on PATH, or `pip install pyrenode3` next to a Renode installation")

TOOLS = {tool.name: tool for tool in (
    Tool("arm-none-eabi-gcc", "gcc-arm-none-eabi libnewlib-arm-none-eabi", "building the firmware"),
    Tool("arm-none-eabi-ar", "binutils-arm-none-eabi", "archiving the firmware's kernel library"),
    Tool("qemu-system-arm", "qemu-system-arm", "running the firmware"),
    Tool("cc", "gcc", "building the QEMU trace plugin and running models on the host", also=("gcc", "clang")),
    Tool("ar", "binutils", "archiving the host's kernel library"),
    Tool("llvm-objdump", "llvm", "decoding the M55's Helium (MVE) instructions", versioned=True),
    Tool("renode", "", "--emulator renode", required=False, fix=RENODE_INSTALL),
)}

# Where Debian puts versioned binaries (llvm-objdump-14, -19) when no unversioned one is on PATH.
VERSIONED_DIR = Path("/usr/bin")


def locate(name: str) -> str | None:
    """The path of program `name` (a name in TOOLS, another name, or a path), or None."""
    tool = TOOLS.get(name)
    for candidate in (name, *(tool.also if tool else ())):
        found = shutil.which(candidate)
        if found:
            return found
    if tool and tool.versioned:
        return _newest_versioned(name)
    return None


def find_tool(name: str) -> str:
    """The path of the program `name` of TOOLS; missing, an EmuError with the one-line fix."""
    tool = TOOLS[name]
    found = locate(name)
    if found is None:
        raise EmuError(f"{name} not found (emu needs it for {tool.needed_for}): {tool.how_to_install()}")
    return found


def archiver_for(compiler: str) -> str:
    """The `ar` of the compiler's own toolchain: arm-none-eabi-ar beside arm-none-eabi-gcc,
    the host's ar for cc."""
    name = Path(compiler).name
    archiver = name[: -len("gcc")] + "ar" if name.endswith("-gcc") else "ar"
    beside = Path(compiler).with_name(archiver)
    if beside.is_absolute() and shutil.which(str(beside)):
        return str(beside)
    return find_tool(archiver)


def _newest_versioned(name: str) -> str | None:
    def major(path: Path) -> int:
        suffix = path.name.rsplit("-", 1)[1]
        return int(suffix) if suffix.isdigit() else -1

    versioned = [p for p in VERSIONED_DIR.glob(f"{name}-*") if major(p) >= 0]
    return str(max(versioned, key=major)) if versioned else None


@functools.lru_cache(maxsize=None)
def tool_version(tool: str) -> str:
    """The first line `TOOL --version` prints, or 'TOOL: missing'."""
    found = locate(tool)
    if found is None:
        return f"{tool}: missing"
    try:
        out = processes.run([found, "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return f"{tool}: unusable"
    # Exactly this line goes into cache keys: changing how it is read would miss every entry.
    return out.splitlines()[0] if out.strip() else tool
