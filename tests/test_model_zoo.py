"""The model zoo's harness (benchmarks/model_zoo.py) on two of its models, against the TFLM
interpreter: one that emu runs, and one with an operator emu refuses."""

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


def test_a_model_with_an_operator_emu_refuses(converter):
    # Keras 3's LSTM, not unrolled, converts to a WHILE loop over a subgraph, which emu does not run
    model, floats = converter("lstm", "float32")
    inputs = model_zoo.quantized_inputs(model, floats)
    tflm_outputs(model, inputs)  # TFLM runs it ...
    with pytest.raises(EmuError, match="unsupported operator WHILE"):  # ... emu's compiler stops at WHILE
        compile_and_run_on_host(model, inputs)

    outcome = model_zoo.check("lstm", "float32", model, floats)
    assert outcome.tflm_runs and outcome.emu == model_zoo.REFUSED
    assert outcome.reason.startswith("WHILE: no lowering")
    assert "WHILE" in model_zoo.blocking_counts([outcome])
