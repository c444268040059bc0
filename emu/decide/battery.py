"""Battery life of a board that wakes every period, runs one inference and sleeps.

The battery holds capacity_mah x voltage_v of energy (mWh). Each period spends one
inference's energy (emu's figure, at the board's supply, with the regulator taken as
lossless) plus the sleep current drawn from the battery for the rest of the period.
Self-discharge, radio and sensor current are outside this model: add them to the
sleep current to account for them.

The band (battery_life_band_hours) is the life at either end of the cycle model's stated
uncertainty: latency and energy per inference both scale with the cycles. The power figures
have no stated uncertainty; whether they are sourced or assumed travels with the result
(Result.energy_basis) and is said beside the figure.
"""

from __future__ import annotations

from dataclasses import dataclass

from emu.errors import EmuError

HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class DutyCycle:
    period_s: float  # one inference every period_s
    battery_mah: float
    battery_v: float
    sleep_current_ua: float | None = None  # None: the board file's sleep current

    def __post_init__(self):
        for name in ("period_s", "battery_mah", "battery_v"):
            if not getattr(self, name) > 0:
                raise EmuError(f"duty cycle: {name} must be a positive number")
        if self.sleep_current_ua is not None and self.sleep_current_ua < 0:
            raise EmuError("duty cycle: sleep_current_ua must not be negative")


def average_power_mw(latency_ms: float, energy_uj: float, sleep_current_ua: float, duty: DutyCycle) -> float | None:
    """Mean power over one period; None when one inference does not fit in the period."""
    period_ms = duty.period_s * 1e3
    if latency_ms > period_ms:
        return None
    sleep_mw = sleep_current_ua * duty.battery_v / 1e3  # uA x V = uW
    return (energy_uj + sleep_mw * (period_ms - latency_ms)) / period_ms  # uJ / ms = mW


def battery_life_hours(latency_ms: float, energy_uj: float, sleep_current_ua: float, duty: DutyCycle) -> float | None:
    power = average_power_mw(latency_ms, energy_uj, sleep_current_ua, duty)
    if power is None:
        return None
    if power == 0:
        return float("inf")
    return duty.battery_mah * duty.battery_v / power  # mWh / mW = h


def battery_life_band_hours(latency_ms: float, energy_uj: float, sleep_current_ua: float, duty: DutyCycle,
                            cycles_pct: float | None) -> tuple[float | None, float | None] | None:
    """(shortest, longest) battery life with the cycles cycles_pct percent over and under the
    estimate; None without a stated uncertainty. An end is None when one inference, that much
    slower, outlasts the period."""
    if cycles_pct is None:
        return None
    over, under = 1 + cycles_pct / 100, max(0.0, 1 - cycles_pct / 100)
    return (battery_life_hours(latency_ms * over, energy_uj * over, sleep_current_ua, duty),
            battery_life_hours(latency_ms * under, energy_uj * under, sleep_current_ua, duty))
