"""Nothing vanishes: a variant that does not fit a board, or cannot run there, is a row of the
results with its reason, and decisions, reports and the gate say so (README.md, result fields)."""

from __future__ import annotations

import csv
import json
import re

import pytest
import yaml

from emu.decide.candidates import candidates_from, unplaced_from
from emu.decide.constraints import Constraints
from emu.decide.explain import decision_to_dict, format_decision
from emu.decide.gate import compare
from emu.decide.junit import decision_to_junit, verdict_to_junit
from emu.decide.per_model import decide
from emu.decide.quality import qualities_from_results
from emu.decide.report_input import ReportInput
from emu.decide.report_md import render_markdown
from emu.errors import EmuError
from emu.link.bsp import STACK_RESERVE
from emu.platforms import get_platform
from emu.resources import BOARDS
from emu.results.record import Result, load_results, result_from_dict, unmeasured_result, write_csv, write_json
from tests.conftest import needs_arm_gcc
from tests.in_process import emu_in_process

PICO = get_platform("rp2040-pico")
NEED = "needs 40,112 B of RAM (tensor arena 31,920 B + stack 8,192 B), board has 270,336 B"


def measured_row(variant: str, board: str, energy: float, ram: int = 20_000, accuracy: float = 0.95) -> Result:
    p = get_platform(board)
    return Result(model=f"big_{variant}", model_sha256=variant * 4, variant=variant, platform=p.name, core=p.core,
                  fpu=p.fpu, clock_hz=p.clock_hz, kernels="reference", instructions=1000, cycles=2000,
                  latency_ms=1.0, energy_uj=energy, flash_bytes=50_000, ram_bytes=ram, arena_bytes=ram - 9000,
                  stack_bytes=900, output_matches_reference=True, quality={"accuracy": accuracy})


def too_big(variant: str, board=PICO, reason: str = NEED) -> Result:
    return unmeasured_result(f"big_{variant}", variant * 4, variant, board, "reference", "does not fit", reason)


# ---- the record and its files


def test_a_row_that_does_not_fit_survives_json_and_csv(tmp_path):
    rows = [measured_row("int8", "nucleo-l4r5zi", 10.0), too_big("int8")]
    write_json(rows, tmp_path / "r.json")
    assert load_results(tmp_path / "r.json") == rows
    write_csv(rows, tmp_path / "r.csv")
    table = list(csv.DictReader((tmp_path / "r.csv").open()))
    assert [(r["platform"], r["status"], r["reason"], r["cycles"]) for r in table] == [
        ("nucleo-l4r5zi", "measured", "", "2000"), ("rp2040-pico", "does not fit", NEED, "")]


def test_a_results_file_written_before_rows_had_a_status_reads_as_measured(tmp_path):
    row = measured_row("int8", "nucleo-l4r5zi", 10.0).to_dict()
    del row["status"], row["reason"]
    (tmp_path / "old.json").write_text(json.dumps([row]))
    (loaded,) = load_results(tmp_path / "old.json")
    assert loaded.status == "measured" and loaded.measured and loaded.cycles == 2000


@pytest.mark.parametrize("edit, complaint", [
    ({"cycles": None}, "a measured row needs cycles"),
    ({"status": "does not fit", "cycles": None, "reason": ""}, "needs its reason"),
    ({"status": "vanished"}, "status"),
    ({"latency_ms": -1.0}, "latency_ms"),
])
def test_a_row_is_checked_by_its_status(edit, complaint):
    row = {**measured_row("int8", "nucleo-l4r5zi", 10.0).to_dict(), **edit}
    with pytest.raises(EmuError, match=complaint):
        result_from_dict(row)


# ---- decisions


def two_boards() -> list[Result]:
    """int8 and fp32 measured on the M4F; on the M0+ int8 does not fit and fp32 cannot run."""
    return [measured_row("int8", "nucleo-l4r5zi", 10.0), measured_row("fp32", "nucleo-l4r5zi", 30.0),
            too_big("int8"),
            unmeasured_result("big_fp32", "fp32" * 4, "fp32", PICO, "reference", "not runnable",
                              "operator 3 (CUSTOM 'MyOp') is not supported")]


def decided(rows: list[Result], **kw):
    candidates = candidates_from(rows, qualities_from_results(rows))
    return candidates, decide(candidates, Constraints(min_accuracy=0.9), "energy", unplaced=unplaced_from(rows), **kw)


