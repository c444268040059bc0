"""UNIDIRECTIONAL_SEQUENCE_LSTM with int16 activations and int8 weights (TFLM's 16x8 LSTM)
against the TFLM interpreter, bit-exact, over sequences of inferences.

The TFLite converter does not write this form ("Quantization to 16x8-bit not yet supported"),
so the models are written here as flatbuffers with LiteRT's schema object API, quantized as
TFLM's kernel reads them: int16 input, output and hidden state (symmetric, zero point 0; one
case has other zero points, which TFLM's kernel takes too),
an int16 cell state whose scale is a power of two, int8 symmetric weights with one scale per
tensor, and int64 biases whose scale is the input's times the input weights'. The scales come
from a float LSTM with the same weights run in numpy over calibration inputs: each activation's
largest magnitude spans its int16 range, as a quantizer that calibrates would set them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

from emu.compile.codegen import compile_graph, lower_graph
from emu.errors import EmuError
from emu.model.reader import parse_model
from emu.platforms import get_platform
from emu.results.measure import measure
from tests.conftest import needs_arm_gcc
from tests.model_edits import edited, pack
from tests.test_ops_recurrent import _inputs, _tensor, check_sequence, tflm_sequence

T = schema.TensorType


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _float_lstm_ranges(w, r, b, x) -> tuple[float, float]:
    """The largest |cell state| and |hidden state| of a float LSTM over x [batch, steps, features]."""
    units = r.shape[1]
    h = np.zeros((x.shape[0], units))
    c = np.zeros((x.shape[0], units))
    c_max = h_max = 0.0
    for t in range(x.shape[1]):
        pre = [x[:, t] @ w[g].T + h @ r[g].T + b[g] for g in range(4)]
        i, f, o = _sigmoid(pre[0]), _sigmoid(pre[1]), _sigmoid(pre[3])
        g = np.tanh(pre[2])
        c = f * c + i * g
        h = o * np.tanh(c)
        c_max, h_max = max(c_max, np.abs(c).max()), max(h_max, np.abs(h).max())
    return c_max, h_max


def lstm16_model(batch: int, steps: int, features: int, units: int, time_major: bool = False,
                 seed: int = 0, cell_clip: float = 0.0, zero_points: tuple[int, int] = (0, 0),
                 gain: float = 1.0, squeeze: float = 1.0, bias_type: int = T.INT64) -> bytes:
    """One 16x8 UNIDIRECTIONAL_SEQUENCE_LSTM: input [batch, steps, features] ([steps, batch,
    features] time-major), output [..., units], Keras-like random weights (Glorot-uniform
    input weights, smaller recurrent ones, a forget bias near 1). zero_points: the input's and
    the hidden state's (TFLM takes any; a quantizer writes 0). gain multiplies the weights
    after calibration and squeeze divides the hidden and cell scales, to make the integer
    arithmetic saturate."""
    rng = np.random.default_rng(seed)
    limit = math.sqrt(6 / (features + 4 * units))
    w = rng.uniform(-limit, limit, (4, units, features))
    r = rng.uniform(-0.6, 0.6, (4, units, units)) / math.sqrt(units)
    b = rng.normal(0, 0.3, (4, units)) + np.array([0, 1, 0, 0])[:, None]
    calibration = rng.uniform(-1, 1, (8, 3 * steps, features))
    c_max, h_max = _float_lstm_ranges(w, r, b, calibration)
    if cell_clip:
        c_max = min(c_max, cell_clip)
    w, r = w * gain, r * gain
    x_scale = 1 / 32767
    h_scale = h_max / 32767 / squeeze
    cell_scale = 2.0 ** math.ceil(math.log2(c_max / 32767 / squeeze))  # a power of two, as TFLM's tanh needs
    x_zp, h_zp = zero_points
    model, graph = schema.ModelT(), schema.SubGraphT()
    model.version, model.buffers, graph.tensors = 3, [schema.BufferT()], []
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM
    code.version = 1
    model.operatorCodes = [code]
    shape = (steps, batch, features) if time_major else (batch, steps, features)
    inputs = [-1] * 24
    inputs[0] = _tensor(model, graph, "input", shape, T.INT16, None, x_scale, x_zp)
    for g in range(4):
        for k, (name, m) in enumerate((("input_weights", w[g]), ("recurrent_weights", r[g]))):
            scale = np.abs(m).max() / 127
            inputs[1 + 4 * k + g] = _tensor(model, graph, f"{name}_{g}", m.shape, T.INT8,
                                            np.round(m / scale).astype(np.int8), scale)
    for g in range(4):
        scale = float(np.float32(x_scale) * np.float32(graph.tensors[inputs[1 + g]].quantization.scale[0]))
        dtype = np.int64 if bias_type == T.INT64 else np.int32
        inputs[12 + g] = _tensor(model, graph, f"bias_{g}", (units,), bias_type,
                                 np.round(b[g] / scale).astype(dtype), scale)
    inputs[18] = _tensor(model, graph, "hidden", (batch, units), T.INT16, None, h_scale, h_zp, variable=True)
    inputs[19] = _tensor(model, graph, "cell", (batch, units), T.INT16, None, cell_scale, variable=True)
    out = _tensor(model, graph, "output", (*shape[:2], units), T.INT16, None, h_scale, h_zp)
    op = schema.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, inputs, [out]
    op.builtinOptionsType = schema.BuiltinOptions.UnidirectionalSequenceLSTMOptions
    options = schema.UnidirectionalSequenceLSTMOptionsT()
    options.fusedActivationFunction = schema.ActivationFunctionType.TANH
    options.cellClip, options.timeMajor = cell_clip, time_major
    op.builtinOptions = options
    graph.inputs, graph.outputs, graph.operators = [inputs[0]], [out], [op]
    model.subgraphs = [graph]
    return pack(model)


CASES = {
    # name: keyword arguments of lstm16_model
    "seq": dict(batch=1, steps=6, features=5, units=8),
    "batch3_wide": dict(batch=3, steps=4, features=16, units=20, seed=1),
    "time_major_batch2": dict(batch=2, steps=5, features=6, units=8, time_major=True, seed=2),
    "time_major_batch1": dict(batch=1, steps=3, features=4, units=3, time_major=True, seed=3),
    # more than EMU_S16_RUN (256) products per dot product: the int32 runs join the int64 sum
    "long_input": dict(batch=1, steps=2, features=300, units=4, seed=4),
    "cell_clip": dict(batch=2, steps=6, features=5, units=6, cell_clip=0.4, seed=5),
    "zero_points": dict(batch=1, steps=4, features=5, units=7, zero_points=(-300, 120), seed=6),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_lstm16_matches_tflm_over_a_sequence(name):
    model = lstm16_model(**CASES[name])
    [call] = lower_graph(parse_model(model), "reference")
    assert (call.function, call.path) == ("emu_lstm_s16", "unidirectional_sequence_lstm/reference")
    want = check_sequence(model, steps=3)
    assert not np.array_equal(want[0][0], want[1][0])  # the outputs vary with the state


def test_lstm16_model_follows_its_float_lstm():
    """The hand-built quantization is the one TFLM's kernel means: TFLM's outputs, dequantized,
    follow a float LSTM with the model's own (dequantized) weights, within 1e-4 while the hidden
    state stays inside its calibrated range and a few hundredths where it clamps at its edge."""
    model = lstm16_model(**CASES["batch3_wide"])
    graph = parse_model(model)
    op = graph.operators[0]

    def real(i):
        t = graph.tensors[op.inputs[i]]
        return t.data.astype(np.float64) * t.quantization.scale[0]

    w, r, b = (np.stack([real(k + g) for g in range(4)]) for k in (1, 5, 12))
    x_scale = graph.tensors[op.inputs[0]].quantization.scale[0]
    h_scale = graph.tensors[op.outputs[0]].quantization.scale[0]
    sequence = _inputs(model, 1, 0)
    [[got]] = tflm_sequence(model, sequence)
    x = sequence[0][0].astype(np.float64) * x_scale
    h, c = np.zeros((3, 20)), np.zeros((3, 20))
    for t in range(4):
        pre = [x[:, t] @ w[g].T + h @ r[g].T + b[g] for g in range(4)]
        c = _sigmoid(pre[1]) * c + _sigmoid(pre[0]) * np.tanh(pre[2])
        h = _sigmoid(pre[3]) * np.tanh(c)
        np.testing.assert_allclose(got[:, t] * h_scale, h, atol=0.03)


def test_lstm16_saturating_matches_tflm():
    """Weights six times larger than calibrated and hidden and cell scales a quarter of what the
    values need: the gates' int16 sums, the cell state and the hidden state all saturate."""
    model = lstm16_model(batch=2, steps=5, features=8, units=6, seed=7, gain=6.0, squeeze=4.0)
    want = check_sequence(model, steps=3)
    outputs = np.concatenate([w[0].ravel() for w in want])
    assert outputs.max() == 32767 and outputs.min() == -32768  # the hidden state saturates both ways


