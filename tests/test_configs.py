"""Config files: a bad board, scenario, constraint or tolerance file is refused through the
command line in one line naming the file and the field, exit 2; reading is bounded (alias
bombs, FIFOs, devices, oversized files); every shipped file still loads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from emu.configs import MAX_BYTES, read_yaml
from emu.decide.scenario import load_scenario
from emu.errors import EmuError
from emu.platforms import list_platforms
from emu.resources import BOARDS
from emu.results.record import Result, write_json

REPO = Path(__file__).resolve().parents[1]
BOARD = (BOARDS / "nucleo-l4r5zi.yaml").read_text()
SCENARIO = """\
name: small
models:
  - task: digits
    variants: [int8]
  - path: model.tflite
boards: [rp2040-pico]
constraints: {min_accuracy: 90%, max_ram_bytes: 64KB}
duty_cycle: {period_s: 1.0, battery_mah: 225, battery_v: 3.0}
gate: {baseline: base.json, cycles: 2%}
"""


def emu(*args, cwd, timeout=120):
    return subprocess.run([sys.executable, "-m", "emu", *map(str, args)], check=False, capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def refused(result, *expected):
    """Exit 2 and one line on stderr holding each expected piece."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("emu: error: "), result.stderr
    for piece in expected:
        assert piece in lines[0], lines[0]
    return lines[0]


def edited(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


# ---- boards --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    (BOARD + "colour: red\n", "board.yaml: colour: unknown field"),
    (edited(BOARD, "fpu: true", "fpu: maybe"), "board.yaml: fpu: must be a valid boolean (got 'maybe')"),
    (edited(BOARD, "clock_hz: 120000000", 'clock_hz: "120000000"'), "board.yaml: clock_hz: must be a valid integer"),
    (edited(BOARD, "clock_hz: 120000000", "clock_hz: -5"), "board.yaml: clock_hz: must be greater than 0 (got -5)"),
    (edited(BOARD, "flash_wait_states: 5", "flash_wait_states: -1"),
     "board.yaml: flash_wait_states: must be greater than or equal to 0 (got -1)"),
    (edited(BOARD, "core: cortex-m4", "core: cortex-m9"), "board.yaml: core: must be 'cortex-m0plus'"),
    (edited(BOARD, "ram_bytes: 655360 ", "# "), "board.yaml: ram_bytes: field required"),
    (edited(BOARD, "cflags: [-mcpu=cortex-m4,", "cflags: [7,"),
     "board.yaml: cflags[0]: must be a valid string (got 7)"),
])
def test_a_bad_board_file_is_refused_naming_the_field(tmp_path, text, expected):
    (tmp_path / "board.yaml").write_text(text)
    refused(emu("bsp", "board.yaml", "--out", "bsp", cwd=tmp_path), expected)
    assert not (tmp_path / "bsp").exists()


# ---- scenarios -----------------------------------------------------------------------------

@pytest.mark.parametrize("old, new, expected", [
    ("name: small", "name: small\ncolour: red", "scenario.yaml: colour: unknown field"),
    ("  - path: model.tflite", "  - path: model.tflite\n    colour: red",
     "scenario.yaml: models[1].colour: unknown field"),
    ("boards: [rp2040-pico]", "boards: rp2040-pico", "scenario.yaml: boards: must be a valid list (got 'rp2040-pico')"),
    ("name: small", "name: small\nseed: many", "scenario.yaml: seed: must be a valid integer"),
    ("period_s: 1.0", "period_s: 0", "scenario.yaml: duty_cycle.period_s: must be greater than 0 (got 0)"),
    ("name: small", "name: small\nprefer: beauty", "scenario.yaml: prefer: must be 'energy', 'latency'"),
    ("name: small", "name: small\noptimize: fastest",
     "scenario.yaml: optimize: must be 'latency', 'flash' or 'balanced' (got 'fastest')"),
    ("name: small", "name: ../elsewhere", "scenario.yaml: name: '../elsewhere' must be a plain folder name"),
    ("boards: [rp2040-pico]\n", "", "scenario.yaml: boards: field required"),
    ("  - path: model.tflite", "  - variant: int8", "scenario.yaml: models[1]: each model needs either 'task"),
    ("battery_mah: 225, ", "", "scenario.yaml: duty_cycle.battery_mah: field required"),
    ("baseline: base.json, ", "", "scenario.yaml: gate.baseline: field required"),
])
def test_a_bad_scenario_is_refused_naming_the_field(tmp_path, old, new, expected):
    (tmp_path / "scenario.yaml").write_text(edited(SCENARIO, old, new))
    refused(emu("scenario", "run", "scenario.yaml", "--out", "run", cwd=tmp_path), expected)
    assert not (tmp_path / "run").exists()