def test_a_board_that_takes_nothing_is_named_with_each_variants_reason():
    candidates, decision = decided(two_boards())
    assert {c.platform for c in candidates} == {"nucleo-l4r5zi"}  # unmeasured rows are no candidates
    rec = decision.single
    assert [d.board for d in rec.boards_taking_nothing] == ["rp2040-pico"]
    text = format_decision(decision)
    assert ("rp2040-pico: nothing fits: big_fp32 is not runnable: operator 3 (CUSTOM 'MyOp') is not supported; "
            f"big_int8 {NEED}") in text.splitlines()
    first = text.splitlines()[0]  # the headline
    assert first.startswith("Ship big_int8 on nucleo-l4r5zi") and "Nothing fits rp2040-pico: " in first
    as_json = decision_to_dict(decision)
    pico = next(b for b in as_json["boards"] if b["board"] == "rp2040-pico")
    assert pico["takes_nothing"] is True and pico["chosen"] is None
    (case,) = [c for c in decision_to_junit(decision) if c.get("classname") == "emu.constraints.rp2040-pico"]
    assert case.find("failure").get("message") == (
        "no variant fits or runs on rp2040-pico: big_fp32 is not runnable: operator 3 (CUSTOM 'MyOp') is not "
        f"supported; big_int8 {NEED}")
    assert [(u["label"], u["status"], u["reason"]) for u in pico["unplaced"]] == [
        ("big_fp32", "not runnable", "operator 3 (CUSTOM 'MyOp') is not supported"), ("big_int8", "does not fit", NEED)]


def test_a_variant_that_does_not_fit_one_board_is_listed_beside_those_measured_there():
    rows = [measured_row("int8", "rp2040-pico", 10.0), too_big("fp32")]
    _, decision = decided(rows)
    board = decision.single.boards[0]
    assert board.chosen.variant == "int8" and not board.takes_nothing
    assert f"  rejected big_fp32: does not fit: {NEED}" in format_decision(decision).splitlines()


def test_a_model_that_fits_no_board_has_a_decision_saying_so():
    rows = [too_big("int8"),
            too_big("int8", get_platform("nucleo-l4r5zi"), "needs 9,999,999 B of RAM, board has 655,360 B")]
    _, decision = decided(rows)
    assert decision.models_without_a_fit == ["big"]
    text = format_decision(decision)
    assert text.splitlines()[0].startswith("No variant fits or runs on any board. Nothing fits nucleo-l4r5zi: "
                                           "big_int8 needs 9,999,999 B of RAM")
    assert "nucleo-l4r5zi: nothing fits: big_int8 needs 9,999,999 B of RAM, board has 655,360 B" in text


def test_the_report_lists_the_board_that_takes_nothing():
    rows = two_boards()
    candidates, decision = decided(rows)
    markdown = render_markdown(ReportInput("t", "", rows, qualities_from_results(rows), candidates, decision))
    assert f"rp2040-pico: nothing fits: big_fp32 is not runnable: operator 3 (CUSTOM 'MyOp') is not supported; " \
           f"big_int8 {NEED}" in markdown
    assert "Nothing fits rp2040-pico: " in next(line for line in markdown.splitlines() if "**Decision:**" in line)


def test_the_recommend_command_reads_the_rows_and_names_the_board(tmp_path):
    write_json(two_boards(), tmp_path / "r.json")
    code, out, err = emu_in_process("recommend", tmp_path / "r.json", "--min-accuracy", "90%",
                                    "--json", tmp_path / "d.json")
    assert code == 0, err  # the M4F has a variant that fits
    assert f"big_int8 {NEED}" in out and "rp2040-pico: nothing fits: " in out
    assert json.loads((tmp_path / "d.json").read_text())["boards"][1]["takes_nothing"] is True


# ---- the gate


def test_a_baseline_row_that_now_does_not_fit_fails_the_gate_with_its_reason():
    before = [measured_row("int8", "rp2040-pico", 10.0), measured_row("fp32", "rp2040-pico", 30.0)]
    after = [measured_row("int8", "rp2040-pico", 10.0), too_big("fp32")]
    verdict = compare(before, after)
    assert not verdict.passed
    (failure,) = verdict.failures
    assert (failure.key, failure.status, failure.reason) == (("big_fp32", "fp32", "rp2040-pico"), "does not fit", NEED)
    assert "1 baseline row(s) that now do not fit or cannot run" in verdict.summary()
    (case,) = [c for c in verdict_to_junit(verdict) if c.find("failure") is not None]
    assert case.find("failure").get("type") == "does-not-fit" and NEED in case.find("failure").get("message")
    # a baseline row that was never measured has nothing to gate from
    assert compare(after, after).passed


# ---- emu bench on a board too small for the model


def small_board(tmp_path, ram_bytes: int) -> str:
    board = yaml.safe_load((BOARDS / "nucleo-l4r5zi.yaml").read_text())
    board.update(name="tiny-ram", ram_bytes=ram_bytes)
    path = tmp_path / "tiny-ram.yaml"
    path.write_text(yaml.safe_dump(board))
    return str(path)


