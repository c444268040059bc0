"""How much cycles, RAM and flash may rise before the gate calls it a regression.

A tolerance is relative ("2%") or absolute ("0", "512": cycles or bytes). They come from
command-line options or from a YAML config file with a `gate:` mapping (or the mapping
alone), e.g. `gate: {cycles: 2%, ram: 0, flash: 1%}`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from emu.errors import EmuError

GATED = {"cycles": "cycles", "ram": "ram_bytes", "flash": "flash_bytes"}  # option name -> result field


@dataclass(frozen=True)
class Tolerance:
    amount: float
    relative: bool  # amount is a percentage of the baseline value

    def allowed_rise(self, baseline: float) -> float:
        return baseline * self.amount / 100 if self.relative else self.amount

    def __str__(self) -> str:
        return f"+{self.amount:g}%" if self.relative else f"+{self.amount:g}"


def parse_tolerance(text, what: str) -> Tolerance:
    s = str(text).strip().lstrip("+")
    relative = s.endswith("%")
    try:
        amount = float(s[:-1] if relative else s)
    except ValueError:
        raise EmuError(f"{what}: cannot read tolerance '{text}' (use a percentage like 2% or an amount like 512)") from None
    if amount < 0:
        raise EmuError(f"{what}: a tolerance cannot be negative ('{text}')")
    return Tolerance(amount, relative)


@dataclass(frozen=True)
class Tolerances:
    cycles: Tolerance = Tolerance(2.0, True)
    ram: Tolerance = Tolerance(0.0, False)
    flash: Tolerance = Tolerance(1.0, True)

    def for_field(self, field: str) -> Tolerance:
        return {"cycles": self.cycles, "ram_bytes": self.ram, "flash_bytes": self.flash}[field]

    def updated(self, values: dict, where: str) -> "Tolerances":
        unknown = set(values) - set(GATED)
        if unknown:
            raise EmuError(f"{where}: unknown tolerance(s) {', '.join(sorted(unknown))} (known: cycles, ram, flash)")
        return replace(self, **{k: parse_tolerance(v, f"{where}: {k}") for k, v in values.items() if v is not None})


def tolerances_from_file(path: Path) -> Tolerances:
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except FileNotFoundError:
        raise EmuError(f"gate config not found: {path}") from None
    except (OSError, yaml.YAMLError) as e:
        raise EmuError(f"cannot read gate config {path}: {e}") from None
    if isinstance(data, dict) and isinstance(data.get("gate"), dict):
        data = data["gate"]
    if not isinstance(data, dict):
        raise EmuError(f"gate config {path} is not a mapping of tolerances")
    # A scenario's gate section also names its baseline and JUnit file; those are not tolerances.
    data = {k: v for k, v in data.items() if k not in ("baseline", "junit")}
    return Tolerances().updated(data, str(path))
