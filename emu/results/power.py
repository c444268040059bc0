"""Latency and energy of an inference from its cycles and the board's power model.

The power model is the one the platform files carry: while running, the board draws
run_current_ua_per_mhz x clock + static_current_ua from supply_v. Energy per inference is
the integral of V x I over the inference (as MLPerf Tiny measures it, static power included),
which with a constant current is power x latency.
"""

from __future__ import annotations

from emu.platforms import Platform


def latency_ms(cycles: int, platform: Platform) -> float:
    return cycles / platform.clock_hz * 1e3


def run_current_ua(platform: Platform) -> float:
    return platform.run_current_ua_per_mhz * platform.clock_mhz + platform.static_current_ua


def run_power_mw(platform: Platform) -> float:
    return platform.supply_v * run_current_ua(platform) / 1e3  # V x uA = uW


def energy_uj(cycles: int, platform: Platform) -> float:
    return run_power_mw(platform) * latency_ms(cycles, platform)  # mW x ms = uJ

