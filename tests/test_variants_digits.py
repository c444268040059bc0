"""The digits task with all its variants, built once: accuracy recomputed with the TFLM
interpreter and LiteRT, weights read back with LiteRT and counted with numpy, and the int8
variants run in the emulator on an M0+, an M4F and an M7 against the host predictions."""

import json

import numpy as np
import pytest

from emu.model.oracle import litert_outputs, tflm_outputs
from emu.model.reader import parse_model
from emu.platforms import get_platform
from emu.results.measure import measure
from emu.variants import VARIANT_NAMES, expand_models
from emu.variants.builtin import builtin_task
from emu.variants.host import device_inputs, run_reference_interpreter
from emu.variants.make import make_variants
from tests.conftest import needs_arm_gcc

BOARDS = ["rp2040-pico", "nucleo-l4r5zi", "disco-f746ng"]  # Cortex-M0+, M4F, M7
INT8_VARIANTS = [n for n in VARIANT_NAMES if n.endswith("int8") and n != "dynamic-int8"]
RUNNABLE = [n for n in VARIANT_NAMES if n != "dynamic-int8"]  # in the standard order; hybrid models do not run
DEVICE_SAMPLES = 2


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    task = builtin_task("digits", seed=0)
    out = tmp_path_factory.mktemp("variants") / "digits"
    make_variants(task, out, progress=lambda message: None)
    document = json.loads((out / "variants.json").read_text())
    return task, out, {row["variant"]: row for row in document["variants"]}


def oracle_accuracy(path, x, y, interpreter):
    """Top-1 accuracy straight from the TFLM interpreter or LiteRT, one sample at a time."""
    model = path.read_bytes()
    graph = parse_model(model)
    outputs = tflm_outputs if interpreter == "tflm" else litert_outputs
    correct = 0
    for inputs, label in zip(device_inputs(graph, x), y, strict=False):
        correct += int(np.argmax(outputs(model, [inputs])[0]) == label)
    return correct / len(y)


