"""Training that converges, and says when it did not: a variant no better than a constant answer
is marked collapsed (and never recommended), QAT works on Conv1D models, every training setting
can be changed, and a fine-tune with patience stops when held-out loss stops improving.

The constant answers a collapsed variant is compared with are computed here from the data, and
the models' outputs by the TFLM interpreter, not by the code under test.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from emu.decide.candidates import candidates_from, unplaced_from
from emu.decide.constraints import Constraints
from emu.decide.explain import format_decision
from emu.decide.per_model import decide
from emu.decide.quality import load_qualities, qualities_from_results
from emu.errors import EmuError
from emu.model.oracle import tflm_outputs
from emu.platforms import get_platform
from emu.results.record import Result, write_json
from emu.variants.collapse import collapse_reason
from emu.variants.convert import float32
from emu.variants.data import Dataset
from emu.variants.keras2 import keras, seed_everything
from emu.variants.make import make_variants
from emu.variants.recipes import chosen_variants
from emu.variants.scoring import score
from emu.variants.task import Task, Training
from emu.variants.training import finetune
from tests.in_process import emu_in_process


def quiet(_message: str) -> None:
    pass


def dense_model(inputs: int, kernel: np.ndarray, bias: np.ndarray):
    """One Dense layer with the weights given: its outputs are known without running it."""
    k = keras()
    model = k.Sequential([k.Input((inputs,)), k.layers.Dense(len(bias))])
    model.layers[0].set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
    return model


# ---- what a collapsed variant is


def test_a_regression_with_a_constant_output_is_collapsed_and_a_fitted_one_is_not():
    rng = np.random.default_rng(0)
    x_train, x_test = rng.uniform(-1, 1, (200, 1)), rng.uniform(-1, 1, (100, 1))
    y_train, y_test = 3 * x_train[:, 0] + 11, 3 * x_test[:, 0] + 11
    constant = float32(dense_model(1, np.zeros((1, 1)), np.array([11.64])))
    assert tflm_outputs(constant, [x_test[:1].astype(np.float32)])[0].item() == np.float32(11.64)
    scored = score(constant, "regression", x_test, y_test, y_train=y_train)
    assert scored.collapsed is not None and "constant" in scored.collapsed

    fitted = score(float32(dense_model(1, np.array([[3.0]]), np.array([11.0]))), "regression", x_test, y_test,
                   y_train=y_train)
    assert fitted.value < 1e-5 and fitted.collapsed is None

    # Moving the wrong way: it varies, but it is worse than always answering the training mean.
    backwards = score(float32(dense_model(1, np.array([[-3.0]]), np.array([11.0]))), "regression", x_test,
                      y_test, y_train=y_train)
    mean_rmse = float(np.sqrt(np.mean((y_test - y_train.mean()) ** 2)))
    assert backwards.value > mean_rmse
    assert backwards.collapsed == (f"RMSE {backwards.value:.4g} is no better than always answering the training "
                                   f"mean ({mean_rmse:.4g})")


def test_a_classifier_that_answers_one_class_or_no_better_than_the_commonest_is_collapsed():
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (300, 2)).astype(np.float32)
    labels = np.where(rng.random(300) < 0.8, 0, 1)  # 80% class 0
    always_two = float32(dense_model(2, np.zeros((2, 3)), np.array([0.0, 0.0, 5.0])))
    scored = score(always_two, "classifier", x, labels, classes=3, y_train=labels)
    assert scored.collapsed == "answers class 2 for every test sample"

    # The first feature, which is noise: right about half the time, below the 80% of answering 0.
    guessing = float32(dense_model(2, np.array([[1.0, -1.0], [0.0, 0.0]]), np.zeros(2)))
    scored = score(guessing, "classifier", x, labels, classes=2, y_train=labels)
    share_of_zeros = float(np.mean(labels == 0))
    assert scored.value < share_of_zeros
    assert scored.collapsed == (f"accuracy {scored.value:.3f} is no better than always answering the most "
                                f"common class, 0 ({share_of_zeros:.3f})")

    # Told by the second feature it can read the labels from, it is not collapsed.
    x[:, 1] = labels * 2.0 - 1.0
    reading = float32(dense_model(2, np.array([[0.0, 0.0], [-1.0, 1.0]]), np.zeros(2)))
    assert score(reading, "classifier", x, labels, classes=2, y_train=labels).collapsed is None


def test_an_anomaly_detector_with_one_score_or_chance_ranking_is_collapsed():
    labels = np.array([0, 0, 1, 1])
    assert collapse_reason("anomaly", np.full(4, 0.3), 0.5, labels, labels) == \
        "gives every sample the same anomaly score"
    assert collapse_reason("anomaly", np.array([0.4, 0.3, 0.2, 0.1]), 0.0, labels, labels).startswith("ROC AUC 0.000")
    assert collapse_reason("anomaly", np.array([0.1, 0.2, 0.3, 0.4]), 1.0, labels, labels) is None


# ---- decisions never choose a collapsed variant


def result_row(variant: str, energy: float, accuracy: float, collapsed: str = "") -> Result:
    p = get_platform("nucleo-l4r5zi")
    return Result(model="gesture", model_sha256=variant * 8, variant=variant, platform=p.name, core=p.core,
                  fpu=p.fpu, clock_hz=p.clock_hz, kernels="optimized", instructions=1000, cycles=2000,
                  latency_ms=1.0, energy_uj=energy, flash_bytes=50_000, ram_bytes=20_000, arena_bytes=10_000,
                  stack_bytes=900, output_matches_reference=True, quality={"accuracy": accuracy},
                  collapsed=collapsed)


COLLAPSE = "answers class 1 for every test sample"


def test_a_collapsed_variant_is_listed_with_its_reason_and_never_chosen(tmp_path):
    rows = [result_row("int8", 10.0, 0.95), result_row("distilled-int8", 2.0, 0.38, COLLAPSE)]
    # from the results alone (bench carries the mark), and from a variants file
    variants = tmp_path / "variants.json"
    variants.write_text(json.dumps({"task": {"model": "gesture"}, "variants": [
        {"model": "gesture", "variant": "int8", "metric": "accuracy", "value": 0.95},
        {"model": "gesture", "variant": "distilled-int8", "metric": "accuracy", "value": 0.38,
         "collapsed": COLLAPSE}]}))
    unmarked = [result_row("int8", 10.0, 0.95), result_row("distilled-int8", 2.0, 0.38)]
    for results, qualities in ((rows, qualities_from_results(rows)), (unmarked, load_qualities([variants]))):
        candidates = candidates_from(results, qualities)
        assert [c.variant for c in candidates] == ["int8"]
        decision = decide(candidates, Constraints(), "energy", unplaced=unplaced_from(results, qualities))
        text = format_decision(decision)
        assert "Ship gesture/int8 on nucleo-l4r5zi" in text and "choose gesture/int8" in text, text
        assert f"rejected gesture/distilled-int8: collapsed: {COLLAPSE}" in text

    write_json(unmarked, tmp_path / "results.json")
    code, out, err = emu_in_process("recommend", tmp_path / "results.json", "--variants", variants)
    assert code == 0, err
    assert "choose gesture/int8" in out and f"distilled-int8: collapsed: {COLLAPSE}" in out


# ---- training settings


def test_variant_names_choose_other_sparsities_and_cluster_counts():
    assert chosen_variants(["clustered8-int8,int8", "pruned70-int8"]) == ["int8", "clustered8-int8", "pruned70-int8"]
    for bad in ("pruned100-int8", "pruned0-int8", "clustered1-int8", "clustered257-int8", "pruned50"):
        with pytest.raises(EmuError, match="unknown variant"):
            chosen_variants([bad])


def test_training_settings_are_checked_with_a_one_line_reason():
    base = Training(finetune_epochs=10, student_epochs=20)
    assert base.with_settings({"patience": 3, "temperature": None}).patience == 3
    for settings, complaint in (({"patience": -1}, "0 or more"), ({"epochs": 3}, "unknown training setting"),
                                ({"pruning_schedule": "cubic"}, "polynomial, constant"),
                                ({"pruning_epochs": 11}, "cannot exceed"), ({"student_width": 1.5}, "at most 1"),
                                ({"learning_rate": 0.0}, "above 0")):
        with pytest.raises(ValueError, match=complaint):
            base.with_settings(settings)


@pytest.mark.parametrize("args, complaint", [
    (["--task", "digits", "--student-width", "0.3"], "student_width applies to a model file"),
    (["--task", "digits", "--patience", "-1"], "training settings: patience and pruning_epochs must be 0 or more"),
    (["--task", "digits", "--pruning-schedule", "cubic"], "pruning_schedule must be one of polynomial, constant"),
])
def test_bad_training_options_stop_before_any_training(args, complaint, tmp_path):
    code, _, err = emu_in_process("variants", *args, "--out", tmp_path / "v")
    assert code == 2, err
    (line,) = err.strip().splitlines()
    assert line.startswith("emu: ") and complaint in line
    assert not (tmp_path / "v").exists()


def test_a_scenario_checks_its_training_settings(tmp_path):
    from emu.decide.scenario import load_scenario

    path = tmp_path / "s.yaml"
    path.write_text("models:\n  - task: sine\n    training: {finetune_epochs: 5, patience: 2}\nboards: [rp2040-pico]\n")
    assert dict(load_scenario(path).models[0].training) == {"finetune_epochs": 5, "patience": 2}
    path.write_text("models:\n  - task: sine\n    training: {epochs: 5}\nboards: [rp2040-pico]\n")
    with pytest.raises(EmuError, match="task sine: training settings: unknown training setting 'epochs'"):
        load_scenario(path)
    path.write_text("models:\n  - path: m.tflite\n    training: {patience: 2}\nboards: [rp2040-pico]\n")
    with pytest.raises(EmuError, match="'training' applies to a task"):
        load_scenario(path)


def regression_task(training: Training, seed: int = 0) -> Task:
    """y = sin(3x) from 600 samples, a small MLP teacher trained a little."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (600, 1)).astype(np.float32)
    y = np.sin(3 * x[:, 0]).astype(np.float32)
    k = keras()
    seed_everything(seed)
    teacher = k.Sequential([k.Input((1,)), k.layers.Dense(16, activation="relu"), k.layers.Dense(16, activation="relu"),
                            k.layers.Dense(1)])
    teacher.compile(k.optimizers.Adam(1e-2), "mse")
    teacher.fit(x[:500], y[:500], epochs=40, batch_size=32, verbose=0)
    return Task(name="wave", kind="regression", data=Dataset(x[:500], y[:500], x[500:], y[500:]), teacher=teacher,
                make_student=lambda: None, training=training, seed=seed)


