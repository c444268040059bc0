"""`emu validate`: test samples through the firmware in the emulator, many in one boot.

The oracle is TFLM's interpreter driven here, sample by sample: the device's outputs must be
its outputs bit for bit (emu's int8 kernels are bit-exact), and the device's accuracy the
accuracy of its predictions against the labels, computed here."""

from __future__ import annotations

import functools
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import needs_arm_gcc

pytestmark = needs_arm_gcc

M0PLUS, M4F = "nucleo-g0b1re", "nucleo-l4r5zi"


@functools.lru_cache(maxsize=None)
def digits_int8():
    """The built-in digits task's int8 variant, made as `emu validate --task digits` makes it."""
    from emu.orchestrate.validation import task_variant

    return task_variant("digits", "int8")


def tflm_outputs(model: bytes, x: np.ndarray) -> np.ndarray:
    """Each sample quantized with the input's scale and zero point as TFLM reports them, and
    TFLM's raw output, one row per sample."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model, arena_size=1 << 20)
    details = interpreter.get_input_details(0)
    scale = float(details["quantization_parameters"]["scales"][0])
    zero = int(details["quantization_parameters"]["zero_points"][0])
    rows = []
    for sample in x:
        q = np.clip(np.round(sample / scale) + zero, -128, 127).astype(np.int8)
        interpreter.set_input(q.reshape(details["shape"]), 0)
        interpreter.invoke()
        rows.append(np.array(interpreter.get_output(0)).reshape(-1))
    return np.stack(rows)


@pytest.mark.parametrize("board", [M0PLUS, M4F])
def test_a_builtin_tasks_int8_variant_gives_tflms_outputs_and_accuracy(board):
    from emu.platforms import get_platform
    from emu.variants.validate import first_samples, validate

    model_path, kind, x, y = digits_int8()
    x, y = first_samples(x, y, 48, "digits")
    result = validate(model_path, get_platform(board), kind, x, y)

    want = tflm_outputs(model_path.read_bytes(), x)
    assert result.outputs.dtype == np.int8 and result.outputs.shape == want.shape
    assert [bytes(row) for row in result.outputs] == [bytes(row) for row in want]  # sample by sample
    assert result.differing == 0 and result.agrees and result.boots == 1
    accuracy = float(np.mean(np.argmax(want, axis=1) == y))
    assert result.device.metric == "accuracy"
    assert result.device.value == result.host.value == accuracy
    assert sum(c.samples for c in result.per_class) == 48
    for c in result.per_class:
        mine = y == c.label
        assert c.device == pytest.approx(np.mean(np.argmax(want[mine], axis=1) == c.label))


def test_a_float_model_reports_its_largest_difference_from_tflm(tmp_path, dense_models):
    from tflite_micro.python.tflite_micro import runtime

    from emu.platforms import get_platform
    from emu.variants.validate import validate

    path = tmp_path / "sine_float.tflite"
    path.write_bytes(dense_models["float"])
    x = np.linspace(0, 6.28, 25, dtype=np.float32)[:, None]
    y = np.sin(x).astype(np.float64)
    result = validate(path, get_platform(M0PLUS), "regression", x, y)  # soft float: libgcc's arithmetic

    interpreter = runtime.Interpreter.from_bytes(dense_models["float"], arena_size=1 << 20)
    want = []
    for sample in x:
        interpreter.set_input(sample[None], 0)
        interpreter.invoke()
        want.append(np.array(interpreter.get_output(0)).reshape(-1))
    want = np.stack(want)
    assert result.outputs.dtype == np.float32
    assert result.max_difference == float(np.max(np.abs(result.outputs.astype(np.float64) - want)))
    assert result.differing == int(np.sum(np.any(result.outputs != want, axis=1)))
    assert np.allclose(result.outputs, want, rtol=1e-5, atol=1e-6) and result.agrees
    assert result.device.metric == "rmse"
    def rmse(outputs):
        return float(np.sqrt(np.mean((outputs.astype(np.float64) - y) ** 2)))

    assert result.device.value == pytest.approx(rmse(result.outputs), rel=1e-9)
    assert result.host.value == pytest.approx(rmse(want), rel=1e-9)


def small_flash_board(tmp_path, flash_bytes: int):
    """The M0+ board with less flash: its firmware holds only a few samples at a time."""
    import yaml

    from emu.resources import BOARDS

    board = yaml.safe_load((BOARDS / f"{M0PLUS}.yaml").read_text())
    board.update(name="small-flash", flash_bytes=flash_bytes)
    path = tmp_path / "small-flash.yaml"
    path.write_text(yaml.safe_dump(board))
    return path


def test_samples_that_do_not_fit_in_flash_run_in_batches(tmp_path):
    from emu.compile.samples import sample_bytes
    from emu.link.firmware import build_firmware
    from emu.model.reader import read_model
    from emu.platforms import get_platform
    from emu.results.measure import compile_for_device
    from emu.results.validation_run import LOOP_FLASH
    from emu.variants.validate import first_samples, validate

    model_path, kind, x, y = digits_int8()
    x, y = first_samples(x, y, 20, "digits")
    graph = read_model(model_path)
    compiled = compile_for_device(graph, "reference", get_platform(M0PLUS))
    flash = build_firmware(compiled, get_platform(M0PLUS)).sections.flash
    # room for 8 samples beside the model: 20 samples take three boots
    board = get_platform(str(small_flash_board(tmp_path, flash + LOOP_FLASH + 8 * sample_bytes(compiled.inputs))))
    result = validate(model_path, board, kind, x, y)
    assert result.boots == 3
    assert [bytes(row) for row in result.outputs] == [bytes(row) for row in tflm_outputs(model_path.read_bytes(), x)]


def emu_validate(*args, cwd):
    return subprocess.run([sys.executable, "-m", "emu", "validate", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


def assert_one_line_error(result, words: str):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("emu: error:") and words in lines[-1], result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def user_files(tmp_path, tiny_model):
    """tiny_model (5 inputs, 3 classes) with a data set for it."""
    rng = np.random.default_rng(0)
    data = {"x_train": rng.uniform(-1, 1, (8, 5)), "y_train": np.arange(8) % 3,
            "x_test": rng.uniform(-1, 1, (6, 5)), "y_test": np.arange(6) % 3}
    return tiny_model, data, tmp_path


def save(path, data, **changes):
    np.savez(path, **{**data, **changes})
    return path


def test_a_users_model_is_validated_through_the_command(user_files):
    model, data, tmp = user_files
    done = emu_validate(model, "-p", M4F, "--data", save(tmp / "d.npz", data), "--kind", "classifier", cwd=tmp)
    assert done.returncode == 0, done.stderr
    assert "6 samples in 1 boot" in done.stdout
    assert "agreement with tflm: 6 of 6 samples bit-identical" in done.stdout


@pytest.mark.parametrize("case, words", [
    ("shape", "x_train samples have shape (4) but tiny_int8.tflite takes (5)"),
    ("no labels", "lacks y_test"),
    ("too many", "7 samples asked for, but"),
    ("text", "must be numeric"),
    ("labels out of range", "y_test in"),
])
def test_bad_input_is_one_line_and_exit_2(user_files, case, words):
    model, data, tmp = user_files
    args = ["--kind", "classifier"]
    if case == "shape":
        path = save(tmp / "d.npz", data, x_train=np.zeros((8, 4)), x_test=np.zeros((6, 4)))
    elif case == "no labels":
        path = tmp / "d.npz"
        np.savez(path, **{k: v for k, v in data.items() if k != "y_test"})
    elif case == "too many":
        path, args = save(tmp / "d.npz", data), [*args, "--samples", "7"]
    elif case == "text":
        path = save(tmp / "d.npz", data, x_test=np.array([["a"] * 5] * 6))
    else:
        path = save(tmp / "d.npz", data, y_test=np.arange(6) + 5)
    assert_one_line_error(emu_validate(model, "-p", M4F, "--data", path, *args, cwd=tmp), words)


def test_a_model_the_device_cannot_run_is_refused_in_one_line(tmp_path):
    from tests import modelgen

    tf = modelgen.tf()
    # TOPK_V2: an operator the converter writes that emu does not lower (nor does TFLM register it)
    model = modelgen.keras_model([tf.keras.layers.Dense(4),
                                  tf.keras.layers.Lambda(lambda x: tf.math.top_k(x, k=2).values)], (3,))
    (tmp_path / "top_k.tflite").write_bytes(modelgen.to_float(model))
    x = np.random.default_rng(0).normal(size=(12, 3)).astype(np.float32)
    y = np.sort(x[:, :2], axis=1)[:, ::-1]  # any values of the output's shape
    np.savez(tmp_path / "d.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    done = emu_validate(tmp_path / "top_k.tflite", "-p", M4F, "--data", tmp_path / "d.npz", "--kind", "regression",
                        "-n", "5", cwd=tmp_path)
    assert_one_line_error(done, "cannot run on the device: unsupported operator TOPK_V2")


def test_a_stateful_model_is_reset_before_every_sample_on_the_device(tmp_path):
    """An LSTM keeps its state in variable tensors: the device resets them before every sample,
    so its answers are TFLM's with reset() before every sample, which differ from TFLM's
    without it (so the test can fail)."""
    from emu.platforms import get_platform
    from emu.variants.validate import validate
    from tests.test_stateful_scoring import lstm_model_and_data, tflm_accuracy

    model, (_, _, x_test, y_test) = lstm_model_and_data()
    path = tmp_path / "lstm.tflite"
    path.write_bytes(model)
    with_reset, without = (tflm_accuracy(model, x_test, y_test, reset=r) for r in (True, False))
    assert abs(with_reset - without) > 0.05
    result = validate(path, get_platform(M4F), "classifier", x_test, y_test)
    assert result.agrees and result.beyond_tolerance == 0 and result.boots == 1
    assert result.device.value == pytest.approx(with_reset, abs=1e-12)
    assert result.device.value == result.host.value


def test_a_scenarios_validate_step_runs_each_measured_task_variant_on_its_board(tmp_path):
    import json

    import yaml

    from emu.orchestrate import run_scenario

    model_path, kind, x, y = digits_int8()
    scenario = tmp_path / "validate.yaml"
    scenario.write_text(yaml.safe_dump({"models": [{"task": "digits", "variants": ["int8"]}], "boards": [M4F],
                                        "validate": {"samples": 30}}))
    outcome = run_scenario(scenario, out=tmp_path / "run")
    [record] = json.loads((tmp_path / "run" / "validation.json").read_text())["validations"]
    want = tflm_outputs(model_path.read_bytes(), x[:30])
    accuracy = float(np.mean(np.argmax(want, axis=1) == y[:30]))
    assert (record["variant"], record["platform"], record["samples"]) == ("int8", M4F, 30)
    assert record["device"] == record["host"] == accuracy
    assert record["differing_samples"] == 0
    note = f"validated digits/int8 on {M4F}: device accuracy {accuracy:.2%} (host {accuracy:.2%}), 30 of 30 samples"
    assert any(n.startswith(note) for n in outcome.notes)
    assert note in (tmp_path / "run" / "report.md").read_text()  # the report shows device beside host


def test_a_run_that_stops_says_where_and_after_which_sample(monkeypatch):
    import re

    from emu.errors import FirmwareError
    from emu.platforms import get_platform
    from emu.results import validation_run
    from emu.variants.validate import first_samples, validate

    model_path, kind, x, y = digits_int8()
    x, y = first_samples(x, y, 10, "digits")
    # A budget of a third of what ten inferences take: the emulator stops the run part way.
    monkeypatch.setattr(validation_run, "BUDGET_MARGIN", 1 / 3)
    with pytest.raises(FirmwareError) as stopped:
        validate(model_path, get_platform(M4F), kind, x, y)
    message = str(stopped.value)
    assert "did not finish within its instruction budget; stopped at pc 0x" in message
    where = re.search(r", in sample (\d+) \(samples 0 to (\d+) were reported\)$", message)
    assert where, message
    assert 2 <= int(where[1]) <= 4 and int(where[2]) == int(where[1]) - 1


def dequantized(model: bytes, raw: np.ndarray) -> np.ndarray:
    from tflite_micro.python.tflite_micro import runtime

    details = runtime.Interpreter.from_bytes(model, arena_size=1 << 20).get_output_details(0)
    scale = float(details["quantization_parameters"]["scales"][0])
    zero = int(details["quantization_parameters"]["zero_points"][0])
    return (raw.astype(np.float64) - zero) * scale


def roc_auc_by_pairs(labels: np.ndarray, scores: np.ndarray) -> float:
    """The share of (anomaly, normal) pairs the scores order right, ties counted half."""
    anomalies, normals = scores[labels == 1], scores[labels == 0]
    wins = (anomalies[:, None] > normals[None, :]).sum() + 0.5 * (anomalies[:, None] == normals[None, :]).sum()
    return float(wins / (len(anomalies) * len(normals)))


@pytest.mark.parametrize("task", ["sine", "vibration"])
def test_the_other_builtin_tasks_int8_variants_equal_tflm_sample_by_sample(task):
    """sine (RMSE) and vibration (ROC AUC of the reconstruction error): the device's outputs are
    TFLM's, and its error measure the one computed here from them."""
    from emu.orchestrate.validation import task_variant
    from emu.platforms import get_platform
    from emu.variants.validate import validate

    model_path, kind, x, y = task_variant(task, "int8")
    if task == "vibration":  # normal samples and anomalies both, 24 of each
        pick = np.concatenate([np.flatnonzero(y == 0)[:24], np.flatnonzero(y == 1)[:24]])
    else:
        pick = np.arange(48)
    x, y = x[pick], y[pick]
    result = validate(model_path, get_platform(M4F), kind, x, y)
    model = model_path.read_bytes()
    want = tflm_outputs(model, x)
    assert [bytes(row) for row in result.outputs] == [bytes(row) for row in want]  # sample by sample
    assert result.differing == 0 and result.boots == 1
    values = dequantized(model, want)
    if task == "sine":
        expected = float(np.sqrt(np.mean((values.ravel() - np.asarray(y, np.float64).ravel()) ** 2)))
    else:
        errors = np.mean((np.asarray(x, np.float64).reshape(len(x), -1) - values) ** 2, axis=1)
        expected = roc_auc_by_pairs(np.asarray(y), errors)
    assert result.device.metric == {"sine": "rmse", "vibration": "roc_auc"}[task]
    assert result.device.value == pytest.approx(expected, rel=1e-6)
    assert result.device.value == result.host.value
