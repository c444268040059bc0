"""The regression and anomaly tasks against independent metric code, determinism, user
model files, and what a failure leaves behind (nothing)."""

import json

import numpy as np
import pytest

from emu.errors import EmuError
from emu.model.oracle import tflm_outputs
from emu.model.reader import parse_model
from emu.variants.builtin import builtin_task
from emu.variants.host import device_inputs
from emu.variants.make import make_variants
from emu.variants.recipes import RECIPES
from emu.variants.userfile import file_task

# One fixed epoch of each fine-tune: these tests check what is made, not how well it trains.
FAST = {"finetune_epochs": 1, "student_epochs": 2, "patience": 0, "pruning_epochs": 1}


def quiet(message):
    pass


def records(folder):
    return {row["variant"]: row for row in json.loads((folder / "variants.json").read_text())["variants"]}


def tflm_values(path, x):
    """Float outputs from the TFLM interpreter, dequantized with the output tensor's own
    scale and zero point as LiteRT reports them."""
    from ai_edge_litert.interpreter import Interpreter

    model = path.read_bytes()
    detail = Interpreter(model_path=str(path)).get_output_details()[0]
    scale, zero = detail["quantization"]
    raw = np.stack([tflm_outputs(model, [inputs])[0].reshape(-1) for inputs in device_inputs(parse_model(model), x)])
    return (raw.astype(np.float64) - zero) * scale if scale else raw.astype(np.float64)


@pytest.fixture(scope="module")
def sine(tmp_path_factory):
    task = builtin_task("sine", seed=0)
    out = tmp_path_factory.mktemp("v") / "sine"
    make_variants(task, out, ["fp32", "int8"], progress=quiet)
    return task, out


@pytest.mark.parametrize("variant", ["fp32", "int8"])
def test_sine_rmse_matches_numpy_on_interpreter_outputs(sine, variant):
    task, out = sine
    row = records(out)[variant]
    predicted = tflm_values(out / row["file"], task.data.x_test)
    want = np.sqrt(np.mean((predicted.ravel() - task.data.y_test.ravel()) ** 2))
    assert row["metric"] == "rmse" and row["value"] == pytest.approx(want, rel=1e-6)
    assert row["value"] < 0.3  # the model learned the sine: predicting 0 gives about 0.72


def test_same_seed_gives_the_same_model_bytes(sine):
    task, out = sine
    again = builtin_task("sine", seed=0)
    assert RECIPES["fp32"](again) == (out / "fp32" / "sine.tflite").read_bytes()
    assert RECIPES["int8"](again) == (out / "int8" / "sine.tflite").read_bytes()


@pytest.mark.parametrize("variant", ["fp32", "int8"])
def test_vibration_roc_auc_matches_scikit_learn(tmp_path, variant):
    from sklearn.metrics import roc_auc_score

    task = builtin_task("vibration", seed=0)
    make_variants(task, tmp_path / "vib", [variant], progress=quiet)
    row = records(tmp_path / "vib")[variant]
    x = task.data.x_test
    reconstruction = tflm_values(tmp_path / "vib" / row["file"], x)
    error = np.mean((reconstruction - x.reshape(len(x), -1)) ** 2, axis=1)
    assert row["metric"] == "roc_auc"
    assert row["value"] == pytest.approx(roc_auc_score(task.data.y_test, error))
    assert row["value"] > 0.8  # the faults are visible to the autoencoder


