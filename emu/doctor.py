"""Is everything emu needs on this machine? Each check says how to fix what is missing."""

from __future__ import annotations

import importlib
import shutil
import subprocess
from dataclasses import dataclass


@dataclass
class Check:
    name: str
    ok: bool
    detail: str  # the version found, or how to fix it


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return out.splitlines()[0].strip() if out else "?"


def _tool(name: str, binary: str, fix: str) -> Check:
    path = shutil.which(binary)
    if path is None:
        return Check(name, False, f"not found: {fix}")
    return Check(name, True, _version([binary, "--version"]))


def _package(module: str, fix: str = "run 'make setup' (or pip install -e .)") -> Check:
    try:
        m = importlib.import_module(module)
    except Exception as e:  # a broken install raises more than ImportError
        return Check(f"python: {module}", False, f"{type(e).__name__}: {fix}")
    return Check(f"python: {module}", True, getattr(m, "__version__", "installed"))


def _renode() -> Check:
    """Renode is optional (only `--emulator renode` needs it), so its absence is no failure."""
    from emu.emulators.renode import INSTALL_HINT, renode_version

    version = renode_version()
    if version is None:
        return Check("renode (optional)", True, f"not installed; for --emulator renode: {INSTALL_HINT}")
    return Check("renode (optional)", True, version)


def _trace_plugin() -> list[Check]:
    """QEMU's version, the plugin API it speaks, and whether the trace plugin really loads:
    a three-instruction image is booted with it and its count checked."""
    from emu.emulators import qemu
    from emu.errors import EmuError

    try:
        version = qemu.qemu_version()
        api = qemu.plugin_api_for(version)
    except EmuError as e:
        return [Check("QEMU plugin API", False, str(e))]
    checks = [Check("QEMU plugin API", True,
                    f"QEMU {'.'.join(map(str, version))} speaks plugin API {api}")]
    try:
        checks.append(Check("trace plugin", True, qemu.plugin_self_test()))
    except EmuError as e:
        checks.append(Check("trace plugin", False, str(e)))
    return checks


def run_checks() -> list[Check]:
    apt = "run 'make setup' or apt-get install"
    checks = [
        _tool("arm-none-eabi-gcc", "arm-none-eabi-gcc", f"{apt} gcc-arm-none-eabi libnewlib-arm-none-eabi"),
        _tool("qemu-system-arm", "qemu-system-arm", f"{apt} qemu-system-arm"),
        _tool("host C compiler", "cc", f"{apt} gcc (builds the emulator's trace plugin)"),
        _tool("llvm-objdump", "llvm-objdump", f"{apt} llvm (decodes the M55's Helium instructions)"),
    ]
    if all(c.ok for c in checks[1:3]):
        checks += _trace_plugin()
    checks.append(_renode())
    for module in ("numpy", "typer", "yaml", "pydantic", "rich", "tflite", "capstone", "elftools",
                   "tflite_micro", "ai_edge_litert", "tensorflow", "sklearn"):
        checks.append(_package(module))
    return checks
