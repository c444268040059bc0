"""emu.variants pieces against oracles: hand-computed metrics, numpy on known weights,
Keras 3 outputs for rebuilt models, and the folder contract that `emu bench` reads."""

import json
import os

import numpy as np
import pytest

from emu.errors import EmuError
from emu.model.reader import parse_model
from emu.variants import metrics
from emu.variants.data import load_npz
from emu.variants.expand import expand_models
from emu.variants.pruning import with_zeros
from emu.variants.report import VariantRecord, read_variants_json, write_variants_json


def test_accuracy_and_confusion_matrix_by_hand():
    labels, predicted = np.array([0, 1, 2, 2, 1]), np.array([0, 2, 2, 2, 1])
    assert metrics.accuracy(labels, predicted) == pytest.approx(4 / 5)
    assert metrics.confusion_matrix(labels, predicted, 3) == [[1, 0, 0], [0, 1, 1], [0, 0, 2]]


def test_rmse_by_hand():
    assert metrics.rmse([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 2.0]) == pytest.approx(1.0)  # sqrt(4 / 4)


def test_roc_auc_by_hand_with_a_tie():
    # anomalies score 0.8 and 0.4; normals 0.1, 0.4, 0.5. Pairs (anomaly > normal): 0.8 beats
    # all three; 0.4 beats 0.1, ties 0.4 (half), loses to 0.5: (3 + 1.5) / 6
    labels, scores = [1, 1, 0, 0, 0], [0.8, 0.4, 0.1, 0.4, 0.5]
    assert metrics.roc_auc(labels, scores) == pytest.approx(4.5 / 6)
    assert metrics.roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == 1.0
    assert metrics.roc_auc([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4]) == 0.0


def test_reconstruction_error_is_per_sample_mean_square():
    x = np.array([[0.0, 0.0], [1.0, 1.0]])
    y = np.array([[1.0, 1.0], [1.0, 3.0]])
    np.testing.assert_allclose(metrics.reconstruction_error(x, y), [1.0, 2.0])


def test_with_zeros_tops_up_the_smallest_survivors():
    values = np.array([0.0, -0.5, 0.1, 2.0, -0.2])
    np.testing.assert_array_equal(with_zeros(values, 3), [0.0, -0.5, 0.0, 2.0, 0.0])
    np.testing.assert_array_equal(with_zeros(values, 1), values)


def test_weight_stats_match_numpy_on_known_weights():
    from emu.variants import convert
    from emu.variants.keras2 import keras
    from emu.variants.weights import weight_stats

    k = keras()
    model = k.Sequential([k.Input(shape=(4,)), k.layers.Dense(3)])
    kernel = np.array([[0, 1, 2], [0, 1, 5], [0, 3, 3], [0, 1, 0]], np.float32)  # (in, out)
    model.layers[0].set_weights([kernel, np.zeros(3, np.float32)])
    stats = weight_stats(parse_model(convert.float32(model)))
    assert stats.count == kernel.size
    assert stats.sparsity == pytest.approx(np.mean(kernel == 0))
    per_output_channel = [len(np.unique(kernel[:, j])) for j in range(3)]
    assert stats.unique_per_channel == max(per_output_channel)
    assert stats.layers[0].unique_values == len(np.unique(kernel))


def test_unconvertible_model_is_a_one_line_error():
    from emu.variants import convert
    from emu.variants.keras2 import keras, tensorflow

    k, tf = keras(), tensorflow()
    model = k.Sequential([k.Input((4, 4)), k.layers.Lambda(lambda x: tf.linalg.svd(x)[0])])
    with pytest.raises(EmuError, match="cannot convert to TFLite as float32: .tf.Svd. op") as e:
        convert.float32(model)
    assert "\n" not in str(e.value)


def test_importing_tfmot_leaves_tf_keras_alone():
    from emu.variants.keras2 import tensorflow, tfmot

    before = os.environ.get("TF_USE_LEGACY_KERAS")
    tfmot()
    assert os.environ.get("TF_USE_LEGACY_KERAS") == before
    assert tensorflow().keras.version().startswith("3.") or before == "1"


def test_npz_without_the_arrays_names_what_is_missing(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x_train=np.zeros((2, 3)), y_train=np.zeros(2))
    with pytest.raises(EmuError, match="lacks x_test, y_test"):
        load_npz(path)


def test_npz_with_unequal_lengths_is_rejected(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, x_train=np.zeros((2, 3)), y_train=np.zeros(3), x_test=np.zeros((1, 3)), y_test=np.zeros(1))
    with pytest.raises(EmuError, match="x_train has 2 samples but y_train has 3"):
        load_npz(path)


def test_not_an_npz_is_rejected(tmp_path):
    path = tmp_path / "d.npz"
    path.write_text("hello")
    with pytest.raises(EmuError, match="cannot read data"):
        load_npz(path)