def test_a_finetune_with_patience_stops_when_held_out_loss_stops_improving():
    cap = 300
    task = regression_task(Training(finetune_epochs=cap, student_epochs=1, patience=2))
    ran = finetune(task, keras().models.clone_model(task.teacher))
    assert 3 <= ran < cap  # at least patience + 1 epochs, and far fewer than the cap on a trained model
    fixed = regression_task(Training(finetune_epochs=4, student_epochs=1))
    assert finetune(fixed, keras().models.clone_model(fixed.teacher)) == 4


def test_a_regressions_qat_variant_trains_or_is_marked_collapsed(tmp_path):
    """The case of a QAT variant with one output for every input: whatever it gives, it is
    either better than the training mean (checked here with the TFLM interpreter) or marked."""
    task = regression_task(Training(finetune_epochs=20, student_epochs=1, patience=3))
    (made,) = make_variants(task, tmp_path / "v", ["qat-int8"], progress=quiet)
    if made.collapsed is None:
        model = (tmp_path / "v" / made.file).read_bytes()
        from emu.variants.host import run_reference_interpreter

        outputs = run_reference_interpreter(model, task.data.x_test).values.ravel()
        truth = task.data.y_test
        assert np.sqrt(np.mean((outputs - truth) ** 2)) < np.sqrt(np.mean((truth - task.data.y_train.mean()) ** 2))
        assert np.std(outputs) > 0.01 * np.std(truth)


