"""The model zoo (tests/zoo/models.py) against the TFLM interpreter: every zoo model, converted
to int8, float32 and int16x8, that TFLM runs, emu runs with exactly TFLM's outputs (ints
exact, float32 within 1e-5 relative), but for the short list of refusals below, each of which
must still refuse for its stated reason: when an operator lands, its entries leave the list.
The forms the converter or TFLM cannot make or run are listed too, with their reason; they
are not counted. Per form, emu must run at least 95% of what TFLM runs.

The whole zoo is converted once per session, in one converter process that converts the next
models while the test process checks the last ones (tests/zoo/harness.py); a run of a few of
its tests converts only their models.
"""

from __future__ import annotations

import numpy as np
import pytest

from emu.compile.hostrun import compile_and_run_on_host
from emu.model.oracle import tflm_outputs
from tests.zoo import harness
from tests.zoo.models import KINDS, ZOO

pytestmark = pytest.mark.tensorflow  # the zoo's models are Keras models converted by TensorFlow

SHARE = 0.95  # of the forms TFLM runs, emu must run this share with TFLM's outputs

# (model, form) -> why emu refuses it (a part of the reason), where TFLM runs it
EXPECTED_REFUSALS = {
    # Keras 3's LSTM with return_sequences, not unrolled (a WHILE loop over subgraphs): its body
    # writes each step into the output sequence between two SLICEs whose shapes change at run
    # time. TFLM writes them past their declared buffers and its outputs are not the layer's.
    ("lstm_sequence", "float32"): "SLICE: a size computed at run time",
    # Its Dense(2, relu) gives 0 on every calibration sample, so in 16x8 its output scale is
    # 3.6e-43 and the converter writes infinite scales for the next Dense layer's weights and
    # bias. TFLM computes with them; emu's reader refuses the file as invalid.
    ("squeeze_excite", "int16x8"): "MatMul) has quantization scale inf, which is not finite",
}

# (model, form) -> why the converter or TFLM cannot make or run it (a part of the reason)
_CRASH = harness.Converter.CRASHED  # quantizing the WHILE loop of a recurrent layer kills the converter
_DYNAMIC = "Max and min for dynamic tensors should be recorded during calibration"  # int32 token inputs
NOT_RUN_BY_TFLM = {
    ("separable_cnn", "int16x8"): "TFLM's REDUCE_MAX kernel does not take int16",
    ("prelu_elu_cnn", "int16x8"): "Quantization to 16x8-bit not yet supported for op: 'PRELU'",
    ("mobilenet_v3_small", "int16x8"): "Quantization to 16x8-bit not yet supported for op: 'HARD_SWISH'",
    ("unet", "int8"): "TFLM has no kernel for TILE",
    ("unet", "float32"): "TFLM has no kernel for TILE",
    ("unet", "int16x8"): "TFLM has no kernel for TILE",
    ("upsample_bilinear", "int16x8"): "TFLM's RESIZE_BILINEAR kernel does not take int16",
    ("gru", "int8"): _CRASH,
    ("gru", "int16x8"): _CRASH,
    ("lstm", "int8"): _CRASH,
    ("lstm", "int16x8"): _CRASH,
    ("lstm_sequence", "int8"): _CRASH,
    ("lstm_sequence", "int16x8"): _CRASH,
    ("text_embedding_gap", "int8"): "TFLM has no kernel for SELECT",
    ("text_embedding_gap", "float32"): "TFLM has no kernel for SELECT",
    ("text_embedding_gap", "int16x8"): _DYNAMIC,
    ("text_conv1d", "int8"): "TFLM has no kernel for SELECT",
    ("text_conv1d", "float32"): "TFLM has no kernel for SELECT",
    ("text_conv1d", "int16x8"): _DYNAMIC,
    ("transformer_block", "int8"): "TFLM has no kernel for GELU",
    ("transformer_block", "float32"): "TFLM has no kernel for GELU",
    ("transformer_block", "int16x8"): "Quantization to 16x8-bit not yet supported for op: 'NEG'",
    ("layer_norm_mlp", "int16x8"): "Quantization to 16x8-bit not yet supported for op: 'NEG'",
    ("activations_mix", "int8"): "TFLM's EXP kernel does not take int8",
    ("activations_mix", "int16x8"): "Quantization to 16x8-bit not yet supported for op: 'ELU'",
}