def litert_weights(path):
    """(op name, filter array) for every conv and fully connected layer, read by LiteRT."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    return [(op["op_name"], interpreter.get_tensor(op["inputs"][1])) for op in interpreter._get_ops_details()
            if op["op_name"] in ("CONV_2D", "FULLY_CONNECTED", "DEPTHWISE_CONV_2D")]


def test_every_variant_is_written_with_its_record(digits):
    _, out, rows = digits
    assert list(rows) == list(VARIANT_NAMES)
    for name, row in rows.items():
        path = out / row["file"]
        assert path.is_file() and path.stat().st_size == row["file_bytes"]
        assert path.stem == "digits" and row["model"] == "digits" and row["variant"] == name
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no staging left


@pytest.mark.parametrize("variant", ["fp32", "int8", "fp16", "dynamic-int8"])
def test_accuracy_matches_the_interpreter(digits, variant):
    task, out, rows = digits
    interpreter = "litert" if variant in ("fp16", "dynamic-int8") else "tflm"  # TFLM rejects those two
    assert rows[variant]["reference"] == interpreter
    accuracy = oracle_accuracy(out / rows[variant]["file"], task.data.x_test, task.data.y_test, interpreter)
    assert rows[variant]["value"] == pytest.approx(accuracy)


def test_confusion_matrix_agrees_with_accuracy(digits):
    task, _, rows = digits
    for row in rows.values():
        matrix = np.array(row["confusion_matrix"])
        assert matrix.shape == (10, 10) and matrix.sum() == len(task.data.y_test)
        assert np.trace(matrix) / matrix.sum() == pytest.approx(row["value"])
        np.testing.assert_array_equal(matrix.sum(axis=1), np.bincount(task.data.y_test, minlength=10))


def test_int8_accuracy_is_within_two_points_of_fp32(digits):
    _, _, rows = digits
    assert rows["int8"]["metric"] == "accuracy"
    assert abs(rows["int8"]["value"] - rows["fp32"]["value"]) <= 0.02


def test_pruned80_has_at_least_80_percent_zeros_in_every_pruned_layer(digits):
    _, out, rows = digits
    layers = litert_weights(out / rows["pruned80-int8"]["file"])
    assert len(layers) == 3
    for op, weights in layers:
        assert weights.dtype == np.int8
        assert np.mean(weights == 0) >= 0.8, op
    zeros = sum(int(np.sum(w == 0)) for _, w in layers)
    assert rows["pruned80-int8"]["weight_sparsity"] == pytest.approx(zeros / sum(w.size for _, w in layers))


def test_clustered16_has_at_most_16_values_per_output_channel(digits):
    _, out, rows = digits
    # the variant's file is LUT-compressed (TFLM_DECODE, which LiteRT cannot load); the model
    # before compression is kept beside it
    for op, weights in litert_weights(out / rows["clustered16-int8"]["uncompressed_file"]):
        assert max(len(np.unique(channel)) for channel in weights) <= 16, op
    assert rows["clustered16-int8"]["unique_weight_values"] <= 16


def test_clustered16_is_stored_as_4_bit_indices_with_the_uncompressed_outputs(digits):
    task, out, rows = digits
    row = rows["clustered16-int8"]
    compressed, plain = (out / row["file"]).read_bytes(), (out / row["uncompressed_file"]).read_bytes()
    assert "CUSTOM:TFLM_DECODE" in {op.op for op in parse_model(compressed).operators}
    assert row["weight_format"] == "lut4"
    assert row["weight_flash_bytes"] <= 0.55 * rows["int8"]["weight_flash_bytes"]
    graph = parse_model(plain)
    for inputs in device_inputs(graph, task.data.x_test[:20]):
        assert np.array_equal(tflm_outputs(compressed, [inputs])[0], tflm_outputs(plain, [inputs])[0])


def test_pruned80_filters_are_stored_sparse_in_at_most_0_4_of_int8s_flash(digits):
    _, _, rows = digits
    assert rows["pruned80-int8"]["weight_format"].startswith("sparse-bitmap")
    assert rows["pruned80-int8"]["weight_flash_bytes"] <= 0.4 * rows["int8"]["weight_flash_bytes"]
    assert rows["fp16"]["weight_flash_bytes"] <= 0.52 * rows["fp32"]["weight_flash_bytes"]


def test_distilled_student_is_smaller(digits):
    _, out, rows = digits
    count = {name: sum(w.size for _, w in litert_weights(out / rows[name]["file"]))
             for name in ("int8", "distilled-int8")}
    assert count["distilled-int8"] < count["int8"]


def test_hybrid_form_is_marked_not_runnable(digits):
    # TFLM rejects both fp16 and hybrid models. emu's compiler widens float16 weights at run
    # time, so fp16 runs on the device; hybrid (dynamic-range) models it rejects.
    _, _, rows = digits
    assert rows["dynamic-int8"]["runs_on_device"] is False
    assert rows["dynamic-int8"]["not_runnable_reason"].startswith("not runnable on the device: unsupported operator")
    assert "hybrid" in rows["dynamic-int8"]["not_runnable_reason"]
    assert rows["fp16"]["weight_dtypes"] == ["float16"]
    for name in RUNNABLE:
        assert rows[name]["runs_on_device"] is True and rows[name]["not_runnable_reason"] is None


def test_expand_models_gives_bench_every_runnable_variant(digits):
    _, out, rows = digits
    skipped = []
    pairs = expand_models([out], on_skip=skipped.append)
    assert [variant for _, variant in pairs] == RUNNABLE
    assert len(skipped) == 1 and "dynamic-int8" in skipped[0]


@needs_arm_gcc
@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("variant", INT8_VARIANTS)
def test_emulator_predictions_equal_host_predictions(digits, variant, board):
    task, out, rows = digits
    path = out / rows[variant]["file"]
    model = path.read_bytes()
    x = task.data.x_test[:DEVICE_SAMPLES]
    host = run_reference_interpreter(model, x)
    for i, inputs in enumerate(device_inputs(parse_model(model), x)):
        result, outputs = measure(path, get_platform(board), variant=variant, inputs=[inputs], check=False)
        np.testing.assert_array_equal(outputs[0].reshape(-1), tflm_outputs(model, [inputs])[0].reshape(-1))
        np.testing.assert_array_equal(outputs[0].reshape(-1), host.raw[i])
        assert int(np.argmax(outputs[0])) == int(np.argmax(host.values[i]))
        assert (result.model, result.variant) == ("digits", variant)  # the join key with variants.json
