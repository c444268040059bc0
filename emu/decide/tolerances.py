"""How far each gated figure may move the wrong way before the gate calls it a regression.

Cycles, RAM and flash may rise by their tolerance; latency and energy too when a tolerance is
given for them (by default they are not gated apart: both follow from cycles, and change on
their own only when a board's clock or power model does). The host quality of a variant may
fall (accuracy, ROC AUC: `accuracy`) or rise (RMSE, MAE and other error measures: `error`)
by its tolerance. A tolerance is relative ("2%" of the baseline's value) or absolute ("0",
"512": cycles or bytes; "0.01": a hundredth of the metric, one percentage point of accuracy).
They come from command-line options or from a YAML config file with a `gate:` mapping (or
the mapping alone), e.g. `gate: {cycles: 2%, ram: 0, flash: 1%, accuracy: 0.01}`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainValidator

from emu.configs import read_yaml, validated
from emu.decide.quality import higher_is_better
from emu.errors import shown

# option name -> result field, for the costs (figures that must not rise)
GATED = {"cycles": "cycles", "ram": "ram_bytes", "flash": "flash_bytes", "latency": "latency_ms",
         "energy": "energy_uj"}
QUALITY = ("accuracy", "error")  # tolerances for a metric better higher, and one better lower
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
    """'2%' (of the baseline), '512' or '+512' (cycles, bytes, ms, uJ or a metric's units) -> Tolerance;
    ValueError otherwise."""
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
    latency: Annotated[Tolerance, PlainValidator(tolerance)] | None = None
    energy: Annotated[Tolerance, PlainValidator(tolerance)] | None = None
    accuracy: Annotated[Tolerance, PlainValidator(tolerance)] | None = None
    error: Annotated[Tolerance, PlainValidator(tolerance)] | None = None

    def given(self) -> dict[str, Tolerance]:
        return {name: getattr(self, name) for name in (*GATED, *QUALITY) if getattr(self, name) is not None}


@dataclass(frozen=True)
class Tolerances:
    cycles: Tolerance = Tolerance(2.0, True)
    ram: Tolerance = Tolerance(0.0, False)
    flash: Tolerance = Tolerance(1.0, True)
    latency: Tolerance | None = None  # None: not gated apart from cycles
    energy: Tolerance | None = None
    # How far a metric better higher may fall: 0.01, one percentage point of accuracy (test sets
    # of a few hundred samples move by a sample or two between honest runs).
    accuracy: Tolerance = Tolerance(0.01, False)
    # How far an error measure (RMSE, MAE, ...) may rise: 5% of the baseline's.
    error: Tolerance = Tolerance(5.0, True)

    def for_field(self, field: str) -> Tolerance | None:
        """The tolerance of a result field (cycles, ram_bytes, ...) or of a quality metric by its name."""
        by_field = {result_field: getattr(self, name) for name, result_field in GATED.items()}
        if field in by_field:
            return by_field[field]
        return self.accuracy if higher_is_better(field) else self.error

    def gated_costs(self) -> list[str]:
        """The result fields gated, in the order they are reported."""
        return [result_field for name, result_field in GATED.items() if getattr(self, name) is not None]

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
