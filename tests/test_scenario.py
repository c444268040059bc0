"""Scenario files: the shipped ones load, bad ones are refused in one line, and a run's
battery life matches the hand calculation from its duty cycle."""

from pathlib import Path

import pytest
import yaml

from emu.decide import DutyCycle, battery_life_hours, load_scenario
from emu.errors import EmuError
from emu.orchestrate import run_scenario
from emu.platforms import get_platform
from emu.results.cached_measure import ResultsCache
from tests.conftest import needs_arm_gcc, shared_model

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_battery_life_by_hand():
    # One inference a second taking 1 ms and 10 uJ; 2 uA asleep from a 3.0 V, 225 mAh cell.
    #   asleep:        2 uA x 3.0 V = 6 uW, for 1 s - 1 ms = 0.999 s -> 5.994 uJ
    #   per period:    10 uJ + 5.994 uJ = 15.994 uJ each second -> 15.994 uW average
    #   battery:       225 mAh x 3.0 V = 675 mWh = 675,000 uWh
    #   life:          675,000 uWh / 15.994 uW = 42,203.3 h = 1,758.5 days
    duty = DutyCycle(period_s=1.0, battery_mah=225, battery_v=3.0, sleep_current_ua=2.0)
    assert battery_life_hours(latency_ms=1.0, energy_uj=10.0, sleep_current_ua=2.0, duty=duty) == pytest.approx(
        675_000 / 15.994, rel=1e-12)
    assert battery_life_hours(latency_ms=1500.0, energy_uj=10.0, sleep_current_ua=2.0, duty=duty) is None


def test_shipped_scenarios_load():
    names = {p.name for p in SCENARIOS.glob("*.yaml")}
    assert {"coin-cell-anomaly.yaml", "image-classifier-boards.yaml", "ci-gate.yaml"} <= names
    for path in SCENARIOS.glob("*.yaml"):
        scenario = load_scenario(path)
        assert scenario.models and scenario.boards
    assert load_scenario(SCENARIOS / "coin-cell-anomaly.yaml").constraints.metric == "roc_auc"
    assert load_scenario(SCENARIOS / "ci-gate.yaml").gate is not None


@pytest.mark.parametrize("text, message", [
    ("models: []\nboards: [rp2040-pico]\n", "bad.yaml: models: must list at least 1 item"),
    ("models: [{path: a.tflite}]\nboards: []\n", "bad.yaml: boards: must list at least 1 item"),
    ("models: [{path: a.tflite}]\nboards: [rp2040-pico]\nconstraints: {max_ram_bytes: lots}\n",
     "bad.yaml: constraints.max_ram_bytes: cannot read 'lots' as a size"),
    ("models: [{path: a.tflite}]\nboards: [rp2040-pico]\nduty_cycle: {period_s: 1}\n",
     "bad.yaml: duty_cycle.battery_mah: field required"),
    ("models: [{path: a.tflite}]\nboards: [rp2040-pico]\nconstraints: {min_battery_days: 9}\n",
     "bad.yaml: constraints.min_battery_days needs a duty_cycle"),
    ("models: [{path: a.tflite}]\nboards: [rp2040-pico]\ncolour: red\n", "bad.yaml: colour: unknown field"),
    ("models: [{task: digits, path: a.tflite}]\nboards: [rp2040-pico]\n",
     "bad.yaml: models\\[0\\]: each model needs either 'task"),
])
def test_bad_scenarios_are_refused(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(EmuError, match=message):
        load_scenario(path)


def hand_energy_uj(cycles: int, board) -> float:
    # The board runs at clock_mhz drawing run_current_ua_per_mhz x clock_mhz + static_current_ua
    # from supply_v; an inference lasts cycles / clock_hz seconds.
    current_ua = board.run_current_ua_per_mhz * board.clock_mhz + board.static_current_ua
    seconds = cycles / board.clock_hz
    return board.supply_v * current_ua * seconds  # V x uA x s = uJ


@needs_arm_gcc
def test_coin_cell_scenario_battery_life_matches_the_hand_calculation(tmp_path):
    outcome = run_scenario(SCENARIOS / "coin-cell-anomaly.yaml", out=tmp_path / "run", cache=ResultsCache())
    duty = yaml.safe_load((SCENARIOS / "coin-cell-anomaly.yaml").read_text())["duty_cycle"]
    assert duty == {"period_s": 1.0, "battery_mah": 225, "battery_v": 3.0, "sleep_current_ua": 2.0}
    for c in outcome.candidates:
        board = get_platform(c.platform)
        # The duty cycle by hand: each second one inference, then sleep at 2 uA from the 3.0 V cell.
        inference_s = c.cycles / board.clock_hz
        energy_per_period_uj = hand_energy_uj(c.cycles, board) + 2.0 * 3.0 * (1.0 - inference_s)  # uA x V x s = uJ
        average_uw = energy_per_period_uj / 1.0
        life_hours = 225 * 3.0 * 1000 / average_uw  # mAh x V = mWh; x 1000 = uWh
        assert c.battery_days == pytest.approx(life_hours / 24, rel=1e-9), c
    assert outcome.recommendation.anything_fits
    assert (tmp_path / "run" / "index.html").is_file() and (tmp_path / "run" / "report.md").is_file()
    print(f"\ncoin cell: {outcome.recommendation.overall.label} on {outcome.recommendation.overall.platform}, "
          f"{outcome.recommendation.overall.battery_days:.0f} days")


@needs_arm_gcc
def test_a_scenario_names_a_tflite_file_by_path(tmp_path):
    model = shared_model("person_detect.tflite")
    scenario = tmp_path / "person.yaml"
    scenario.write_text(yaml.safe_dump({
        "name": "person", "models": [{"path": str(model), "variant": "int8", "metric": {"accuracy": 0.8}}],
        "boards": ["disco-f746ng"], "constraints": {"min_accuracy": "75%", "max_ram_bytes": "256KB"},
        "duty_cycle": {"period_s": 5, "battery_mah": 2000, "battery_v": 3.7}}))
    outcome = run_scenario(scenario, out=tmp_path / "run", cache=ResultsCache())
    [result] = outcome.results
    assert result.model == "person_detect" and result.output_matches_reference is True
    assert outcome.candidates[0].battery_days is not None


@needs_arm_gcc
def test_a_scenario_that_fails_its_constraints_records_each_board_as_a_junit_failure(tmp_path):
    import xml.etree.ElementTree as ET

    scenario = tmp_path / "tight.yaml"
    scenario.write_text(yaml.safe_dump({
        "name": "tight", "models": [{"path": str(shared_model("hello_world_int8.tflite")), "variant": "int8"}],
        "boards": ["nucleo-l4r5zi", "rp2040-pico"], "constraints": {"max_ram_bytes": 16}}))
    outcome = run_scenario(scenario, out=tmp_path / "run", cache=ResultsCache(), write_report=False)
    assert not outcome.recommendation.anything_fits
    suite = ET.parse(tmp_path / "run" / "junit.xml").getroot().find("testsuite[@name='emu constraints']")
    assert suite.get("tests") == "2" and suite.get("failures") == "2"
    messages = [case.find("failure").get("message") for case in suite.iter("testcase")]
    assert messages[0].startswith("no variant meets the constraints on nucleo-l4r5zi; closest: hello_world_int8")
    assert all("is over the 0.0 KB limit" in m for m in messages)