@pytest.mark.parametrize("name", ["long_input", "time_major_batch2", "zero_points"])
def test_lstm16_dsp_kernel_matches_tflm_over_a_sequence(name):
    """The optimized kernel set's DSP form, built for the host in its portable C (the M4F runs
    it in the device test). Its dot product takes four values at a time: the long input has
    runs of EMU_S16_RUN and a tail."""
    model = lstm16_model(**CASES[name])
    [call] = lower_graph(parse_model(model), "optimized")
    assert (call.function, call.path) == ("emu_lstm_s16_dsp", "unidirectional_sequence_lstm/dsp")
    check_sequence(model, steps=3, kernel_set="optimized")


def test_lstm16_helium_kernel_is_chosen_for_the_m55():
    """The Helium form's lowering; its integers are checked on the M55 by the device test."""
    model = lstm16_model(**CASES["seq"])
    [call] = lower_graph(parse_model(model), "optimized", mve=True)
    assert (call.function, call.path) == ("emu_lstm_s16_mve", "unidirectional_sequence_lstm/mve")


def _retyped(model: bytes, tensors, kind: int, dtype) -> bytes:
    """The model with the operator's `tensors` (input slots, or "output") changed to `kind`,
    their int8 data (the weights') widened to dtype."""
    def change(m, g):
        op = g.operators[0]
        for slot in tensors:
            t = g.tensors[op.outputs[0] if slot == "output" else op.inputs[slot]]
            t.type = kind
            data = m.buffers[t.buffer].data
            if data is not None and len(data):
                widened = np.frombuffer(bytes(bytearray(data)), np.int8).astype(dtype)
                m.buffers[t.buffer].data = np.frombuffer(widened.tobytes(), np.uint8)
    return edited(model, change)


