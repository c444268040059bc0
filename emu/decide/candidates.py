"""The flat table a decision is made from: one Candidate per measured result row, with its
quality metric and, under a duty cycle, its battery life; and one Unplaced per row that does
not fit its board or cannot run there, or whose variant collapsed (no better than a constant
answer, emu.variants.collapse), which decisions list with its reason."""

from __future__ import annotations

from dataclasses import dataclass

from emu.decide.battery import HOURS_PER_DAY, DutyCycle, battery_life_band_hours, battery_life_hours
from emu.decide.quality import VariantQuality, quality_for
from emu.errors import terminal_safe
from emu.platforms import get_platform
from emu.results.record import Result


def variant_label(model: str, variant: str) -> str:
    """How a variant is named in every decision's text: one line, whatever its file said (a
    newline or an escape in a name is shown as \\n or \\x1b)."""
    # Files are often named after their variant (digits_int8.tflite, variant int8): say it once.
    if model == variant or model.endswith(f"_{variant}"):
        return terminal_safe(model, keep="")
    return terminal_safe(f"{model}/{variant}", keep="")


def model_of(model: str, variant: str) -> str:
    """The model a row is a variant of: its `model` name, less the variant when the file was
    named after it (tiny_int8.tflite as variant int8 is a variant of tiny). Variants written by
    `emu variants` share their task's name already (int8/digits.tflite is digits)."""
    suffix = f"_{variant}"
    return model[: -len(suffix)] if model.endswith(suffix) and len(model) > len(suffix) else model


@dataclass(frozen=True)
class Candidate:
    model: str
    variant: str
    platform: str
    quality: float | None  # the value of the chosen quality metric; None when unknown
    latency_ms: float
    energy_uj: float
    ram_bytes: int
    flash_bytes: int
    cycles: int
    output_matches_reference: bool | None = None
    battery_days: float | None = None  # None without a duty cycle, or when an inference outlasts the period
    metric: str = "accuracy"  # what `quality` measures (emu.decide.quality.METRICS gives its direction)
    weight_bytes: int = 0  # the weights' share of flash, in their on-device form
    energy_basis: str | None = None  # "sourced" or "assumed" power figures (Result.energy_basis); None: not recorded
    energy_source: str = ""  # where the board's power figures are discussed, a section of docs/sources.md
    # (shortest, longest) battery life at the ends of the cycle model's stated uncertainty
    battery_days_band: tuple[float | None, float | None] | None = None

    @property
    def energy_assumed(self) -> bool:
        return self.energy_basis == "assumed"

    @property
    def label(self) -> str:
        return variant_label(self.model, self.variant)

    @property
    def base_model(self) -> str:
        """The model this row is a variant of: decisions compare a model's variants only."""
        return model_of(self.model, self.variant)


@dataclass(frozen=True)
class Unplaced:
    """A variant with no measurement on a board: it does not fit, or cannot run there."""

    model: str
    variant: str
    platform: str
    status: str  # "does not fit" or "not runnable" (emu.results.record.STATUSES), or COLLAPSED
    reason: str  # "needs 40,112 B of RAM (...), board has 32,768 B", or what the compiler refused

    @property
    def label(self) -> str:
        return variant_label(self.model, self.variant)

    @property
    def base_model(self) -> str:
        return model_of(self.model, self.variant)

    @property
    def why(self) -> str:
        """One phrase: 'int8 needs 40,112 B of RAM, board has 32,768 B', 'lstm is not runnable: ...'."""
        reason = terminal_safe(self.reason, keep="")
        if self.status == "does not fit" and reason.startswith("needs "):
            return f"{self.label} {reason}"
        return f"{self.label} {'is ' if self.status == 'not runnable' else ''}{self.status}: {reason}"


COLLAPSED = "collapsed"


def collapsed_reason(quality: VariantQuality | None) -> str | None:
    """Why `emu variants` marked the variant collapsed, or None."""
    return quality.extra.get("collapsed") if quality else None


def unplaced_from(results: list[Result], qualities: list[VariantQuality] = ()) -> list[Unplaced]:
    """The rows that carry no measurement, and the measured ones whose variant collapsed, as
    decisions list them."""
    unplaced = []
    for r in results:
        if not r.measured:
            unplaced.append(Unplaced(r.model, r.variant, r.platform, r.status, r.reason))
        elif reason := collapsed_reason(quality_for(r, qualities)):
            unplaced.append(Unplaced(r.model, r.variant, r.platform, COLLAPSED, reason))
    return unplaced


def _sleep_ua(result: Result, duty: DutyCycle) -> float:
    if duty.sleep_current_ua is not None:
        return duty.sleep_current_ua
    return get_platform(result.platform).sleep_current_ua


def battery_days_for(result: Result, duty: DutyCycle | None) -> float | None:
    if duty is None:
        return None
    hours = battery_life_hours(result.latency_ms, result.energy_uj, _sleep_ua(result, duty), duty)
    return None if hours is None else hours / HOURS_PER_DAY


def battery_days_band_for(result: Result, duty: DutyCycle | None) -> tuple[float | None, float | None] | None:
    if duty is None:
        return None
    band = battery_life_band_hours(result.latency_ms, result.energy_uj, _sleep_ua(result, duty), duty,
                                   result.cycles_uncertainty_pct)
    return None if band is None else tuple(None if h is None else h / HOURS_PER_DAY for h in band)


def to_candidate(result: Result, quality: VariantQuality | None, metric: str, duty: DutyCycle | None) -> Candidate:
    value = quality.metric.get(metric) if quality else None
    return Candidate(
        model=result.model, variant=result.variant, platform=result.platform,
        quality=None if value is None else float(value), latency_ms=result.latency_ms,
        energy_uj=result.energy_uj, ram_bytes=result.ram_bytes, flash_bytes=result.flash_bytes,
        cycles=result.cycles, output_matches_reference=result.output_matches_reference,
        battery_days=battery_days_for(result, duty), metric=metric, weight_bytes=result.weight_bytes,
        energy_basis=result.energy_basis, energy_source=result.energy_source,
        battery_days_band=battery_days_band_for(result, duty))


def candidates_from(results: list[Result], qualities: list[VariantQuality], metric: str = "accuracy",
                    duty: DutyCycle | None = None) -> list[Candidate]:
    """The measured rows as candidates (rows that do not fit or cannot run, and collapsed
    variants, are unplaced_from's)."""
    chosen = [(r, quality_for(r, qualities)) for r in results if r.measured]
    return [to_candidate(r, q, metric, duty) for r, q in chosen if not collapsed_reason(q)]
