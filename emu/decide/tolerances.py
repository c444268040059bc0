"""How much cycles, RAM and flash may rise before the gate calls it a regression.

A tolerance is relative ("2%") or absolute ("0", "512": cycles or bytes). They come from
command-line options or from a YAML config file with a `gate:` mapping (or the mapping
alone), e.g. `gate: {cycles: 2%, ram: 0, flash: 1%}`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainValidator

from emu.configs import read_yaml, validated
from emu.errors import shown

GATED = {"cycles": "cycles", "ram": "ram_bytes", "flash": "flash_bytes"}  # option name -> result field
# Beyond these a tolerance is no gate at all: a thousandfold rise, or a trillion cycles or bytes.
MAX_PERCENT = 100_000
MAX_AMOUNT = 10**12


@dataclass(frozen=True)
class Tolerance:
    amount: float
    relative: bool  # amount is a percentage of the baseline value

    def allowed_rise(self, baseline: float) -> float:
        return baseline * self.amount / 100 if self.relative else self.amount

    def __str__(self) -> str:
        return f"+{self.amount:g}%" if self.relative else f"+{self.amount:g}"


def tolerance(text) -> Tolerance:
    """'2%' (of the baseline), '512' or '+512' (cycles or bytes) -> Tolerance; ValueError otherwise."""
    s = str(text).strip().lstrip("+")
    relative = s.endswith("%")
    try:
        amount = float(s[:-1] if relative else s)
    except ValueError:
        raise ValueError(f"cannot read tolerance '{shown(str(text), 40)}' (use a percentage like 2% or an amount "
                         f"like 512)") from None
    if not math.isfinite(amount):
        raise ValueError(f"a tolerance must be a finite amount ('{shown(str(text), 40)}')")
    if amount < 0:
        raise ValueError(f"a tolerance cannot be negative ('{shown(str(text), 40)}')")
    if amount > (MAX_PERCENT if relative else MAX_AMOUNT):
        raise ValueError(f"a tolerance of {shown(s, 40)} lets any change pass "
                         f"(at most {MAX_PERCENT:,}% or {MAX_AMOUNT:,})")
    return Tolerance(amount, relative)


class TolerancesFile(BaseModel):
    """Tolerances as options or a `gate:` mapping give them; an absent one keeps its default."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    cycles: Annotated[Tolerance, PlainValidator(tolerance)] | None = None
    ram: Annotated[Tolerance, PlainValidator(tolerance)] | None = None
    flash: Annotated[Tolerance, PlainValidator(tolerance)] | None = None

    def given(self) -> dict[str, Tolerance]:
        return {name: getattr(self, name) for name in GATED if getattr(self, name) is not None}


@dataclass(frozen=True)
class Tolerances:
    cycles: Tolerance = Tolerance(2.0, True)
    ram: Tolerance = Tolerance(0.0, False)
    flash: Tolerance = Tolerance(1.0, True)

    def for_field(self, field: str) -> Tolerance:
        return {"cycles": self.cycles, "ram_bytes": self.ram, "flash_bytes": self.flash}[field]

    def updated(self, values: dict, where: str) -> "Tolerances":
        checked = validated(TolerancesFile, {k: v for k, v in values.items() if v is not None}, where)
        return replace(self, **checked.given())


def tolerances_from_file(path: Path) -> Tolerances:
    data = read_yaml(path)
    prefix = ()
    if isinstance(data, dict) and isinstance(data.get("gate"), dict):
        data, prefix = data["gate"], ("gate",)
    if isinstance(data, dict):
        # A scenario's gate section also names its baseline and JUnit file; those are not tolerances.
        data = {k: v for k, v in data.items() if k not in ("baseline", "junit")}
    checked = validated(TolerancesFile, {} if data is None else data, str(path), prefix)
    return replace(Tolerances(), **checked.given())