# ---- constraints ---------------------------------------------------------------------------

@pytest.mark.parametrize("constraints, expected", [
    ("{max_ram: 64KB}", "scenario.yaml: constraints.max_ram: unknown field"),
    ("{max_energy_uj: [1]}", "scenario.yaml: constraints.max_energy_uj: must be a valid number (got a list of 1)"),
    ("{max_ram_bytes: lots}", "scenario.yaml: constraints.max_ram_bytes: cannot read 'lots' as a size"),
    ("{max_latency_ms: -1}", "scenario.yaml: constraints.max_latency_ms: must be greater than 0 (got -1)"),
    ("{min_accuracy: 150%}", "scenario.yaml: constraints.min_accuracy: must be between 0 and 1"),
    ("{max_flash_bytes: 0}", "scenario.yaml: constraints.max_flash_bytes: must be greater than 0 (got 0)"),
    ("[90%]", "scenario.yaml: constraints: must be a mapping of fields (got a list of 1)"),
])
def test_bad_constraints_in_a_scenario_are_refused_naming_the_field(tmp_path, constraints, expected):
    # Constraints have no required field: every limit is optional.
    text = edited(SCENARIO, "constraints: {min_accuracy: 90%, max_ram_bytes: 64KB}", f"constraints: {constraints}")
    (tmp_path / "scenario.yaml").write_text(text)
    refused(emu("scenario", "run", "scenario.yaml", "--out", "run", cwd=tmp_path), expected)


def results_file(folder: Path) -> Path:
    row = Result(model="m", model_sha256="0" * 64, variant="int8", platform="nucleo-l4r5zi", core="cortex-m4",
                 fpu=True, clock_hz=120_000_000, kernels="emu", instructions=50_000, cycles=100_000, latency_ms=1.0,
                 energy_uj=1.0, flash_bytes=10_000, ram_bytes=2_000, arena_bytes=500, stack_bytes=300,
                 output_matches_reference=True)
    write_json([row], folder / "results.json")
    return folder / "results.json"


@pytest.mark.parametrize("option, expected", [
    (["--max-ram", "lots"], "options: max_ram_bytes: cannot read 'lots' as a size"),
    (["--max-latency-ms", "-3"], "options: max_latency_ms: must be greater than 0 (got -3.0)"),
    (["--min-accuracy", "2"], "options: min_accuracy: must be between 0 and 1"),
])
def test_bad_constraint_options_are_refused_naming_the_field(tmp_path, option, expected):
    results_file(tmp_path)
    refused(emu("recommend", "results.json", *option, cwd=tmp_path), expected)


# ---- gate tolerances -----------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("gate:\n  cycles: 2%\n  colour: red\n", "gate.yaml: gate.colour: unknown field"),
    ("gate:\n  cycles: [2]\n", "gate.yaml: gate.cycles: cannot read tolerance '[2]'"),
    ("gate:\n  cycles: lots\n", "gate.yaml: gate.cycles: cannot read tolerance 'lots'"),
    ("cycles: -2%\n", "gate.yaml: cycles: a tolerance cannot be negative ('-2%')"),
    ("- 2%\n", "gate.yaml: must be a mapping of fields (got a list of 1)"),
])
def test_a_bad_gate_config_is_refused_naming_the_field(tmp_path, text, expected):
    # Tolerances have no required field (each has a default); a scenario's gate needs its
    # baseline, checked above.
    results_file(tmp_path)
    (tmp_path / "gate.yaml").write_text(text)
    refused(emu("gate", "results.json", "--baseline", "results.json", "--config", "gate.yaml",
                "--junit", "gate.xml", cwd=tmp_path), expected)
    assert not (tmp_path / "gate.xml").exists()


