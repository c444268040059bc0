"""The QEMU trace plugin (plugin/emu_trace.c): which plugin API the installed QEMU speaks,
and the plugin built for it with the host C compiler, once, in the cache.

QEMU loads a TCG plugin only when it was built for a plugin API QEMU accepts, so the
plugin is compiled per API (EMU_QEMU_PLUGIN_API selects the calls it makes) and cached
by the API, the sources and the compiler.
"""

from __future__ import annotations

import re
from pathlib import Path

from emu import cache, processes
from emu.errors import EmuError, first_line
from emu.resources import PLUGIN
from emu.tools import find_tool, tool_version

PLUGIN_SOURCES = ("emu_trace.c", "qemu_plugin_api.h")
LIBRARY = "emu_trace.so"

# (first QEMU version, plugin API it speaks), from QEMU's include/qemu/qemu-plugin.h at each
# release tag (docs/sources.md#qemu-plugin-api). QEMU loads a plugin built for any version
# between its minimum and its own; 9.0 raised the minimum to 2, so each QEMU gets its own.
PLUGIN_APIS = (
    ((7, 2), 1),   # 7.2 to 8.2; older QEMU is not supported by emu at all
    ((9, 0), 2),
    ((9, 1), 3),
    ((9, 2), 4),   # 9.2 and 10.0
    ((10, 1), 5),  # 10.1 and 10.2
    ((11, 0), 6),  # 11.x
)
FIRST_UNCHECKED = (12, 0)
VERSION_LINE = re.compile(r"version (\d+)\.(\d+)(?:\.(\d+))?")


def parse_qemu_version(line: str) -> tuple[int, int, int]:
    """(major, minor, micro) from the first line of `qemu-system-arm --version`."""
    found = VERSION_LINE.search(line)
    if not found:
        raise EmuError(f"cannot tell the QEMU version from '{line.strip()}'")
    return int(found[1]), int(found[2]), int(found[3] or 0)


def plugin_api_for(version: tuple[int, int, int]) -> int:
    """The TCG plugin API version the trace plugin is built for on this QEMU."""
    shown = ".".join(map(str, version))
    if version[:2] < PLUGIN_APIS[0][0]:
        raise EmuError(f"QEMU {shown} is too old: emu needs qemu-system-arm 7.2 or newer")
    if version[:2] >= FIRST_UNCHECKED:
        raise EmuError(f"QEMU {shown} is newer than emu's trace plugin supports (QEMU 7.2 to 11.x); "
                       f"use one of those or update emu")
    return [api for first, api in PLUGIN_APIS if version[:2] >= first][-1]


def qemu_version() -> tuple[int, int, int]:
    """The installed QEMU's version; a missing QEMU is an EmuError saying how to install it."""
    return parse_qemu_version(tool_version(find_tool("qemu-system-arm")))


def build_command(compiler: str, api: int, output: Path) -> list[str]:
    """How the plugin for `api` is compiled into `output`."""
    return [compiler, "-shared", "-fPIC", "-O2", f"-DEMU_QEMU_PLUGIN_API={api}",
            "-I", str(PLUGIN), "-o", str(output), str(PLUGIN / "emu_trace.c")]


def plugin_library(api: int | None = None) -> Path:
    """The compiled plugin for plugin API `api` (default: the installed QEMU's), built on
    first use into the cache (EMU_CACHE included, so a test or CI run never loads another's)."""
    api = plugin_api_for(qemu_version()) if api is None else api
    compiler = find_tool("cc")
    key = cache.key("qemu-plugin", str(api), tool_version(compiler),
                    *((PLUGIN / name).read_bytes() for name in PLUGIN_SOURCES), length=16)
    final = cache.root() / "plugins" / f"emu_trace-api{api}-{key}"
    if cache.entry(final) is None:
        # Staged and published whole: a concurrent run never loads half a file, and a
        # killed build leaves nothing at the entry's name.
        with cache.staging(final.parent, final.name) as work:
            result = processes.run(build_command(compiler, api, work / LIBRARY), capture_output=True, text=True)
            if result.returncode != 0:
                raise EmuError(f"building the QEMU trace plugin failed: {first_line(result.stderr) or 'no output'}")
            cache.publish(work, final)
    return final / LIBRARY
