"""Latency and energy against hand calculations from the boards' datasheet figures."""

from __future__ import annotations

import pytest

from emu.platforms import get_platform
from emu.results.power import energy_uj, latency_ms, run_power_mw


def test_nucleo_l4r5zi():
    board = get_platform("nucleo-l4r5zi")
    # 120 MHz; 208 uA/MHz at 1.8 V (derived from the 44.9 mW MLPerf Tiny measurement):
    # I = 208 x 120 = 24 960 uA; P = 1.8 V x 24.96 mA = 44.928 mW
    assert run_power_mw(board) == pytest.approx(44.928)
    # 1 200 000 cycles / 120 MHz = 10 ms; E = 44.928 mW x 10 ms = 449.28 uJ
    assert latency_ms(1_200_000, board) == pytest.approx(10.0)
    assert energy_uj(1_200_000, board) == pytest.approx(449.28)


def test_disco_l475():
    board = get_platform("disco-l475-iot01a")
    # 100 uA/MHz x 80 MHz = 8 mA at 3.3 V = 26.4 mW; 80 000 cycles = 1 ms -> 26.4 uJ
    assert latency_ms(80_000, board) == pytest.approx(1.0)
    assert energy_uj(80_000, board) == pytest.approx(26.4)


def test_static_current_counts_while_running():
    from dataclasses import replace
    board = replace(get_platform("nucleo-l152re"), static_current_ua=500.0)
    # (214 uA/MHz x 32 MHz + 500 uA) x 3.3 V = 7348 uA x 3.3 V = 24.2484 mW;
    # 320 000 cycles = 10 ms -> 242.484 uJ
    assert energy_uj(320_000, board) == pytest.approx(242.484)