def test_failure_leaves_nothing_and_keeps_an_earlier_folder(sine, tmp_path, monkeypatch):
    task, _ = sine

    def broken(task):
        raise EmuError("broken on purpose")

    monkeypatch.setitem(RECIPES, "int8", broken)
    with pytest.raises(EmuError, match="broken on purpose"):
        make_variants(task, tmp_path / "new" / "sine", ["fp32", "int8"], progress=quiet)
    assert list(tmp_path.iterdir()) == []

    make_variants(task, tmp_path / "old", ["fp32"], progress=quiet)
    before = (tmp_path / "old" / "variants.json").read_text()
    with pytest.raises(EmuError):
        make_variants(task, tmp_path / "old", ["fp32", "int8"], progress=quiet)
    assert (tmp_path / "old" / "variants.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]


def test_a_failed_variant_is_reported_and_the_others_kept(sine, tmp_path, monkeypatch):
    from emu.variants.recipes import chosen_variants

    task, _ = sine

    def refused(task):  # as tfmot refuses a layer it cannot wrap
        raise ValueError("Layer batch_normalization is not supported\n(long tfmot explanation)")

    monkeypatch.setitem(RECIPES, "qat-int8", refused)
    failures = []
    made = make_variants(task, tmp_path / "sine", ["fp32", "qat-int8", "int8"], progress=quiet, failures=failures)
    assert [r.variant for r in made] == ["fp32", "int8"]
    assert [(f.variant, f.reason) for f in failures] == [("qat-int8", "Layer batch_normalization is not supported")]
    document = json.loads((tmp_path / "sine" / "variants.json").read_text())
    assert document["failed"] == [{"variant": "qat-int8", "reason": "Layer batch_normalization is not supported"}]
    assert sorted(p.name for p in (tmp_path / "sine").iterdir()) == ["fp32", "int8", "variants.json"]
    # names as a list, with exclusions
    assert chosen_variants(["int8,fp32", "qat-int8"], ["qat-int8"]) == ["fp32", "int8"]
    with pytest.raises(EmuError, match="unknown variant 'int9'"):
        chosen_variants(None, ["int9"])


def test_a_folder_of_other_files_is_not_replaced(sine, tmp_path):
    (tmp_path / "mine.txt").write_text("keep")
    with pytest.raises(EmuError, match="not empty"):
        make_variants(sine[0], tmp_path, ["fp32"], progress=quiet)
    assert (tmp_path / "mine.txt").read_text() == "keep"


@pytest.fixture(scope="module")
def user_files(tmp_path_factory):
    """A small Keras 3 classifier saved as .keras, and its data."""
    import keras as keras3

    folder = tmp_path_factory.mktemp("user")
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (300, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > x[:, 2] + x[:, 3]).astype(np.int64) + (x[:, 4] > 0.8)
    keras3.utils.set_random_seed(0)
    model = keras3.Sequential([keras3.Input((6,)), keras3.layers.Dense(16, activation="relu"),
                               keras3.layers.Dense(3, activation="softmax")], name="tiny")
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x[:240], y[:240], epochs=20, verbose=0)
    model.save(folder / "tiny.keras")
    np.savez(folder / "data.npz", x_train=x[:240], y_train=y[:240], x_test=x[240:], y_test=y[240:])
    return folder


def test_user_model_file_gives_variants_named_after_it(user_files, tmp_path):
    task = file_task(user_files / "tiny.keras", user_files / "data.npz",
                     settings=FAST)
    assert (task.name, task.kind) == ("tiny", "classifier")
    make_variants(task, tmp_path / "tiny", ["fp32", "int8", "distilled-int8"], progress=quiet)
    rows = records(tmp_path / "tiny")
    assert [r["file"] for r in rows.values()] == ["fp32/tiny.tflite", "int8/tiny.tflite",
                                                   "distilled-int8/tiny.tflite"]
    assert rows["distilled-int8"]["weight_count"] < rows["int8"]["weight_count"]  # half-width student


def test_user_data_that_does_not_fit_the_model_is_refused(user_files, tmp_path):
    x = np.zeros((10, 5), np.float32)
    np.savez(tmp_path / "narrow.npz", x_train=x, y_train=np.zeros(10), x_test=x, y_test=np.zeros(10))
    with pytest.raises(EmuError, match=r"x_train samples have shape \(5\) but tiny.keras takes \(6\)"):
        file_task(user_files / "tiny.keras", tmp_path / "narrow.npz")
    x = np.zeros((10, 6), np.float32)
    np.savez(tmp_path / "labels.npz", x_train=x, y_train=np.full(10, 7), x_test=x, y_test=np.zeros(10))
    with pytest.raises(EmuError, match="class numbers 0..2"):
        file_task(user_files / "tiny.keras", tmp_path / "labels.npz", kind="classifier")