def test_keras3_file_is_rebuilt_with_the_same_outputs(tmp_path):
    import keras as keras3

    from emu.variants.keras_files import load_keras_model

    keras3.utils.set_random_seed(1)
    original = keras3.Sequential([keras3.Input((6, 6, 1)), keras3.layers.Conv2D(3, 3, activation="relu"),
                                  keras3.layers.Flatten(), keras3.layers.Dense(4), keras3.layers.Softmax()])
    original.save(tmp_path / "m.keras")
    x = np.random.default_rng(0).uniform(0, 1, (5, 6, 6, 1)).astype(np.float32)
    rebuilt = load_keras_model(tmp_path / "m.keras")
    np.testing.assert_allclose(rebuilt(x).numpy(), np.asarray(original(x)), rtol=1e-5, atol=1e-6)


def test_keras3_model_with_branches_is_rebuilt_with_the_same_outputs(tmp_path):
    import keras as keras3
    import numpy as np

    from emu.variants.keras_files import load_keras_model

    inputs = keras3.Input((4,))
    a, b = keras3.layers.Dense(4)(inputs), keras3.layers.Dense(4)(inputs)
    original = keras3.Model(inputs, keras3.layers.Add()([a, b]))
    original.save(tmp_path / "branchy.keras")
    rebuilt = load_keras_model(tmp_path / "branchy.keras")
    x = np.random.default_rng(3).uniform(-1, 1, (5, 4)).astype(np.float32)
    assert type(rebuilt).__module__.startswith("tf_keras")  # what tfmot can wrap
    assert np.allclose(rebuilt(x).numpy(), np.asarray(original(x)), atol=1e-6)


def test_keras3_model_with_two_inputs_is_refused(tmp_path):
    import keras as keras3

    from emu.variants.keras_files import load_keras_model

    left, right = keras3.Input((4,)), keras3.Input((4,))
    keras3.Model([left, right], keras3.layers.Add()([left, right])).save(tmp_path / "two.keras")
    with pytest.raises(EmuError, match="emu takes models with one input"):
        load_keras_model(tmp_path / "two.keras")


def record(variant, runs=True):
    return VariantRecord(model="m", variant=variant, file=f"{variant}/m.tflite", kind="classifier",
                         metric="accuracy", value=0.5, reference="tflm", confusion_matrix=None, file_bytes=1,
                         weight_count=1, weight_sparsity=0.0, unique_weight_values=1, weight_dtypes=["int8"],
                         runs_on_device=runs, not_runnable_reason=None if runs else "not runnable on the device: x",
                         model_sha256="0")


def test_expand_models_reads_a_variants_folder_and_plain_files(tmp_path):
    folder = tmp_path / "v"
    for name in ("fp32", "fp16", "int8"):
        (folder / name).mkdir(parents=True)
        (folder / name / "m.tflite").write_bytes(b"x")
    write_variants_json(folder, {"model": "m"}, [record("fp32"), record("fp16", runs=False), record("int8")])
    plain = tmp_path / "other.tflite"
    plain.write_bytes(b"x")
    skipped = []
    pairs = expand_models([folder, plain], on_skip=skipped.append)
    assert pairs == [(folder / "fp32" / "m.tflite", "fp32"), (folder / "int8" / "m.tflite", "int8"),
                     (plain, "model")]
    assert len(skipped) == 1 and "fp16" in skipped[0] and "not runnable on the device" in skipped[0]
    assert [r.variant for r in read_variants_json(folder)] == ["fp32", "fp16", "int8"]


def test_expand_models_rejects_missing_paths_and_foreign_folders(tmp_path):
    with pytest.raises(EmuError, match="not found"):
        expand_models([tmp_path / "missing.tflite"])
    with pytest.raises(EmuError, match="without variants.json"):
        expand_models([tmp_path])
    (tmp_path / "variants.json").write_text(json.dumps({"nothing": 1}))
    with pytest.raises(EmuError, match="not a variants file"):
        expand_models([tmp_path])


def test_narrower_student_keeps_the_output_and_narrows_the_rest():
    from emu.variants.keras2 import keras
    from emu.variants.students import narrower_student

    k = keras()
    teacher = k.Sequential([k.Input((6, 6, 1)), k.layers.Conv2D(8, 3, activation="relu"),
                            k.layers.Reshape((4 * 4 * 8,)), k.layers.Dense(12, activation="relu"),
                            k.layers.Dense(5), k.layers.Softmax()])
    student = narrower_student(teacher)
    assert [layer.output_shape[1:] for layer in student.layers] == [(4, 4, 4), (64,), (6,), (5,), (5,)]
    assert student.count_params() < teacher.count_params()
    quarter = narrower_student(teacher, 0.25)  # 8 filters -> 2, 12 units -> 3
    assert [layer.output_shape[1:] for layer in quarter.layers] == [(4, 4, 2), (32,), (3,), (5,), (5,)]