def test_a_bad_tolerance_option_is_refused_naming_it(tmp_path):
    results_file(tmp_path)
    refused(emu("gate", "results.json", "--baseline", "results.json", "--ram", "some", cwd=tmp_path),
            "options: ram: cannot read tolerance 'some'")


# ---- reading within bounds -----------------------------------------------------------------

def alias_bomb() -> str:
    """Ten levels of ten aliases each: about 10^10 strings once expanded, in some 600 bytes."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_in_one_line(tmp_path):
    bomb = alias_bomb()
    assert 500 <= len(bomb) <= 700
    (tmp_path / "board.yaml").write_text(bomb)
    (tmp_path / "scenario.yaml").write_text(bomb)
    refused(emu("bsp", "board.yaml", "--out", "bsp", cwd=tmp_path, timeout=60),
            "board.yaml: more than 100,000 values once its aliases are expanded")
    refused(emu("scenario", "run", "scenario.yaml", cwd=tmp_path, timeout=60),
            "scenario.yaml: more than 100,000 values once its aliases are expanded")


def test_a_few_aliases_are_fine_and_a_recursive_one_is_refused(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("base: &b {cycles: 2%}\ngate: *b\n")
    assert read_yaml(path) == {"base": {"cycles": "2%"}, "gate": {"cycles": "2%"}}
    path.write_text("a: &a [1, *a]\n")
    with pytest.raises(EmuError, match="x.yaml: an alias refers to the collection that contains it"):
        read_yaml(path)


def test_a_fifo_is_refused_instead_of_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "board.yaml")
    os.mkfifo(tmp_path / "scenario.yaml")
    refused(emu("bsp", "board.yaml", "--out", "bsp", cwd=tmp_path, timeout=60), "board.yaml: not a regular file")
    refused(emu("scenario", "run", "scenario.yaml", cwd=tmp_path, timeout=60), "scenario.yaml: not a regular file")


def test_a_device_a_folder_and_an_oversized_file_are_refused(tmp_path):
    refused(emu("scenario", "run", "/dev/zero", cwd=tmp_path, timeout=60), "/dev/zero: not a regular file")
    (tmp_path / "folder.yaml").mkdir()
    with pytest.raises(EmuError, match="folder.yaml: not a regular file"):
        read_yaml(tmp_path / "folder.yaml")
    big = tmp_path / "big.yaml"
    big.write_text("# padding\n" * (MAX_BYTES // 10) + "name: x\n")
    assert big.stat().st_size > MAX_BYTES
    results_file(tmp_path)
    refused(emu("gate", "results.json", "--baseline", "results.json", "--config", "big.yaml", cwd=tmp_path),
            f"big.yaml: {big.stat().st_size:,} bytes, more than the 1,048,576 a config file may have")


def test_unreadable_yaml_and_a_missing_file_are_one_line(tmp_path):
    (tmp_path / "broken.yaml").write_text("models: [1, 2\n")
    refused(emu("scenario", "run", "broken.yaml", cwd=tmp_path), "broken.yaml: not valid YAML: ", "line 2")
    refused(emu("scenario", "run", "absent.yaml", cwd=tmp_path), "absent.yaml: no such file")


# ---- what ships ----------------------------------------------------------------------------

def test_every_shipped_board_and_scenario_loads():
    boards = list_platforms()
    assert len(boards) == len(list(BOARDS.glob("*.yaml"))) >= 9
    scenarios = sorted((REPO / "scenarios").glob("*.yaml"))
    assert len(scenarios) >= 3
    for path in scenarios:
        scenario = load_scenario(path)
        assert scenario.models and scenario.boards, path
