"""Is everything emu needs on this machine? Each check says what it found (with its version)
or exactly how to install what is missing.

A check is required or optional. A missing required one (the cross compiler, QEMU, a
package `pip install emu` brings) makes `emu doctor` fail; a missing optional one (Renode,
the packages of the extras in emu.extras.EXTRAS) is shown with the line that installs it
and does not.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import os
from dataclasses import dataclass

from emu.console import native_output_silenced
from emu.errors import EmuError
from emu.extras import EXTRAS, PURPOSES
from emu.tools import TOOLS, Tool, locate, tool_version

# The import names of what `pip install emu` brings (pyproject.toml's dependencies).
REQUIRED_MODULES = ("numpy", "typer", "yaml", "pydantic", "rich", "tflite", "capstone", "elftools",
                    "tflite_micro", "ai_edge_litert")
REINSTALL = "pip install emu (or reinstall emu; in a checkout, make setup)"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str  # the version found, or how to fix it
    required: bool = True

    @property
    def status(self) -> str:
        if self.ok:
            return "ok"
        return "MISSING" if self.required else "optional"


def tool_check(tool: Tool) -> Check:
    found = locate(tool.name)
    if found is None:
        what = f"not found, needed for {tool.needed_for}" if tool.required else \
            f"not installed, only needed for {tool.needed_for}"
        return Check(tool.name, False, f"{what}: {tool.how_to_install()}", tool.required)
    return Check(tool.name, True, tool_version(found), tool.required)


def tool_checks() -> list[Check]:
    """Every program of emu.tools.TOOLS but Renode, which the Renode backend finds its own
    way (emulators.renode: also beside renode-test, or as pyrenode3)."""
    return [tool_check(tool) for tool in TOOLS.values() if tool.name != "renode"]


def renode_check() -> Check:
    from emu.emulators.renode import renode_version

    version = renode_version()
    if version is None:
        return tool_check(TOOLS["renode"])
    return Check("renode", True, version, required=False)


def trace_plugin_checks() -> list[Check]:
    """QEMU's version, the plugin API it speaks, and whether the trace plugin really loads:
    a three-instruction image is booted with it and its count checked."""
    from emu.emulators.qemu_plugin import plugin_api_for, qemu_version
    from emu.emulators.qemu_self_test import plugin_self_test

    try:
        version = qemu_version()
        api = plugin_api_for(version)
    except EmuError as e:
        return [Check("QEMU plugin API", False, str(e))]
    checks = [Check("QEMU plugin API", True,
                    f"QEMU {'.'.join(map(str, version))} speaks plugin API {api}")]
    try:
        checks.append(Check("trace plugin", True, plugin_self_test()))
    except EmuError as e:
        checks.append(Check("trace plugin", False, str(e)))
    checks.append(sandbox_check())
    return checks


def sandbox_check() -> Check:
    """Firmware's semihosting is always served by emu; QEMU's own system-call filter is a
    second wall that only some QEMU builds have, so its absence is no failure."""
    from emu.emulators.qemu import QEMU
    from emu.emulators.semihosting import sandbox_options

    if sandbox_options(QEMU):
        return Check("firmware sandbox", True, "semihosting served by emu; QEMU under -sandbox (seccomp)")
    return Check("firmware sandbox", True, "semihosting served by emu; this QEMU has no -sandbox "
                                           "(built without seccomp), so QEMU itself runs unfiltered")


def package_check(module: str, extra: str | None = None) -> Check:
    """Whether `module` imports, and the installed version of the distribution that brings it."""
    required = extra is None
    name = f"python: {module}" + ("" if required else f" [{extra}]")
    install = REINSTALL if required else f"pip install 'emu[{extra}]'"
    absent = f"not installed: {install}" if required else \
        f"not installed, only needed for {PURPOSES[extra]}: {install}"
    # TensorFlow and friends print start-up notices on the native stderr as they load.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        with native_output_silenced():
            importlib.import_module(module)
    except ImportError:
        return Check(name, False, absent, required)
    except Exception as e:  # a broken install raises more than ImportError
        return Check(name, False, f"fails to load ({type(e).__name__}): {install}", required)
    return Check(name, True, distribution_version(module), required)


@functools.lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def distribution_version(module: str) -> str:
    """The version pip installed of the distribution that provides `module` (PyYAML for yaml)."""
    for distribution in _distributions().get(module, []):
        try:
            return f"{importlib.metadata.version(distribution)} ({distribution})"
        except importlib.metadata.PackageNotFoundError:
            continue
    return "version unknown"


def package_checks() -> list[Check]:
    checks = [package_check(module) for module in REQUIRED_MODULES]
    checks += [package_check(module, extra) for extra, modules in EXTRAS.items() for module in modules]
    return checks


def run_checks() -> list[Check]:
    checks = tool_checks()
    if all(c.ok for c in checks if c.name in ("qemu-system-arm", "cc")):
        checks += trace_plugin_checks()
    checks.append(renode_check())
    return checks + package_checks()


def missing_required(checks: list[Check]) -> list[Check]:
    return [c for c in checks if not c.ok and c.required]