def conv1d_file(folder, layer: str = "conv"):
    """A gesture-like Conv1D classifier (or an LSTM one) saved as a Keras file, with its data: three
    classes of noisy sine waves at different frequencies."""
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 3, 450)
    t = np.linspace(0, 1, 32)
    x = np.sin(2 * np.pi * (labels[:, None] + 1) * 2 * t)[:, :, None] + rng.normal(0, 0.2, (450, 32, 1))
    x = x.astype(np.float32)
    k = keras()
    seed_everything(0)
    body = ([k.layers.Conv1D(8, 5, activation="relu"), k.layers.BatchNormalization(), k.layers.MaxPooling1D(2),
             k.layers.Conv1D(8, 3, activation="relu"), k.layers.GlobalAveragePooling1D()] if layer == "conv"
            else [k.layers.LSTM(8)])
    model = k.Sequential([k.Input((32, 1)), *body, k.layers.Dense(3, activation="softmax")])
    model.compile(k.optimizers.Adam(1e-2), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:350], labels[:350], epochs=15, batch_size=32, verbose=0)
    model.save(folder / "gesture.keras")
    np.savez(folder / "data.npz", x_train=x[:350], y_train=labels[:350], x_test=x[350:], y_test=labels[350:])
    return folder / "gesture.keras", folder / "data.npz"


def test_qat_and_pruning_work_on_a_conv1d_model_and_run_on_the_device(tmp_path):
    from emu.variants.userfile import file_task

    model, data = conv1d_file(tmp_path)
    task = file_task(model, data, settings={"finetune_epochs": 6, "patience": 2, "pruning_epochs": 2})
    failures = []
    made = make_variants(task, tmp_path / "v", ["int8", "qat-int8", "pruned50-int8"], progress=quiet,
                         failures=failures)
    assert failures == []
    by_name = {r.variant: r for r in made}
    commonest = float(np.mean(task.data.y_test == np.bincount(task.data.y_train).argmax()))
    for name in ("qat-int8", "pruned50-int8"):
        record = by_name[name]
        assert record.runs_on_device and record.collapsed is None, record
        assert record.value > commonest + 0.2  # it learned the waves
    assert by_name["pruned50-int8"].weight_sparsity >= 0.5


def test_qat_on_an_lstm_is_left_out_with_the_layer_named(tmp_path):
    from emu.variants.userfile import file_task

    model, data = conv1d_file(tmp_path, layer="lstm")
    task = file_task(model, data, settings={"finetune_epochs": 1, "patience": 0, "pruning_epochs": 1})
    failures = []
    make_variants(task, tmp_path / "v", ["fp32", "qat-int8"], progress=quiet, failures=failures)
    assert [(f.variant, f.reason) for f in failures] == [
        ("qat-int8", "gesture qat-int8: tfmot cannot quantize LSTM layers (lstm); the other variants are made")]
