"""A model with two outputs (a classifier head and a regression head on a shared trunk):
`emu variants` scores each output by its own metric, checked here against the TFLM
interpreter run sample by sample, and `emu bench` measures the int8 variant on a board with
every output equal to TFLM's."""

from __future__ import annotations

import json

import numpy as np
import pytest

from emu.model.oracle import tflm_outputs
from emu.model.reader import parse_model
from tests.conftest import needs_arm_gcc
from tests.in_process import emu_in_process

SAMPLES, TRAIN = 300, 220


@pytest.fixture(scope="module")
def two_heads(tmp_path_factory):
    """The user's Keras 3 model, trained here, saved as .keras, with its labels per output."""
    import keras

    folder = tmp_path_factory.mktemp("heads")
    rng = np.random.default_rng(5)
    classes = rng.integers(0, 3, SAMPLES)
    x = (rng.normal(0, 0.3, (SAMPLES, 8)) + np.eye(3, 8)[classes]).astype(np.float32)
    level = (x[:, 3:].sum(axis=1, keepdims=True) * 2.0 + 1.0).astype(np.float32)
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8,))
    trunk = keras.layers.Dense(16, activation="relu")(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(3, name="kind")(trunk), keras.layers.Dense(1, name="level")(trunk)])
    model.compile(keras.optimizers.Adam(1e-2), [keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                                                keras.losses.MeanSquaredError()])
    model.fit(x[:TRAIN], [classes[:TRAIN], level[:TRAIN]], epochs=30, batch_size=32, verbose=0)
    model.save(folder / "heads.keras")
    np.savez(folder / "data.npz", x_train=x[:TRAIN], x_test=x[TRAIN:], y_train_0=classes[:TRAIN],
             y_test_0=classes[TRAIN:], y_train_1=level[:TRAIN], y_test_1=level[TRAIN:])
    return folder, model


def interpreter_metrics(model: bytes, x: np.ndarray, classes: np.ndarray, level: np.ndarray) -> dict:
    """Output 0's accuracy and output 1's RMSE from the TFLM interpreter, one sample at a time,
    with the model's own quantization of its input and outputs."""
    graph = parse_model(model)
    tensor = graph.tensors[graph.inputs[0]]
    outs = [graph.tensors[i] for i in graph.outputs]
    found = [[], []]
    for sample in x:
        value = sample[None]
        if tensor.dtype == "int8":
            scale, zero = tensor.quantization.scale[0], tensor.quantization.zero_point[0]
            value = np.clip(np.round(value / scale) + zero, -128, 127).astype(np.int8)
        for i, (got, t) in enumerate(zip(tflm_outputs(model, [value]), outs, strict=True)):
            got = got.astype(np.float64).reshape(-1)
            if t.dtype == "int8":
                got = (got - t.quantization.zero_point[0]) * t.quantization.scale[0]
            found[i].append(got)
    predicted = np.argmax(np.array(found[0]), axis=1)
    error = np.array(found[1]).reshape(-1) - level.reshape(-1)
    return {"out0 accuracy": float(np.mean(predicted == classes)), "out1 rmse": float(np.sqrt(np.mean(error ** 2)))}


@pytest.fixture(scope="module")
def made(two_heads, tmp_path_factory):
    folder, _ = two_heads
    out = tmp_path_factory.mktemp("made") / "v"
    code, stdout, err = emu_in_process("variants", folder / "heads.keras", "--data", folder / "data.npz",
                                       "-v", "fp32,int8,qat-int8,distilled-int8", "--epochs", "2",
                                       "--pruning-epochs", "1", "--jobs", "1",
                                       "--out", out, seconds=400)
    return out, code, stdout, err


def test_each_output_is_scored_by_its_own_metric(two_heads, made):
    folder, _ = two_heads
    out, code, stdout, err = made
    assert code == 0, err
    assert ("data.npz: heads.keras has 2 outputs, read as: output 0 from class numbers (3 distinct) as a "
            "classifier (scored by accuracy); output 1 from values of shape (1) as a regression (scored by rmse)") \
        in err
    assert "distilled-int8 is not made: distillation trains a student on one output" in err
    document = json.loads((out / "variants.json").read_text())
    assert document["task"]["kind"] == "classifier,regression"
    assert [o["metric"] for o in document["task"]["outputs"]] == ["accuracy", "rmse"]
    records = {r["variant"]: r for r in document["variants"]}
    assert list(records) == ["fp32", "int8", "qat-int8"]
    with np.load(folder / "data.npz") as data:
        x, classes, level = data["x_test"], data["y_test_0"], data["y_test_1"]
    for variant, record in records.items():
        model = (out / record["file"]).read_bytes()
        want = interpreter_metrics(model, x, classes, level)
        assert record["metrics"] == pytest.approx(want, rel=1e-6), variant
        assert (record["metric"], record["value"]) == ("accuracy", pytest.approx(want["out0 accuracy"]))
        assert len(record["confusion_matrices"]["out0"]) == 3
        assert np.trace(record["confusion_matrices"]["out0"]) == round(want["out0 accuracy"] * len(x))
        assert f"outputs: {variant}: out0 accuracy" in stdout
    assert records["int8"]["metrics"]["out0 accuracy"] > 0.8  # trained: far above chance (1/3)