NEEDS = re.compile(r"needs ([\d,]+) B of RAM \(tensor arena ([\d,]+) B \+ stack ([\d,]+) B\), board has ([\d,]+) B")


def test_bench_writes_a_row_for_a_board_the_model_does_not_fit(tiny_model, tmp_path):
    # 4 KB of RAM cannot hold even the 8 KB the firmware reserves for its stack: no toolchain is needed
    # to know the model does not fit, and none runs.
    board = small_board(tmp_path, 4096)
    out, table = tmp_path / "r.json", tmp_path / "r.csv"
    code, stdout, stderr = emu_in_process("bench", tiny_model, "-p", board, "--json", out, "--csv", table,
                                          "--no-cache")
    # The row is written, but a run that measured nothing exits 2, so a script cannot take it for numbers.
    assert code == 2 and stderr.splitlines()[-1].startswith("emu: error: nothing was measured"), stderr
    (row,) = json.loads(out.read_text())
    assert (row["platform"], row["status"], row["cycles"], row["ram_bytes"]) == ("tiny-ram", "does not fit", None, None)
    need, arena, stack, have = (int(x.replace(",", "")) for x in NEEDS.fullmatch(row["reason"]).groups())
    assert (have, stack, need) == (4096, STACK_RESERVE, arena + STACK_RESERVE)
    assert arena >= 5 + 3  # at least the int8 input (5 values) and output (3)
    assert [(r["platform"], r["status"]) for r in csv.DictReader(table.open())] == [("tiny-ram", "does not fit")]
    line = next(line for line in stdout.splitlines() if "tiny-ram" in line and "tiny_int8" in line)
    assert line.split()[-4:] == ["does", "not", "fit", "-"]  # the status, then the host quality (none here)
    assert f"tiny_int8 (model) on tiny-ram: does not fit: {row['reason']}" in stdout


@needs_arm_gcc  # and QEMU (tests/conftest.py, TOOLCHAIN_TESTS_ALSO_NEED)
def test_bench_measures_the_board_that_fits_and_keeps_the_one_that_does_not(tiny_model, tmp_path):
    out = tmp_path / "r.json"
    code, stdout, stderr = emu_in_process("bench", tiny_model, "-p", "nucleo-l4r5zi", "-p",
                                          small_board(tmp_path, 4096), "--json", out, seconds=300)
    assert code == 0, stderr
    fits, not_fit = load_results(out)
    assert (fits.platform, fits.status, fits.output_matches_reference) == ("nucleo-l4r5zi", "measured", True)
    # its energy rests on the board file's sourced power figures, and says where they come from
    assert (fits.energy_basis, fits.energy_source) == ("sourced", "docs/sources.md#mlperf-tiny-energy")
    assert (not_fit.energy_basis, not_fit.energy_uj) == (None, None)
    # the count made before building agrees with the firmware that was built and run on the other board
    need, arena, _, _ = (int(x.replace(",", "")) for x in NEEDS.fullmatch(not_fit.reason).groups())
    assert arena == fits.arena_bytes and need == fits.arena_bytes + STACK_RESERVE
    code, text, err = emu_in_process("recommend", out)
    assert code == 0, err
    assert f"tiny-ram: nothing fits: tiny_int8/model {not_fit.reason}" in text.splitlines()
    code, _, err = emu_in_process("report", out, "--out", tmp_path / "report")
    assert code == 0, err
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert f"tiny-ram: nothing fits: tiny_int8/model {not_fit.reason}" in markdown


def test_bench_of_a_variants_folder_keeps_the_variant_the_device_cannot_run(tiny_model, tmp_path):
    """A hybrid variant (listed as not runnable in variants.json) is a row on every board, with
    the folder's reason; the int8 variant that does not fit the board is a row too."""
    import hashlib
    import shutil

    from tests.test_cli import variant_entry

    folder = tmp_path / "variants"
    (folder / "int8").mkdir(parents=True)
    shutil.copy(tiny_model, folder / "int8" / "hw.tflite")
    sha = hashlib.sha256(tiny_model.read_bytes()).hexdigest()
    (folder / "variants.json").write_text(json.dumps({"task": {}, "variants": [
        variant_entry("int8", "int8/hw.tflite", sha),
        variant_entry("dynamic-int8", "dynamic-int8/hw.tflite", "1" * 64, runs=False)]}))
    out = tmp_path / "r.json"
    code, stdout, stderr = emu_in_process("bench", folder, "-p", small_board(tmp_path, 4096), "--json", out,
                                          "--no-cache")
    assert code == 2 and "nothing was measured" in stderr, stderr  # both rows written, neither a measurement
    rows = [(r.model, r.variant, r.platform, r.status, r.reason) for r in load_results(out)]
    assert rows[1] == ("hw", "dynamic-int8", "tiny-ram", "not runnable", "test")
    assert rows[0][:4] == ("hw", "int8", "tiny-ram", "does not fit")
    assert "hw (dynamic-int8) on tiny-ram: not runnable: test" in stdout.splitlines()
    assert "2 of 2 runs" in stderr


