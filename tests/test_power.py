"""Latency and energy against hand calculations from the boards' datasheet figures."""

from __future__ import annotations

import pytest

from emu.platforms import get_platform
from emu.results.power import energy_uj, latency_ms, run_power_mw


def test_nucleo_l4r5zi():
    board = get_platform("nucleo-l4r5zi")
    # 120 MHz; 188 uA/MHz at 1.8 V (derived from the MLPerf Tiny reference's 40.7 mW):
    # I = 188 x 120 = 22 560 uA; P = 1.8 V x 22.56 mA = 40.608 mW
    assert run_power_mw(board) == pytest.approx(40.608)
    # 1 200 000 cycles / 120 MHz = 10 ms; E = 40.608 mW x 10 ms = 406.08 uJ
    assert latency_ms(1_200_000, board) == pytest.approx(10.0)
    assert energy_uj(1_200_000, board) == pytest.approx(406.08)


def test_ek_ra6m4():
    board = get_platform("ek-ra6m4")
    # 200 MHz; 122 uA/MHz at 3.0 V (derived from the MLPerf Tiny v0.7 entry's 72.9 mW):
    # I = 122 x 200 = 24 400 uA; P = 3.0 V x 24.4 mA = 73.2 mW
    assert run_power_mw(board) == pytest.approx(73.2)
    # 2 000 000 cycles / 200 MHz = 10 ms; E = 73.2 mW x 10 ms = 732 uJ
    assert energy_uj(2_000_000, board) == pytest.approx(732.0)


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

