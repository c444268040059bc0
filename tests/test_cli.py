"""The command line: exit codes and one-line errors (README.md contracts)."""

import json
import subprocess
import sys

import pytest


def emu(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "emu", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def assert_one_line_error(result, code=2):
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("emu: error:"), result.stderr
    assert "Traceback" not in result.stderr


def test_platforms_json_lists_boards():
    result = emu("platforms", "--json")
    assert result.returncode == 0
    names = {p["name"] for p in json.loads(result.stdout)}
    assert "nucleo-l4r5zi" in names


@pytest.mark.parametrize("args", [
    ["build", "missing.tflite", "--platform", "nucleo-l4r5zi", "--out", "x"],
    ["build", "missing.tflite", "--platform", "no-such-board", "--out", "x"],
    ["bench", "missing.tflite", "--platform", "nucleo-l4r5zi"],
    ["no-such-command"],
    ["build"],
])
def test_bad_input_is_exit_2_with_one_line(args, tmp_path):
    assert_one_line_error(emu(*args, cwd=tmp_path))


def test_corrupt_model_is_exit_2(tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"\x18\x00\x00\x00TFL3" + b"\xff" * 40)
    assert_one_line_error(emu("build", str(bad), "--platform", "nucleo-l4r5zi", "--out", str(tmp_path / "o")))
    assert not (tmp_path / "o").exists()


def test_help_shows_an_example():
    result = emu("build", "--help")
    assert result.returncode == 0 and "Example: emu build" in result.stdout


def variant_entry(variant, file, sha, runs=True, value=0.9):
    return {"model": "hw", "variant": variant, "file": file, "kind": "regression", "metric": "rmse",
            "value": value, "reference": "tflm", "confusion_matrix": None, "file_bytes": 1, "weight_count": 1,
            "weight_sparsity": 0.0, "unique_weight_values": 1, "weight_dtypes": ["int8"],
            "runs_on_device": runs, "not_runnable_reason": None if runs else "not runnable on the device: test",
            "model_sha256": sha}


def test_bench_with_nothing_to_measure_is_exit_2(tmp_path):
    folder = tmp_path / "variants"
    folder.mkdir()
    (folder / "variants.json").write_text(json.dumps(
        {"task": {}, "variants": [variant_entry("fp16", "fp16/hw.tflite", "0" * 64, runs=False)]}))
    result = emu("bench", str(folder), "-p", "nucleo-l4r5zi")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "skipping hw (fp16): not runnable on the device: test",
        "emu: error: nothing to measure: no model in the paths given runs on the device"]


def test_bench_results_carry_the_variants_quality_into_recommend(tmp_path):
    import hashlib
    import shutil

    from tests.conftest import shared_model

    model = shared_model("hello_world_int8.tflite")
    folder = tmp_path / "variants"
    (folder / "int8").mkdir(parents=True)
    shutil.copy(model, folder / "int8" / "hw.tflite")
    sha = hashlib.sha256(model.read_bytes()).hexdigest()
    (folder / "variants.json").write_text(json.dumps(
        {"task": {}, "variants": [variant_entry("int8", "int8/hw.tflite", sha, value=0.123)]}))
    bench = emu("bench", str(folder), "-p", "nucleo-l4r5zi", "--json", str(tmp_path / "r.json"))
    assert bench.returncode == 0, bench.stderr
    [row] = json.loads((tmp_path / "r.json").read_text())
    assert row["quality"] == {"rmse": 0.123}
    # No --variants: the metric (RMSE, better lower) comes with the results and takes --max-error.
    fits = emu("recommend", str(tmp_path / "r.json"), "--max-error", "0.2")
    assert fits.returncode == 0, fits.stderr
    assert "RMSE 0.123" in fits.stdout and fits.stdout.startswith("Ship ")
    misses = emu("recommend", str(tmp_path / "r.json"), "--max-error", "0.1")
    assert misses.returncode == 1 and "RMSE 0.123 is over the 0.100 allowed" in misses.stdout
    assert_one_line_error(emu("recommend", str(tmp_path / "r.json"), "--min-accuracy", "90%"))
