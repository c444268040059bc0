"""What a variant must meet to be shippable, and how far a given variant is from it."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from emu.configs import validated
from emu.errors import EmuError, shown

_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([kKmM]i?[bB]?|[bB])?\s*$")
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20}


def size_bytes(text: str | int | float) -> int:
    """'65536', '64KB', '64 KiB', '1MB' -> bytes (KB = 1024 bytes, as flash and RAM are sold)."""
    if isinstance(text, float) and not (math.isfinite(text) and text.is_integer()):
        raise ValueError(f"a size is a whole number of bytes (got {text!r})")
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return int(text)
    m = _SIZE.match(str(text))
    if not m:
        raise ValueError(f"cannot read '{shown(str(text), 40)}' as a size (use bytes, or KB/MB)")
    return int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "").lower()])


def fraction(text: str | int | float) -> float:
    """'0.9', '90%' -> 0.9."""
    try:
        if isinstance(text, str) and text.strip().endswith("%"):
            return float(text.strip()[:-1]) / 100
        return float(text)
    except (TypeError, ValueError):
        raise ValueError(f"cannot read '{shown(str(text), 40)}' as a number or a percentage") from None


@dataclass(frozen=True)
class Limit:
    """One constraint: `field` of a candidate must stay at most (or at least) `bound`."""

    field: str
    bound: float
    at_least: bool = False  # accuracy and battery life are floors; the rest are ceilings

    def shortfall(self, value: float | None) -> float:
        """How far value misses the bound, relative to the bound: 0 when met; inf when unknown."""
        if value is None:
            return float("inf")
        miss = (self.bound - value) if self.at_least else (value - self.bound)
        if miss <= 0:
            return 0.0
        return miss / abs(self.bound) if self.bound else float("inf")


@dataclass(frozen=True)
class Constraints:
    min_accuracy: float | None = None  # a floor on a metric that is better higher (accuracy, ROC AUC)
    max_error: float | None = None  # a ceiling on a metric that is better lower (RMSE, MAE)
    max_latency_ms: float | None = None
    max_ram_bytes: int | None = None
    max_flash_bytes: int | None = None
    max_energy_uj: float | None = None
    min_battery_days: float | None = None  # needs a duty cycle
    boards: tuple[str, ...] = field(default_factory=tuple)  # empty: every board in the results
    metric: str = "accuracy"  # the quality measure the floor or ceiling applies to

    def __post_init__(self):
        for name in ("max_latency_ms", "max_ram_bytes", "max_flash_bytes", "max_energy_uj", "min_battery_days"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise EmuError(f"constraint {name} must be positive, got {value}")
        from emu.decide.quality import higher_is_better, metric_name

        name = metric_name(self.metric)
        if self.min_accuracy is not None and not higher_is_better(self.metric):
            raise EmuError(f"the variants are scored by {name}, which is better lower: give a maximum error "
                           f"(--max-error / max_error) instead of a minimum accuracy")
        if self.max_error is not None and higher_is_better(self.metric):
            raise EmuError(f"the variants are scored by {name}, which is better higher: give a minimum "
                           f"(--min-accuracy / min_accuracy) instead of a maximum error")
        if self.max_error is not None and not self.max_error >= 0:
            raise EmuError(f"constraint max_error must be zero or more, got {self.max_error}")
        if self.min_accuracy is not None and not 0 <= self.min_accuracy <= 1:
            raise EmuError(f"constraint min_accuracy must be between 0 and 1 (or 0% and 100%), got {self.min_accuracy}")

    def limits(self) -> list[Limit]:
        """The constraints that were given, in the order reasons are reported."""
        pairs = [("quality", self.min_accuracy, True), ("quality", self.max_error, False),
                 ("latency_ms", self.max_latency_ms, False), ("ram_bytes", self.max_ram_bytes, False),
                 ("flash_bytes", self.max_flash_bytes, False),
                 ("energy_uj", self.max_energy_uj, False), ("battery_days", self.min_battery_days, True)]
        return [Limit(name, bound, at_least) for name, bound, at_least in pairs if bound is not None]


def _accuracy_bound(value: float) -> float:
    if not 0 <= value <= 1:
        raise ValueError(f"must be between 0 and 1 (or 0% and 100%), got {value:g}")
    return value


def _board_list(value):
    return [value] if isinstance(value, str) else value


Size = Annotated[int, BeforeValidator(size_bytes), Field(gt=0, le=1 << 40)]  # 1 TiB: far past any board
Accuracy = Annotated[float, BeforeValidator(fraction), AfterValidator(_accuracy_bound)]
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]


class LimitsFile(BaseModel):
    """The limits as a scenario's `constraints:` section writes them (sizes may say '64KB',
    accuracy '90%')."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    min_accuracy: Accuracy | None = None
    max_error: NonNegative | None = None  # for a metric that is better lower (RMSE, MAE)
    max_latency_ms: Positive | None = None
    max_ram_bytes: Size | None = None
    max_flash_bytes: Size | None = None
    max_energy_uj: Positive | None = None
    min_battery_days: Positive | None = None  # needs a duty cycle


class ConstraintsFile(LimitsFile):
    """The limits with the boards to decide for and the quality measure, as options give them."""

    boards: Annotated[list[str], BeforeValidator(_board_list)] = []
    metric: str | None = None


def constraints_from_limits(limits: LimitsFile | None, boards=(), metric: str = "accuracy") -> Constraints:
    values = limits.model_dump(include=set(LimitsFile.model_fields)) if limits else {}
    return Constraints(**values, boards=tuple(boards), metric=metric)


def constraints_from_mapping(data: dict | None, where: str, default_metric: str = "accuracy") -> Constraints:
    """Constraints from a mapping of option or file values; EmuError naming where and the field.
    default_metric applies when the mapping names none (the one the variants files share)."""
    checked = validated(ConstraintsFile, {k: v for k, v in (data or {}).items() if v is not None}, where)
    return constraints_from_limits(checked, checked.boards, checked.metric or default_metric)
