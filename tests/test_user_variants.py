"""A user's own .tflite files as the variants of one model: `emu variants --model NAME a.tflite
b.tflite --data DATA.npz` scores each with the user's data (checked here against the TFLM
interpreter run sample by sample), and bench and recommend then treat them as one model's
variants."""

from __future__ import annotations

import json

import numpy as np
import pytest

from emu.model.oracle import tflm_outputs
from emu.variants.convert import float32, full_int8
from emu.variants.keras2 import keras, seed_everything
from tests.conftest import needs_arm_gcc
from tests.in_process import emu_in_process


def trained_classifier(seed: int):
    """A small classifier of the user's (a tf_keras model, trained), its inputs and labels: three
    classes, each a bump on one of 8 features."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, 240)
    x = (rng.normal(0, 0.3, (240, 8)) + np.eye(3, 8)[labels]).astype(np.float32)
    k = keras()
    seed_everything(0)
    model = k.Sequential([k.Input((8,)), k.layers.Dense(12, activation="relu"), k.layers.Dense(3)])
    model.compile(k.optimizers.Adam(1e-2), k.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x[:180], labels[:180], epochs=30, verbose=0)
    return model, x, labels


@pytest.fixture(scope="module")
def kws_files(tmp_path_factory):
    """The user's classifier, converted by them to float32 and int8, and its data."""
    folder = tmp_path_factory.mktemp("user")
    model, x, labels = trained_classifier(3)
    (folder / "kws_fp32.tflite").write_bytes(float32(model))
    (folder / "kws_int8.tflite").write_bytes(full_int8(model, x[:100]))
    np.savez(folder / "data.npz", x_train=x[:180], y_train=labels[:180], x_test=x[180:], y_test=labels[180:])
    return folder


def interpreter_accuracy(model: bytes, x: np.ndarray, y: np.ndarray) -> float:
    """The TFLM interpreter, one sample at a time, with the model's own input quantization."""
    from emu.model.reader import parse_model

    graph = parse_model(model)
    tensor = graph.tensors[graph.inputs[0]]
    right = 0
    for sample, label in zip(x, y, strict=True):
        value = sample[None]
        if tensor.dtype == "int8":
            scale, zero = tensor.quantization.scale[0], tensor.quantization.zero_point[0]
            value = np.clip(np.round(value / scale) + zero, -128, 127).astype(np.int8)
        right += int(np.argmax(tflm_outputs(model, [value])[0]) == label)
    return right / len(y)


def test_tflite_files_are_scored_as_the_variants_of_one_model(kws_files, tmp_path):
    out = tmp_path / "v"
    code, stdout, err = emu_in_process("variants", "--model", "kws", kws_files / "kws_int8.tflite",
                                       kws_files / "kws_fp32.tflite", "--data", kws_files / "data.npz",
                                       "--out", out)
    assert code == 0, err
    document = json.loads((out / "variants.json").read_text())
    assert document["task"]["model"] == "kws"
    records = {r["variant"]: r for r in document["variants"]}
    assert list(records) == ["int8", "fp32"] and {r["model"] for r in records.values()} == {"kws"}
    with np.load(kws_files / "data.npz") as data:
        x, y = data["x_test"], data["y_test"]
    for variant in ("int8", "fp32"):
        given = (kws_files / f"kws_{variant}.tflite").read_bytes()
        assert (out / records[variant]["file"]).read_bytes() == given  # scored as it is
        assert records[variant]["value"] == pytest.approx(interpreter_accuracy(given, x, y), abs=1e-12)
    assert "int8" in stdout and "fp32" in stdout


@needs_arm_gcc
def test_bench_and_recommend_take_them_as_one_models_variants(kws_files, tmp_path):
    out = tmp_path / "v"
    code, _, err = emu_in_process("variants", "--model", "kws", kws_files / "kws_int8.tflite",
                                  kws_files / "kws_fp32.tflite", "--data", kws_files / "data.npz", "--out", out)
    assert code == 0, err
    code, _, err = emu_in_process("bench", out, "-p", "nucleo-l4r5zi", "--json", tmp_path / "r.json", seconds=300)
    assert code == 0, err
    rows = json.loads((tmp_path / "r.json").read_text())
    assert sorted((r["model"], r["variant"]) for r in rows) == [("kws", "fp32"), ("kws", "int8")]
    assert all(r["quality"]["accuracy"] > 0.5 for r in rows)
    code, stdout, err = emu_in_process("recommend", tmp_path / "r.json", "--variants", out / "variants.json")
    assert code == 0, err
    assert "choose kws/" in stdout and "rejected kws/" in stdout  # the two compared, as one model's variants


@pytest.mark.parametrize("args, complaint", [
    (["a.tflite", "m.keras"], "m.keras is not a .tflite file: give either one Keras model or .tflite files"),
    (["m.keras", "n.keras"], "give one Keras model to make variants of (got 2 files)"),
    (["--model", "kws", "m.keras"], "--model names the model that .tflite files are variants of"),
])
def test_files_that_do_not_make_one_model_are_refused(args, complaint, tmp_path):
    code, _, err = emu_in_process("variants", *args, "--data", tmp_path / "d.npz", "--out", tmp_path / "v")
    assert code == 2, err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"emu: error: {complaint}"), err


def test_two_files_that_would_be_one_variant_are_refused(kws_files, tmp_path):
    copy = tmp_path / "int8.tflite"
    copy.write_bytes((kws_files / "kws_int8.tflite").read_bytes())
    code, _, err = emu_in_process("variants", "--model", "kws", kws_files / "kws_int8.tflite", copy,
                                  "--data", kws_files / "data.npz", "--out", tmp_path / "v")
    assert code == 2 and err.strip() == ("emu: error: two files would be variant 'int8' of kws: give files with "
                                         "different names"), err
    assert not (tmp_path / "v").exists()
