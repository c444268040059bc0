"""The model zoo's harness (benchmarks/model_zoo.py) against the TFLM interpreter: a model
emu runs, the zoo's LSTM (a loop over subgraphs) that emu runs, and a model with an operator
emu refuses."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import model_zoo
from emu.compile.hostrun import compile_and_run_on_host
from emu.errors import EmuError
from emu.model.oracle import tflm_outputs

pytestmark = pytest.mark.tensorflow  # the zoo's models are Keras models converted by TensorFlow


@pytest.fixture(scope="module")
def converter():
    convert = model_zoo.Converter()
    yield convert
    convert.close()


def test_a_model_emu_runs_is_equal_to_tflm(converter):
    model, floats = converter("conv1d_gesture", "int8")
    inputs = model_zoo.quantized_inputs(model, floats)
    # the oracle, outside the harness: TFLM's interpreter and emu's host build agree
    expected = tflm_outputs(model, inputs)
    ours = compile_and_run_on_host(model, inputs)
    assert all(np.array_equal(a, b) for a, b in zip(ours, expected, strict=True))
    assert inputs[0].dtype == np.int8 and np.unique(inputs[0]).size > 50  # quantized, not clipped to a few values

    outcome = model_zoo.check("conv1d_gesture", "int8", model, floats)
    assert (outcome.tflm_runs, outcome.emu, outcome.blocking) == (True, model_zoo.EQUAL, [])
    # the comparison is exact for integers: one step off in one value is a difference
    off = [expected[0].copy()]
    off[0].flat[0] = off[0].flat[0] + (1 if off[0].flat[0] < 127 else -1)
    assert model_zoo.outputs_equal("int8", ours, off)[0] is False
    assert model_zoo.outputs_equal("float32", [np.float32([1.0])], [np.float32([1.0 + 1e-4])])[0] is False


def test_a_keras_lstm_loop_runs_equal_to_tflm(converter):
    # Keras 3's LSTM, not unrolled, converts to a WHILE loop over a condition and a body subgraph
    model, floats = converter("lstm", "float32")
    inputs = model_zoo.quantized_inputs(model, floats)
    expected = tflm_outputs(model, inputs)
    ours = compile_and_run_on_host(model, inputs)
    assert model_zoo.outputs_equal("float32", ours, expected) == (True, "")

    outcome = model_zoo.check("lstm", "float32", model, floats)
    assert (outcome.tflm_runs, outcome.emu, outcome.blocking) == (True, model_zoo.EQUAL, [])
    assert "WHILE" in outcome.operators


def _top_k_model() -> bytes:
    from tests import modelgen

    tf = modelgen.tf()

    class TopK(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 8], tf.float32)])
        def __call__(self, x):
            return tf.math.top_k(x, k=2).values

    function = TopK().__call__.get_concrete_function()
    return tf.lite.TFLiteConverter.from_concrete_functions([function]).convert()


def test_a_model_with_an_operator_emu_refuses():
    # tf.math.top_k converts to TOPK_V2, which TFLM's op resolver does not register either
    model = _top_k_model()
    floats = [np.linspace(-1.0, 1.0, 8, dtype=np.float32).reshape(1, 8)]
    with pytest.raises((RuntimeError, ValueError)):  # TFLM refuses it ...
        tflm_outputs(model, floats)
    with pytest.raises(EmuError, match="unsupported operator TOPK_V2"):  # ... and emu's compiler, in one line
        compile_and_run_on_host(model, floats)

    outcome = model_zoo.check("top_k", "float32", model, floats)
    assert not outcome.tflm_runs and outcome.emu == model_zoo.NOT_TRIED
    assert outcome.blocking == ["TOPK_V2: no lowering"]
    assert outcome.reason == "TFLM has no kernel for TOPK_V2"
    assert not model_zoo.blocking_counts([outcome])  # a model TFLM does not run blocks nothing