@pytest.mark.parametrize("what", ["int16_weights", "int8_output", "int8_cell_state"])
def test_lstm16_refuses_what_tflm_refuses(what):
    model = lstm16_model(**CASES["seq"])
    bad = {"int16_weights": lambda: _retyped(model, range(1, 9), T.INT16, np.int16),
           "int8_output": lambda: _retyped(model, ["output"], T.INT8, np.int8),
           "int8_cell_state": lambda: _retyped(model, [19], T.INT8, np.int8)}[what]()
    with pytest.raises(EmuError, match="UNIDIRECTIONAL_SEQUENCE_LSTM.*input/output/hidden/cell state"):
        compile_graph(parse_model(bad))
    with pytest.raises((RuntimeError, ValueError)):  # TFLM's Prepare or Eval refuses it too
        tflm_sequence(bad, _inputs(bad, 1, 0))


def test_lstm16_with_int32_biases_is_refused():
    """TFLM's 16x8 kernel reads the biases as int64 whatever their declared type, so it does
    not refuse int32 ones but reads past them; emu refuses them in one line."""
    model = lstm16_model(**CASES["seq"], bias_type=T.INT32)
    with pytest.raises(EmuError, match="int32 biases with int16 activations: TFLM's 16x8 LSTM reads them as int64"):
        compile_graph(parse_model(model))


# ---- on the device: one inference from boot, against TFLM ------------------------------------

DEVICE_BOARDS = ["rp2040-pico", "nucleo-l4r5zi", "alif-e7-appkit"]  # Cortex-M0+ (soft float), M4F, M55
DEVICE_PATHS = {"rp2040-pico": "reference", "nucleo-l4r5zi": "dsp", "alif-e7-appkit": "mve"}


@needs_arm_gcc
@pytest.mark.qemu
@pytest.mark.parametrize("board", DEVICE_BOARDS)
def test_lstm16_matches_tflm_on_the_device(board, tmp_path):
    path = tmp_path / "lstm16.tflite"
    path.write_bytes(lstm16_model(**CASES["batch3_wide"]))
    result, _ = measure(path, get_platform(board), variant="lstm16")
    assert result.reference == "tflm"
    assert result.output_matches_reference is True, board
    [layer] = result.layers
    assert layer.path == f"unidirectional_sequence_lstm/{DEVICE_PATHS[board]}"
    assert layer.macs == 3 * 4 * 4 * 20 * (16 + 20)  # batch x steps x 4 gates x units x (features + units)