def _models_wanted(session) -> list[str]:
    """The zoo models the session's selected tests of this file need: all of them when a test
    looks at the whole zoo, else those its tests name."""
    names = set()
    for item in session.items:
        if item.module.__name__ != __name__ or "zoo" not in item.fixturenames:
            continue
        name = item.callspec.params.get("name") if hasattr(item, "callspec") else None
        if name is None:
            return list(ZOO)
        names.add(name)
    return [name for name in ZOO if name in names]


@pytest.fixture(scope="session")
def converter():
    convert = harness.Converter()
    yield convert
    convert.close()


@pytest.fixture(scope="session")
def zoo(request, converter) -> dict[tuple[str, str], harness.Outcome]:
    outcomes = harness.run_zoo(_models_wanted(request.session), converter)
    return {(o.model, o.kind): o for o in outcomes}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ZOO)
def test_zoo_model(zoo, name, kind):
    outcome = zoo[name, kind]
    if (name, kind) in NOT_RUN_BY_TFLM:
        assert not outcome.tflm_runs, f"TFLM now runs it: take it off NOT_RUN_BY_TFLM (emu: {outcome.emu})"
        assert NOT_RUN_BY_TFLM[name, kind] in outcome.reason
        return
    assert outcome.tflm_runs, f"TFLM does not run it: {outcome.reason}"
    if (name, kind) in EXPECTED_REFUSALS:
        assert outcome.emu == harness.REFUSED, (
            f"emu {outcome.emu} {outcome.reason}: take it off EXPECTED_REFUSALS")
        assert EXPECTED_REFUSALS[name, kind] in outcome.reason, outcome.reason
        return
    assert outcome.emu == harness.EQUAL, f"emu {outcome.emu}: {outcome.reason}"


@pytest.mark.parametrize("kind", KINDS)
def test_emu_runs_the_share_of_each_form_that_tflm_runs(zoo, kind):
    assert len(ZOO) >= 30
    mine = [o for o in zoo.values() if o.kind == kind]
    assert len(mine) == len(ZOO)
    runs = [o for o in mine if o.tflm_runs]
    equal = sum(o.emu == harness.EQUAL for o in runs)
    refused = sorted(f"{o.model} ({o.reason})" for o in runs if o.emu != harness.EQUAL)
    assert equal >= SHARE * len(runs), f"{kind}: emu runs {equal} of {len(runs)}; not: {'; '.join(refused)}"


def test_the_harness_compares_with_tflm_exactly(converter):
    model, floats = converter("conv1d_gesture", "int8")
    inputs = harness.quantized_inputs(model, floats)
    # the oracle, outside the harness: TFLM's interpreter and emu's host build agree
    expected = tflm_outputs(model, inputs)
    ours = compile_and_run_on_host(model, inputs)
    assert all(np.array_equal(a, b) for a, b in zip(ours, expected, strict=True))
    assert inputs[0].dtype == np.int8 and np.unique(inputs[0]).size > 50  # quantized, not clipped to a few values
    outcome = harness.check("conv1d_gesture", "int8", model, floats)
    assert (outcome.tflm_runs, outcome.emu, outcome.blocking) == (True, harness.EQUAL, [])

    # the comparison is exact for integers: one step off in one value is a difference
    off = [expected[0].copy()]
    off[0].flat[0] = off[0].flat[0] + (1 if off[0].flat[0] < 127 else -1)
    assert harness.outputs_equal("int8", ours, off)[0] is False
    assert harness.outputs_equal("float32", [np.float32([1.0])], [np.float32([1.0 + 1e-4])])[0] is False
    assert harness.outputs_equal("int16x8", [np.int16([300])], [np.int16([301])])[0] is False
