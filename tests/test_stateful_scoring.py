"""A stateful model (an LSTM, whose converted form keeps its state in variable tensors) is
scored on the host with the interpreter reset before every sample, as on the device.

The oracle is TFLM's own interpreter driven here, sample by sample, with and without
`reset()`: emu's host accuracy must be the first, and the model is trained until the two
differ, so a scoring that keeps the state between samples fails."""

from __future__ import annotations

import functools

import numpy as np
import pytest

STEPS, FEATURES, CLASSES = 6, 2, 2


def sequences(rng, count):
    """Whether the sum of the first feature over the whole sequence is positive: the first
    step counts as much as the last, so the state carried in from another sample misleads."""
    x = rng.normal(0.0, 1.0, (count, STEPS, FEATURES)).astype(np.float32)
    return x, (x[:, :, 0].sum(axis=1) > 0).astype(np.int64)


@functools.lru_cache(maxsize=None)
def lstm_model_and_data():
    from emu.variants.keras2 import keras, seed_everything, tensorflow

    k, tf = keras(), tensorflow()
    seed_everything(0)
    rng = np.random.default_rng(0)
    (x_train, y_train), (x_test, y_test) = sequences(rng, 600), sequences(rng, 200)
    lstm, head = k.layers.LSTM(8), k.layers.Dense(CLASSES)
    trained = k.Sequential([k.Input((STEPS, FEATURES)), lstm, head])
    trained.compile(optimizer=k.optimizers.Adam(0.02), loss=k.losses.SparseCategoricalCrossentropy(from_logits=True))
    trained.fit(x_train, y_train, epochs=10, batch_size=32, verbose=0)
    # The same layers with a batch of one, as on a device: the converter makes it one
    # UNIDIRECTIONAL_SEQUENCE_LSTM whose state lives in variable tensors.
    device = k.Sequential([k.Input((STEPS, FEATURES), batch_size=1), lstm, head])
    model = tf.lite.TFLiteConverter.from_keras_model(device).convert()
    return model, (x_train, y_train, x_test, y_test)


def tflm_accuracy(model: bytes, x: np.ndarray, y: np.ndarray, reset: bool) -> float:
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model, arena_size=1 << 20)
    predicted = []
    for sample in x:
        if reset:
            interpreter.reset()
        interpreter.set_input(sample[None], 0)
        interpreter.invoke()
        predicted.append(int(np.argmax(interpreter.get_output(0))))
    return float(np.mean(np.array(predicted) == y))


def test_the_converted_lstm_keeps_state_in_variable_tensors():
    from emu.model.reader import parse_model

    model, _ = lstm_model_and_data()
    graph = parse_model(model)
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in [op.op for op in graph.operators]
    assert graph.stateful and len(graph.variable_tensors) == 2  # its output state and its cell state


def test_an_lstm_is_scored_with_its_state_reset_before_every_sample(tmp_path, capsys):
    from emu.variants.make import score_files
    from emu.variants.userfile import tflite_task

    model, (x_train, y_train, x_test, y_test) = lstm_model_and_data()
    with_reset = tflm_accuracy(model, x_test, y_test, reset=True)
    without = tflm_accuracy(model, x_test, y_test, reset=False)
    assert with_reset > 0.8, "the LSTM did not learn its task; the comparison below would prove little"
    assert abs(with_reset - without) > 0.05, "the state does not change the answers; the test could not fail"

    (tmp_path / "lstm.tflite").write_bytes(model)
    np.savez(tmp_path / "data.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    task, model_bytes = tflite_task(tmp_path / "lstm.tflite", tmp_path / "data.npz")
    (record,) = score_files(task, [(task.name, model_bytes)], tmp_path / "variants")
    assert record.metric == "accuracy"
    assert record.value == pytest.approx(with_reset, abs=1e-12)
    said = capsys.readouterr().err
    assert "a stateful model (2 variable tensors kept between inferences): the interpreter is reset before every " \
           "sample" in said


def test_a_stateless_model_says_nothing_of_state(tmp_path, capsys, dense_models):
    from emu.model.reader import parse_model
    from emu.variants.host import run_reference_interpreter

    assert not parse_model(dense_models["float"]).stateful
    run_reference_interpreter(dense_models["float"], np.zeros((3, 1), np.float32))
    assert "stateful" not in capsys.readouterr().err
