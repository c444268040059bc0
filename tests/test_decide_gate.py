"""The CI gate: tolerance arithmetic, JUnit output, the command's exit codes, and a real
regression injected into the firmware and caught."""

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

import emu.link.firmware
from emu.decide.baseline import write_baseline
from emu.decide.gate import compare, format_verdict
from emu.decide.junit import write_junit
from emu.decide.tolerances import (
    Tolerance,
    Tolerances,
    tolerance,
    tolerances_from_file,
)
from emu.errors import EmuError
from emu.platforms import get_platform
from emu.results.measure import measure
from emu.results.record import Result, load_results, write_json
from tests.conftest import needs_arm_gcc

# The real entry point, run in a child process.
EMU = "from emu.cli.app import main\nmain()\n"


def emu_command(*args, cwd=None):
    return subprocess.run([sys.executable, "-c", EMU, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def row(variant="int8", board="nucleo-l4r5zi", cycles=100_000, ram=2_000, flash=10_000) -> Result:
    return Result(model="m", model_sha256="0" * 64, variant=variant, platform=board, core="cortex-m4", fpu=True,
                  clock_hz=120_000_000, kernels="emu", instructions=cycles // 2, cycles=cycles, latency_ms=1.0,
                  energy_uj=1.0, flash_bytes=flash, ram_bytes=ram, arena_bytes=500, stack_bytes=300,
                  output_matches_reference=True)


def statuses(verdict):
    return {(c.key[1], c.field): c.status for c in verdict.changes}


def test_defaults_allow_two_percent_cycles_one_percent_flash_no_ram():
    base = row()
    # 100,000 cycles + 2% = 102,000 allowed; 10,000 B flash + 1% = 10,100 allowed; RAM exactly as before.
    at_the_edge = replace(base, cycles=102_000, flash_bytes=10_100, ram_bytes=2_000)
    assert compare([base], [at_the_edge]).passed
    past_it = replace(base, cycles=102_001, flash_bytes=10_101, ram_bytes=2_001)
    verdict = compare([base], [past_it])
    assert not verdict.passed
    assert statuses(verdict) == {("int8", "cycles"): "regressed", ("int8", "flash_bytes"): "regressed",
                                 ("int8", "ram_bytes"): "regressed"}


def test_improvements_and_new_rows_pass_but_missing_rows_fail():
    assert compare([row()], [row(cycles=90_000), row(variant="new")]).passed
    verdict = compare([row(), row(variant="old")], [row(cycles=90_000), row(variant="new")])
    s = statuses(verdict)
    assert s[("int8", "cycles")] == "improved" and s[("old", "cycles")] == "missing"
    assert s[("new", "ram_bytes")] == "new"
    # A baseline row without a fresh counterpart has not been checked: that fails the gate.
    assert not verdict.passed and verdict.missing == [("m", "old", "nucleo-l4r5zi")]


def test_a_gate_that_matched_nothing_fails_and_its_junit_says_why(tmp_path):
    baseline = [row(variant=f"v{i}", board=b) for i in range(3) for b in ("nucleo-l4r5zi", "disco-f746ng")]
    fresh = [row(variant="other")]
    verdict = compare(baseline, fresh)
    assert not verdict.passed and len(verdict.missing) == 6
    write_junit(tmp_path / "gate.xml", verdict=verdict)
    suite = ET.parse(tmp_path / "gate.xml").getroot().find("testsuite")
    # 6 missing rows x 3 gated fields, each a failure; nothing is reported as skipped
    assert suite.get("failures") == "18" and suite.get("skipped") == "0"
    assert not list(suite.iter("skipped"))
    messages = {c.find("failure").get("message") for c in suite.iter("testcase") if c.find("failure") is not None}
    assert "m/v0 on disco-f746ng is in the baseline but not in the fresh results" in messages


def test_tolerances_from_options_and_config(tmp_path):
    assert tolerance("2%") == Tolerance(2.0, True)
    assert tolerance("+512") == Tolerance(512.0, False)
    with pytest.raises(ValueError, match="cannot read tolerance 'lots'"):
        tolerance("lots")
    config = tmp_path / "gate.yaml"
    config.write_text("gate:\n  cycles: 5%\n  ram: 64\n")
    t = tolerances_from_file(config)
    assert t == Tolerances(cycles=Tolerance(5.0, True), ram=Tolerance(64.0, False), flash=Tolerance(1.0, True))
    assert compare([row()], [row(cycles=104_000, ram=2_064)], t).passed


def test_junit_xml_lists_each_check_and_its_failure(tmp_path):
    verdict = compare([row()], [row(cycles=110_000)])
    write_junit(tmp_path / "gate.xml", verdict=verdict)
    suite = ET.parse(tmp_path / "gate.xml").getroot().find("testsuite")
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    failed = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["cycles"]
    assert "100,000 to 110,000" in failed[0].find("failure").get("message")


def test_gate_command_exit_codes_and_baseline_command(tmp_path):
    write_json([row()], tmp_path / "before.json")
    write_json([row(cycles=150_000)], tmp_path / "after.json")
    made = emu_command("baseline", "before.json", "--out", "baseline.json", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    same = emu_command("gate", "before.json", "--baseline", "baseline.json", "--junit", "ok.xml", cwd=tmp_path)
    assert same.returncode == 0, same.stderr
    assert "gate: passed" in same.stdout and (tmp_path / "ok.xml").is_file()
    worse = emu_command("gate", "after.json", "--baseline", "baseline.json", cwd=tmp_path)
    assert worse.returncode == 1
    assert "REGRESSED" in worse.stdout and worse.stderr.startswith("emu: error:")
    loose = emu_command("gate", "after.json", "--baseline", "baseline.json", "--cycles", "60%", cwd=tmp_path)
    assert loose.returncode == 0, loose.stdout
    missing = emu_command("gate", "after.json", "--baseline", "nowhere.json", cwd=tmp_path)
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    write_json([row(variant="renamed")], tmp_path / "unmatched.json")
    unmatched = emu_command("gate", "unmatched.json", "--baseline", "baseline.json", "--junit", "u.xml", cwd=tmp_path)
    assert unmatched.returncode == 1 and "1 baseline row(s) missing" in unmatched.stderr


def test_baseline_update_replaces_matching_rows_and_keeps_others(tmp_path):
    path = tmp_path / "baseline.json"
    write_baseline([row(variant="a"), row(variant="b")], path)
    write_baseline([row(variant="b", cycles=5)], path)
    kept = {r.variant: r.cycles for r in load_results(path)}
    assert kept == {"a": 100_000, "b": 5}
    assert json.loads(path.read_text())["results"][0]["variant"] == "a"


# A regression a pull request could plausibly bring: a marker function that now does work
# between layers, and a buffer it keeps in RAM.
INJECTED_REGRESSION = """
volatile unsigned char emu_regression_scratch[256];
__attribute__((noinline)) void emu_mark_layer(void)
{
    for (int i = 0; i < 256; i++) {
        emu_regression_scratch[i] = (unsigned char)i;
    }
    __asm__ volatile("" ::: "memory");
}
"""


@pytest.fixture(scope="module")
def small_int8_model(tmp_path_factory):
    from tests import modelgen

    tf = modelgen.tf()
    model = modelgen.keras_model([tf.keras.layers.Dense(16, activation="relu"), tf.keras.layers.Dense(4)], (8,))
    path = tmp_path_factory.mktemp("gate-model") / "gated.tflite"
    path.write_bytes(modelgen.to_int8(model, (8,)))
    return path


def firmware_copy(tmp_path, name: str, regress: bool):
    folder = tmp_path / name
    shutil.copytree(emu.link.firmware.FIRMWARE, folder)
    if regress:
        markers = folder / "runtime" / "markers.c"
        text = markers.read_text()
        kept = [line for line in text.splitlines() if "void emu_mark_layer" not in line]
        assert len(kept) == len(text.splitlines()) - 1, "markers.c no longer defines emu_mark_layer on one line"
        markers.write_text("\n".join(kept) + "\n" + INJECTED_REGRESSION)
    return folder


@needs_arm_gcc
def test_gate_catches_a_regression_built_into_real_firmware(small_int8_model, tmp_path, monkeypatch):
    board = get_platform("nucleo-l4r5zi")

    def build_and_measure(firmware_folder):
        monkeypatch.setattr(emu.link.firmware, "FIRMWARE", firmware_folder)
        return measure(small_int8_model, board, variant="int8")[0]

    before = build_and_measure(firmware_copy(tmp_path, "main", regress=False))
    unchanged = build_and_measure(firmware_copy(tmp_path, "unchanged", regress=False))
    regressed = build_and_measure(firmware_copy(tmp_path, "regressed", regress=True))

    assert compare([before], [unchanged]).passed
    verdict = compare([before], [regressed])
    assert not verdict.passed
    failed = {c.field for c in verdict.regressions}
    # the loop runs once per layer boundary; the 256-byte buffer lands in .bss
    assert failed >= {"cycles", "ram_bytes"}
    assert regressed.ram_bytes - before.ram_bytes >= 256

    write_json([before], tmp_path / "baseline.json")
    write_json([regressed], tmp_path / "fresh.json")
    cli = emu_command("gate", "fresh.json", "--baseline", "baseline.json", "--junit", "gate.xml", cwd=tmp_path)
    assert cli.returncode == 1, cli.stdout + cli.stderr
    assert ET.parse(tmp_path / "gate.xml").getroot().find("testsuite").get("failures") == str(len(verdict.regressions))


# -- quality and the other costs in the gate

def scored(accuracy=None, **kw) -> Result:
    r = row(**kw)
    return r if accuracy is None else replace(r, quality={"accuracy": accuracy})


def test_a_change_whose_accuracy_collapsed_fails_naming_accuracy(tmp_path):
    verdict = compare([scored(1.0)], [scored(0.26)])
    assert not verdict.passed
    (fell,) = verdict.regressions
    assert (fell.field, fell.before, fell.after) == ("accuracy", 1.0, 0.26)
    # through the commands: the baseline carries the quality, the gate exits 1 naming accuracy
    write_json([scored(1.0)], tmp_path / "before.json")
    write_json([scored(0.26)], tmp_path / "after.json")
    assert emu_command("baseline", "before.json", "--out", "baseline.json", cwd=tmp_path).returncode == 0
    assert json.loads((tmp_path / "baseline.json").read_text())["results"][0]["quality"] == {"accuracy": 1.0}
    gate = emu_command("gate", "after.json", "--baseline", "baseline.json", "--junit", "gate.xml", cwd=tmp_path)
    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert "accuracy fell from 100.0% to 26.0%" in gate.stderr and len(gate.stderr.strip().splitlines()) == 1
    failed = [c for c in ET.parse(tmp_path / "gate.xml").getroot().iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["accuracy"]
    loose = emu_command("gate", "after.json", "--baseline", "baseline.json", "--accuracy", "0.8", "--junit",
                        "loose.xml", cwd=tmp_path)
    assert loose.returncode == 0, loose.stdout + loose.stderr


def test_default_quality_tolerances_one_point_of_accuracy_five_percent_of_error():
    assert compare([scored(0.95)], [scored(0.94)]).passed  # one percentage point lower: allowed
    assert not compare([scored(0.95)], [scored(0.9399)]).passed
    assert compare([scored(0.90)], [scored(0.99)]).passed  # better passes
    rmse = [replace(row(), quality={"rmse": 0.2})]
    assert compare(rmse, [replace(row(), quality={"rmse": 0.21})]).passed  # +5%
    worse = compare(rmse, [replace(row(), quality={"rmse": 0.2101})])
    assert [(c.field, c.status) for c in worse.regressions] == [("rmse", "regressed")]
    relative = Tolerances(accuracy=tolerance("10%"))  # of the baseline: 0.8 may fall to 0.72
    assert compare([scored(0.8)], [scored(0.72)], relative).passed
    assert not compare([scored(0.8)], [scored(0.719)], relative).passed


def test_latency_and_energy_are_gated_when_given_a_tolerance(tmp_path):
    base = row()
    slower = replace(base, latency_ms=1.2, energy_uj=7.0)  # a slower clock or a new power model: same cycles
    assert compare([base], [slower]).passed  # not gated apart from cycles by default
    config = tmp_path / "gate.yaml"
    config.write_text("gate:\n  latency: 10%\n  energy: 5\n  accuracy: 0.02\n")
    t = tolerances_from_file(config)
    assert (t.latency, t.energy, t.accuracy) == (Tolerance(10.0, True), Tolerance(5.0, False), Tolerance(0.02, False))
    verdict = compare([base], [slower], t)
    # 1.0 ms + 10% = 1.1 ms allowed; 1.0 uJ + 5 uJ = 6 uJ allowed
    assert {c.field for c in verdict.regressions} == {"latency_ms", "energy_uj"}
    assert compare([base], [replace(base, latency_ms=1.1, energy_uj=6.0)], t).passed
    config.write_text("gate:\n  accuracy: lots\n")
    with pytest.raises(EmuError, match="accuracy"):
        tolerances_from_file(config)


def test_junit_names_every_check(tmp_path):
    t = Tolerances(latency=tolerance("5%"), energy=tolerance("5%"))
    verdict = compare([scored(0.9)], [scored(0.5, cycles=200_000)], t)
    write_junit(tmp_path / "gate.xml", verdict=verdict)
    suite = ET.parse(tmp_path / "gate.xml").getroot().find("testsuite")
    names = [c.get("name") for c in suite.iter("testcase")]
    assert names == ["cycles", "RAM", "flash", "latency", "energy", "accuracy"]
    failed = {c.get("name"): c.find("failure").get("message") for c in suite.iter("testcase")
              if c.find("failure") is not None}
    assert set(failed) == {"cycles", "accuracy"}
    assert failed["accuracy"] == "accuracy fell from 90.0% to 50.0% (-44.44%), allowed -0.01"


def test_a_baseline_without_quality_still_gates_costs_and_says_quality_was_not_compared(tmp_path):
    old = row()  # written before baselines carried quality
    verdict = compare([old], [scored(0.26)])
    assert verdict.passed and verdict.quality_not_compared == [("m", "int8", "nucleo-l4r5zi")]
    assert {c.field for c in verdict.changes} == {"cycles", "ram_bytes", "flash_bytes"}
    assert "quality was not compared for 1 row(s)" in format_verdict(verdict)
    assert not compare([old], [scored(0.26, cycles=150_000)]).passed
    write_json([old], tmp_path / "old-baseline.json")
    write_json([scored(0.26)], tmp_path / "fresh.json")
    gate = emu_command("gate", "fresh.json", "--baseline", "old-baseline.json", "--junit", "g.xml", cwd=tmp_path)
    assert gate.returncode == 0 and "note: quality was not compared" in gate.stdout
    # the other way round: a baseline with quality and fresh results without it cannot pass unchecked
    lost = compare([scored(0.9)], [row()])
    assert not lost.passed and [(c.field, c.status) for c in lost.unmeasured] == [("accuracy", "unmeasured")]


def test_a_scenario_run_gives_its_results_their_quality_so_its_gate_compares_it(tmp_path):
    from emu.decide.quality import VariantQuality
    from emu.orchestrate.scenario_runner import with_quality

    measured = [row(variant="int8"), row(variant="fp32")]  # as the sweep measures them: no quality
    rows = with_quality(measured, [VariantQuality("m", "int8", {"accuracy": 0.9})])
    assert [r.quality for r in rows] == [{"accuracy": 0.9}, {}]
    write_baseline(rows, tmp_path / "baseline.json")
    later = with_quality(measured, [VariantQuality("m", "int8", {"accuracy": 0.5})])
    verdict = compare(load_results(tmp_path / "baseline.json"), later)
    assert [(c.key[1], c.field) for c in verdict.regressions] == [("int8", "accuracy")]