def test_one_hot_labels_make_a_classifier_and_the_inference_is_said(user_files, tmp_path, capsys):
    with np.load(user_files / "data.npz") as d:
        arrays = {k: d[k] for k in d.files}
    eye = np.eye(3, dtype=np.float32)  # Keras's categorical labels for the same classes
    np.savez(tmp_path / "onehot.npz", x_train=arrays["x_train"], y_train=eye[arrays["y_train"]],
             x_test=arrays["x_test"], y_test=eye[arrays["y_test"]])
    task = file_task(user_files / "tiny.keras", tmp_path / "onehot.npz")
    assert task.kind == "classifier"
    assert np.array_equal(task.data.y_test, arrays["y_test"])  # back to class numbers
    notice = capsys.readouterr().err.strip().splitlines()
    assert notice == ["onehot.npz: labels are one-hot rows, so tiny.keras is taken as a classifier "
                      "(scored by accuracy); give --kind to override"]


def test_a_functional_model_with_a_skip_connection_and_a_concatenation(tmp_path):
    """Keras 3 functional model with ADD and CONCATENATE branches: rebuilt for tfmot, its QAT and
    pruned variants made, and the int8 one on the device equal to the TFLM interpreter."""
    import keras as keras3

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    x = rng.uniform(0, 1, (400, 8, 8, 1)).astype(np.float32)
    x[y == 1, :, :4] += 0.5  # class 1 is brighter on the left
    keras3.utils.set_random_seed(0)
    inputs = keras3.Input((8, 8, 1))
    a = keras3.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    b = keras3.layers.Conv2D(8, 3, padding="same")(a)
    joined = keras3.layers.Concatenate()([keras3.layers.ReLU()(keras3.layers.Add()([a, b])), a])
    pooled = keras3.layers.GlobalAveragePooling2D()(joined)
    model = keras3.Model(inputs, keras3.layers.Dense(2, activation="softmax")(pooled), name="resnetish")
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x[:320], y[:320], epochs=15, verbose=0)
    model.save(tmp_path / "resnetish.keras")
    np.savez(tmp_path / "data.npz", x_train=x[:320], y_train=y[:320], x_test=x[320:], y_test=y[320:])

    task = file_task(tmp_path / "resnetish.keras", tmp_path / "data.npz",
                     settings=FAST)
    failures = []
    made = make_variants(task, tmp_path / "v", ["int8", "qat-int8", "pruned50-int8"], progress=quiet,
                         failures=failures)
    assert failures == [] and [r.variant for r in made] == ["int8", "qat-int8", "pruned50-int8"]
    assert all(r.value > 0.8 and r.runs_on_device for r in made), [(r.variant, r.value) for r in made]
    assert made[2].weight_sparsity >= 0.45

    from emu.platforms import get_platform
    from emu.results.measure import measure

    result, _ = measure(tmp_path / "v" / "int8" / "resnetish.tflite", get_platform("nucleo-l4r5zi"))
    assert result.output_matches_reference is True and result.reference == "tflm"


def test_a_tflite_file_the_user_converted_is_scored_with_their_data(sine, tmp_path):
    """The int8 sine model, given as a plain .tflite file: its RMSE from `emu variants` equals
    numpy's on the TFLM interpreter's outputs."""
    import subprocess
    import sys

    task, out = sine
    converted = tmp_path / "mysine.tflite"
    converted.write_bytes((out / "int8" / "sine.tflite").read_bytes())
    np.savez(tmp_path / "data.npz", x_train=task.data.x_train, y_train=task.data.y_train,
             x_test=task.data.x_test, y_test=task.data.y_test)
    run = subprocess.run([sys.executable, "-m", "emu", "variants", str(converted), "--data", str(tmp_path / "data.npz"),
                          "--out", str(tmp_path / "scored")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    row = records(tmp_path / "scored")["mysine"]
    want = np.sqrt(np.mean((tflm_values(converted, task.data.x_test).ravel() - task.data.y_test.ravel()) ** 2))
    assert row["metric"] == "rmse" and row["value"] == pytest.approx(want, rel=1e-6)
    assert "taken as a regression (scored by rmse)" in run.stderr