def test_outputs_keep_the_keras_models_order(two_heads, made):
    """The float32 variant's outputs, in the file's order, are the Keras model's, in its order."""
    folder, keras_model = two_heads
    out, code, _, err = made
    assert code == 0, err
    model = (out / "fp32" / "heads.tflite").read_bytes()
    with np.load(folder / "data.npz") as data:
        x = data["x_test"][:5]
    want = keras_model.predict(x, verbose=0)
    for i, sample in enumerate(x):
        got = tflm_outputs(model, [sample[None]])
        for head in range(2):
            np.testing.assert_allclose(got[head].reshape(-1), want[head][i], rtol=1e-4, atol=1e-5)


@pytest.fixture(scope="module")
def scored_int8(two_heads, made, tmp_path_factory):
    """The int8 variant as a user's own .tflite file, scored as it is: (the file, its folder)."""
    folder, _ = two_heads
    made_folder, code, _, err = made
    assert code == 0, err
    work = tmp_path_factory.mktemp("own")
    given = work / "heads_int8.tflite"
    given.write_bytes((made_folder / "int8" / "heads.tflite").read_bytes())
    code, _, err = emu_in_process("variants", given, "--data", folder / "data.npz", "--kind",
                                  "classifier,regression", "--out", work / "v")
    assert code == 0, err
    return given, work / "v"


def test_a_two_output_tflite_file_is_scored_as_it_is(two_heads, scored_int8):
    folder, _ = two_heads
    given, out = scored_int8
    (record,) = json.loads((out / "variants.json").read_text())["variants"]
    assert (out / record["file"]).read_bytes() == given.read_bytes()
    with np.load(folder / "data.npz") as data:
        want = interpreter_metrics(given.read_bytes(), data["x_test"], data["y_test_0"], data["y_test_1"])
    assert record["metrics"] == pytest.approx(want, rel=1e-6)


BOTH = {"y_train_0": 0, "y_test_0": 0, "y_train_1": 1, "y_test_1": 1}


@pytest.mark.parametrize("arrays, kind, complaint", [
    ({"y_train_0": 0, "y_test_0": 0}, "auto", "heads.keras has 2 outputs but d.npz has labels for 1: give y_train_0"),
    ({"y_train_0": 0, "y_test_0": 0, "y_train_1": 1}, "auto",
     "lacks y_test_1: each output i needs y_train_i and y_test_i"),
    (BOTH, "classifier", "--kind classifier gives 1 kind but heads.keras has 2 outputs: give one per output"),
    (BOTH, "classifier,classifier", "y_train_1 in"),  # values, not class numbers 0..0
    (BOTH, "anomaly,regression", "output 0 of heads.keras: an anomaly autoencoder has one output"),
])
def test_labels_that_do_not_match_the_outputs_are_refused(two_heads, arrays, kind, complaint, tmp_path):
    folder, _ = two_heads
    with np.load(folder / "data.npz") as data:
        labels = {name: data[f"{name.rsplit('_', 1)[0]}_{source}"] for name, source in arrays.items()}
        np.savez(tmp_path / "d.npz", x_train=data["x_train"], x_test=data["x_test"], **labels)
    code, _, err = emu_in_process("variants", folder / "heads.keras", "--data", tmp_path / "d.npz",
                                  "--kind", kind, "-v", "fp32", "--out", tmp_path / "v")
    assert code == 2, err
    (line,) = err.strip().splitlines()
    assert complaint in line, err
    assert not (tmp_path / "v").exists()


@needs_arm_gcc
def test_the_int8_variant_runs_on_a_board_with_every_output_equal_to_tflm(scored_int8, tmp_path):
    _, out = scored_int8
    code, _, err = emu_in_process("bench", out, "-p", "nucleo-l4r5zi", "--json", tmp_path / "r.json",
                                  seconds=300)
    assert code == 0, err
    (row,) = json.loads((tmp_path / "r.json").read_text())
    assert row["output_matches_reference"] is True
    assert set(row["quality"]) >= {"accuracy", "out0 accuracy", "out1 rmse"}
    # a decision may be made on any output's metric: an error measure, lower is better
    rmse, limit = row["quality"]["out1 rmse"], round(row["quality"]["out1 rmse"] / 2, 3)
    code, stdout, err = emu_in_process("recommend", tmp_path / "r.json", "--metric", "out1 rmse",
                                       "--max-error", f"{limit:.3f}")
    assert code == 1 and f"out1 rmse {rmse:.3f} is over the {limit:.3f} allowed" in stdout, (stdout, err)


def test_a_variant_with_one_constant_output_is_collapsed_naming_that_output(two_heads, tmp_path):
    """The trained model with its regression head's weights zeroed: output 1 answers its bias
    for every sample, so the variant is collapsed though output 0 still classifies."""
    from emu.variants.convert import float32
    from emu.variants.keras_files import load_keras_model

    folder, _ = two_heads
    model = load_keras_model(folder / "heads.keras")
    head = model.get_layer("level")
    head.set_weights([np.zeros_like(w) for w in head.get_weights()])
    given = tmp_path / "dead.tflite"
    given.write_bytes(float32(model))
    code, stdout, err = emu_in_process("variants", given, "--data", folder / "data.npz", "--out", tmp_path / "v")
    assert code == 0, err
    (record,) = json.loads((tmp_path / "v" / "variants.json").read_text())["variants"]
    assert record["collapsed"].startswith("output 1: its output is (nearly) constant"), record["collapsed"]
    assert record["metrics"]["out0 accuracy"] > 0.8 and "collapsed: dead:" in stdout
