"""Boards: one YAML file each in platforms/, read into plain Platform values.

Every figure in a platform file carries its source in a comment beside it; the loader
only checks that the fields are there and of the right kind.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from emu.errors import EmuError

PLATFORM_DIR = Path(__file__).resolve().parent.parent / "platforms"

CORES = ("cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55")


@dataclass(frozen=True)
class Platform:
    name: str
    description: str
    core: str  # one of CORES
    fpu: bool  # firmware is built with the FPU on (hard float) or soft float
    clock_hz: int
    flash_bytes: int  # the board's flash (code, weights, initialised data)
    ram_bytes: int  # the board's SRAM (data, bss, tensor arena, stack)
    cflags: tuple[str, ...]  # -mcpu/-mfpu/-mfloat-abi for this part
    qemu_machine: str  # the QEMU machine whose core runs this ISA (or a superset)
    flash_origin: int  # where the emulated machine has code memory
    ram_origin: int  # where the emulated machine has data memory
    flash_wait_states: int  # at clock_hz
    flash_accelerator: str  # "none", "prefetch", "art", "xip-cache", "tcm": what hides wait states
    supply_v: float
    run_current_ua_per_mhz: float
    static_current_ua: float  # current that does not scale with clock, drawn while running
    sleep_current_ua: float
    path: Path

    @property
    def clock_mhz(self) -> float:
        return self.clock_hz / 1e6


_FIELDS = {
    "name": str, "description": str, "core": str, "fpu": bool, "clock_hz": int,
    "flash_bytes": int, "ram_bytes": int, "cflags": list, "qemu_machine": str,
    "flash_origin": int, "ram_origin": int, "flash_wait_states": int,
    "flash_accelerator": str, "supply_v": (int, float), "run_current_ua_per_mhz": (int, float),
    "static_current_ua": (int, float), "sleep_current_ua": (int, float),
}


def load_platform_file(path: Path) -> Platform:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise EmuError(f"cannot read platform file {path}: {e}") from None
    if not isinstance(data, dict):
        raise EmuError(f"platform file {path} is not a mapping of fields")
    for key, kind in _FIELDS.items():
        if key not in data:
            raise EmuError(f"platform file {path} lacks the field '{key}'")
        if not isinstance(data[key], kind) or (kind is int and isinstance(data[key], bool)):
            raise EmuError(f"platform file {path}: field '{key}' has the wrong type")
    if data["core"] not in CORES:
        raise EmuError(f"platform file {path}: unknown core '{data['core']}' (known: {', '.join(CORES)})")
    values = {k: data[k] for k in _FIELDS}
    values["cflags"] = tuple(str(f) for f in data["cflags"])
    values["supply_v"] = float(data["supply_v"])
    for k in ("run_current_ua_per_mhz", "static_current_ua", "sleep_current_ua"):
        values[k] = float(data[k])
    return Platform(**values, path=path)


def list_platforms(directory: Path = PLATFORM_DIR) -> list[Platform]:
    return [load_platform_file(p) for p in sorted(directory.glob("*.yaml"))]


SOFT_FLOAT = ":soft-float"


def without_fpu(platform: Platform) -> Platform:
    """The same board built with its FPU off: float arithmetic becomes library calls, as
    on a part without an FPU. Named '<board>:soft-float'."""
    if not platform.fpu:
        return platform
    flags = tuple(f for f in platform.cflags if not f.startswith(("-mfpu=", "-mfloat-abi=")))
    return replace(platform, name=platform.name + SOFT_FLOAT, fpu=False, cflags=(*flags, "-mfloat-abi=soft"))


def get_platform(name: str, directory: Path = PLATFORM_DIR) -> Platform:
    """A board by name (with ':soft-float' for its FPU off), or a platform YAML file by path."""
    if name.endswith(SOFT_FLOAT):
        return without_fpu(get_platform(name[: -len(SOFT_FLOAT)], directory))
    as_path = Path(name)
    if name.endswith((".yaml", ".yml")) and as_path.is_file():
        return load_platform_file(as_path)
    path = directory / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(p.stem for p in sorted(directory.glob("*.yaml")))
        raise EmuError(f"unknown platform '{name}' (known: {known})")
    return load_platform_file(path)