# ---- what is assumed: energy on assumed power figures says so


def test_every_board_file_says_whether_its_power_figures_are_sourced_and_where():
    """The basis agrees with the file's own comments (a run current marked 'assumption' cannot be
    sourced) and the source is a section that docs/sources.md has."""
    from pathlib import Path

    from emu.platforms import list_platforms

    anchors = set(re.findall(r'<a id="([a-z0-9-]+)"></a>',
                             (Path(__file__).resolve().parents[1] / "docs" / "sources.md").read_text()))
    for board in list_platforms():
        text = board.path.read_text()
        assert re.search(r"^power_basis: (sourced|assumed)\b", text, re.M), board.name
        assert board.power_source and board.power_source.removeprefix("docs/sources.md#") in anchors, board.name
        run_comment = re.search(r"^run_current_ua_per_mhz: \S+\s+# (.*)$", text, re.M).group(1)
        if run_comment.startswith("assumption"):
            assert board.power_basis == "assumed", board.name
    assert get_platform("nucleo-l4r5zi").power_basis == "sourced"  # the MLPerf Tiny whole-rail measurement
    assert get_platform("alif-e7-appkit").power_basis == "assumed"


@pytest.mark.parametrize("edit, complaint", [
    ({"power_basis": "sourced", "power_source": None}, "power_basis: sourced needs power_source"),
    ({"power_basis": "guessed"}, "power_basis"),
    ({"power_source": "http://example.com"}, "power_source: must be a section of docs/sources.md"),
])
def test_a_board_file_power_basis_is_checked(tmp_path, edit, complaint):
    from emu.platforms import load_platform_file

    board = yaml.safe_load((BOARDS / "nucleo-l4r5zi.yaml").read_text())
    board.update(edit)
    board = {k: v for k, v in board.items() if v is not None}
    path = tmp_path / "b.yaml"
    path.write_text(yaml.safe_dump(board))
    with pytest.raises(EmuError, match=complaint):
        load_platform_file(path)


def with_basis(row: Result) -> Result:
    import dataclasses

    p = get_platform(row.platform)
    return dataclasses.replace(row, energy_basis=p.power_basis, energy_source=p.power_source)


def test_a_decision_on_assumed_energy_says_so_in_its_first_line():
    rows = [with_basis(measured_row("int8", "rp2040-pico", 5.0)),
            with_basis(measured_row("int8", "nucleo-l4r5zi", 9.0))]
    _, decision = decided(rows)
    first = format_decision(decision).splitlines()[0]
    assert first.startswith("Decided on assumed energy figures: the power figures of rp2040-pico "
                            "(docs/sources.md#rp2040-datasheet) are assumptions. Ship big_int8 on rp2040-pico: ")
    assert "5 uJ per inference (assumed power figures)" in first
    # on the sourced board alone, the decision opens with the choice
    _, decision = decided(rows[1:])
    assert format_decision(decision).startswith("Ship big_int8 on nucleo-l4r5zi: ")
    # preferring latency, the energy figure decides nothing
    candidates = candidates_from(rows, qualities_from_results(rows))
    assert not format_decision(decide(candidates, Constraints(min_accuracy=0.9), "latency")).startswith("Decided")


def test_battery_life_carries_the_cycle_models_band_and_its_power_basis():
    from emu.decide.battery import DutyCycle
    from emu.decide.explain import battery_text

    row = with_basis(measured_row("int8", "rp2040-pico", 50.0))
    row.cycles_uncertainty_pct = 10.0
    duty = DutyCycle(period_s=1.0, battery_mah=220, battery_v=3.0, sleep_current_ua=10.0)
    (c,) = candidates_from([row], [], duty=duty)

    def days(latency_ms, energy_uj):  # by hand: 220 mAh x 3 V over the mean power of a 1 s period
        sleep_mw = 10.0 * 3.0 / 1000
        mean_mw = (energy_uj + sleep_mw * (1000 - latency_ms)) / 1000
        return 220 * 3.0 / mean_mw / 24

    assert c.battery_days == pytest.approx(days(1.0, 50.0))
    assert c.battery_days_band == pytest.approx((days(1.1, 55.0), days(0.9, 45.0)))
    text = battery_text(c)
    assert text.endswith("over the cycle model's band; assumed power figures)")
    assert text.startswith(f"{c.battery_days:.1f} days (") or text.startswith(f"{c.battery_days / 365.25:.1f} years")
