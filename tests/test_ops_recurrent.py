"""UNIDIRECTIONAL_SEQUENCE_LSTM and SVDF against the TFLM interpreter.

Both keep state in variable tensors from one inference to the next, so each case runs a
sequence of inferences in one process (emu's host harness) and in one TFLM interpreter
(invoked again without Reset), and compares every step's output: int8 exactly, float32 within
1e-5 relative. A fresh start (a new process, a new interpreter: both reset their variable
tensors) must give the first step's output again.

LSTM models come from Keras through the TFLite converter. The converter makes SVDF only from
TensorFlow graphs that Keras no longer builds, so SVDF models are written here as flatbuffers
with LiteRT's schema object API, with random weights and TFLM-consistent quantization.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

from emu.compile.codegen import compile_graph, lower_graph
from emu.compile.hostrun import run_compiled_on_host_sequence
from emu.errors import EmuError
from emu.model.oracle import DEFAULT_ARENA
from emu.model.reader import parse_model
from emu.platforms import get_platform
from emu.results.measure import measure
from tests import modelgen
from tests.conftest import needs_arm_gcc, shared_model
from tests.model_edits import edited, pack

FLOAT_RTOL = 1e-5
FLOAT_ATOL = 1e-6
STEPS = 4


def _tensor(model, graph, name, shape, kind, data=None, scale=None, zero_point=0, variable=False) -> int:
    t = schema.TensorT()
    t.name, t.shape, t.type, t.isVariable = name, list(shape), kind, variable
    buffer = schema.BufferT()
    if data is not None:
        buffer.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), np.uint8)
    model.buffers.append(buffer)
    t.buffer = len(model.buffers) - 1
    if scale is not None:
        q = schema.QuantizationParametersT()
        q.scale, q.zeroPoint = [float(scale)], [int(zero_point)]
        t.quantization = q
    graph.tensors.append(t)
    return len(graph.tensors) - 1


def svdf_model(kind: str, batches: int, input_size: int, units: int, rank: int, memory: int,
               activation: int = schema.ActivationFunctionType.NONE, seed: int = 0) -> bytes:
    """One SVDF operator. kind: "float32", "int8" (int8 state and time weights) or "int16"
    (int16 state and time weights, the form TFLM's own SVDF tests use)."""
    rng = np.random.default_rng(seed)
    filters = units * rank
    model, graph = schema.ModelT(), schema.SubGraphT()
    model.version, model.buffers, graph.tensors = 3, [schema.BufferT()], []
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.SVDF
    code.version = 1
    model.operatorCodes = [code]
    T = schema.TensorType
    wf = rng.uniform(-1, 1, (filters, input_size)).astype(np.float32)
    wt = rng.uniform(-1, 1, (filters, memory)).astype(np.float32)
    b = rng.uniform(-1, 1, units).astype(np.float32)
    if kind == "float32":
        ins = [_tensor(model, graph, "input", (batches, input_size), T.FLOAT32),
               _tensor(model, graph, "weights_feature", wf.shape, T.FLOAT32, wf),
               _tensor(model, graph, "weights_time", wt.shape, T.FLOAT32, wt),
               _tensor(model, graph, "bias", b.shape, T.FLOAT32, b),
               _tensor(model, graph, "state", (batches, memory * filters), T.FLOAT32, variable=True)]
        out = _tensor(model, graph, "output", (batches, units), T.FLOAT32)
    else:
        state_type, state_dtype, qmax = (T.INT8, np.int8, 127) if kind == "int8" else (T.INT16, np.int16, 32767)
        x_scale, x_zp = 1 / 128, int(rng.integers(-20, 20))
        wf_scale, wt_scale = 1 / 127, 1 / qmax
        # Scales for about 4 standard deviations of each value (uniform inputs and weights),
        # so that the outputs spread over the int8 range rather than saturate.
        state_std = input_size ** 0.5 / 3
        state_scale = float(np.float32(4 * state_std / qmax))
        state_zp = int(rng.integers(-10, 10)) if kind == "int8" else 0
        bias_scale = float(np.float32(state_scale) * np.float32(wt_scale))
        out_scale = float(3 * (memory * rank) ** 0.5 * state_std / 3**0.5 / 128)
        ins = [_tensor(model, graph, "input", (batches, input_size), T.INT8, None, x_scale, x_zp),
               _tensor(model, graph, "weights_feature", wf.shape, T.INT8,
                       np.round(wf / wf_scale).astype(np.int8), wf_scale),
               _tensor(model, graph, "weights_time", wt.shape, state_type,
                       np.round(wt / wt_scale).astype(state_dtype), wt_scale),
               _tensor(model, graph, "bias", b.shape, T.INT32,
                       np.round(b / bias_scale).astype(np.int32), bias_scale),
               _tensor(model, graph, "state", (batches, memory * filters), state_type, None,
                       state_scale, state_zp, variable=True)]
        out = _tensor(model, graph, "output", (batches, units), T.INT8, None, out_scale, int(rng.integers(-30, 30)))
    op = schema.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, ins, [out]
    op.builtinOptionsType = schema.BuiltinOptions.SVDFOptions
    op.builtinOptions = schema.SVDFOptionsT()
    op.builtinOptions.rank, op.builtinOptions.fusedActivationFunction = rank, activation
    graph.inputs, graph.outputs, graph.operators = [ins[0]], [out], [op]
    model.subgraphs = [graph]
    return pack(model)


def _inputs(model: bytes, steps: int, seed: int, int_range: tuple[int, int] | None = None) -> list[list[np.ndarray]]:
    """Random inputs for each step: float32 in [-1, 1], integers over their type's range or
    `int_range`."""
    graph = parse_model(model)
    rng = np.random.default_rng(seed)
    sequence = []
    for _ in range(steps):
        step = []
        for i in graph.inputs:
            t = graph.tensors[i]
            if t.dtype == "float32":
                step.append(rng.uniform(-1, 1, t.shape).astype(np.float32))
            else:
                low, high = int_range or (np.iinfo(t.dtype).min, np.iinfo(t.dtype).max)
                step.append(rng.integers(low, high, t.shape, endpoint=True).astype(t.dtype))
        sequence.append(step)
    return sequence


def tflm_sequence(model: bytes, sequence: list[list[np.ndarray]], then_reset: bool = False) -> list[list[np.ndarray]]:
    """TFLM's outputs for each step from one interpreter invoked again and again without
    Reset(), as a device keeps its state (the tflite-micro package, in this process: emu's
    oracle resets a stateful model before every inference, so that each sample is scored
    alone). With then_reset, one more run of the first step's inputs after Reset()."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model, arena_size=DEFAULT_ARENA)
    count = len(parse_model(model).outputs)

    def invoke(inputs: list[np.ndarray]) -> list[np.ndarray]:
        for i, x in enumerate(inputs):
            interpreter.set_input(x, i)
        interpreter.invoke()
        return [np.array(interpreter.get_output(i)) for i in range(count)]

    outputs = [invoke(step) for step in sequence]
    if then_reset:
        interpreter.reset()
        outputs.append(invoke(sequence[0]))
    return outputs


def assert_same(got: list[np.ndarray], want: list[np.ndarray], step: int) -> None:
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape, (step, g.dtype, w.dtype, g.shape, w.shape)
        if g.dtype == np.float32:
            np.testing.assert_allclose(g, w, rtol=FLOAT_RTOL, atol=FLOAT_ATOL, err_msg=f"step {step}")
        else:
            mismatch = np.flatnonzero(g.astype(np.int64) != w.astype(np.int64))
            assert mismatch.size == 0, f"step {step}: {mismatch.size} of {g.size} differ, first at {mismatch[:5]}"


def check_sequence(model: bytes, steps: int = STEPS, seed: int = 0, int_range: tuple[int, int] | None = None,
                   kernel_set: str = "reference") -> list[list[np.ndarray]]:
    """emu's outputs equal TFLM's at every step of one sequence, and a fresh start gives the
    first step's outputs again (the state is reset as TFLM resets it)."""
    sequence = _inputs(model, steps, seed, int_range)
    *want, after_reset = tflm_sequence(model, sequence, then_reset=True)
    compiled = compile_graph(parse_model(model), kernel_set)
    got = run_compiled_on_host_sequence(compiled, sequence)
    for step, (g, w) in enumerate(zip(got, want, strict=True)):
        assert_same(g, w, step)
    assert_same(after_reset, want[0], 0)  # TFLM's Reset() restores the state it starts with
    again = run_compiled_on_host_sequence(compiled, sequence[:1])  # and so does emu's boot
    assert_same(again[0], after_reset, 0)
    return want


SVDF_CASES = {
    # name: (kind, batches, input_size, units, rank, memory, activation)
    "int16_state": ("int16", 1, 16, 8, 1, 10, schema.ActivationFunctionType.NONE),
    "int16_rank2_batch2": ("int16", 2, 12, 4, 2, 5, schema.ActivationFunctionType.RELU),
    "int8_state": ("int8", 1, 24, 16, 1, 8, schema.ActivationFunctionType.RELU),
    "int8_rank3": ("int8", 2, 7, 3, 3, 4, schema.ActivationFunctionType.NONE),
    "float32": ("float32", 1, 16, 8, 1, 10, schema.ActivationFunctionType.NONE),
    "float32_rank2_relu": ("float32", 2, 12, 4, 2, 5, schema.ActivationFunctionType.RELU),
}


@pytest.mark.parametrize("name", sorted(SVDF_CASES))
def test_svdf_matches_tflm_over_a_sequence(name):
    kind, batches, input_size, units, rank, memory, activation = SVDF_CASES[name]
    model = svdf_model(kind, batches, input_size, units, rank, memory, activation)
    want = check_sequence(model, steps=memory + 3)  # past a full window: the oldest values drop out
    # the state matters: the same input twice gives two different outputs
    assert any(not np.array_equal(want[0][0], w[0]) for w in want[1:])


def test_svdf_state_must_be_a_variable_tensor():
    model = svdf_model("int16", 1, 8, 4, 1, 3)
    def constant_state(m, g):
        g.tensors[4].isVariable = False
    bad = edited(model, constant_state)
    with pytest.raises(EmuError, match="variable tensor"):
        compile_graph(parse_model(bad))
    with pytest.raises((RuntimeError, ValueError)):  # and TFLM's Prepare refuses it too
        tflm_sequence(bad, _inputs(bad, 1, 0))


# ---- UNIDIRECTIONAL_SEQUENCE_LSTM ------------------------------------------------------------

LSTM_CASES = {
    # name: (time steps, features, units, kind, batch, time_major). Sequences out (with
    # return_sequences=False the converter adds a STRIDED_SLICE of the last step, tested in
    # tests/test_ops_slice.py).
    "seq_int8": (6, 5, 8, "int8", 1, False),
    "long_int8": (12, 3, 4, "int8", 1, False),
    "wide_int8": (4, 16, 20, "int8", 1, False),
    "time_major_batch2_int8": (6, 5, 8, "int8", 2, True),
    "seq_float32": (6, 5, 8, "float32", 1, False),
    "wide_float32": (4, 16, 20, "float32", 1, False),
    "time_major_batch2_float32": (6, 5, 8, "float32", 2, True),
}


@functools.cache
def lstm_model(steps: int, features: int, units: int, kind: str, batch: int = 1, time_major: bool = False) -> bytes:
    """A Keras LSTM converted by the TFLite converter. The Keras 2 layer (tf_keras) is the one
    the converter fuses into one UNIDIRECTIONAL_SEQUENCE_LSTM, with the hidden and cell state
    as variable tensors; Keras 3's LSTM becomes a WHILE loop. Time-major, the input is
    [steps, batch, features]."""
    tf = modelgen.tf()
    import tf_keras

    tf_keras.utils.set_random_seed(units)
    shape, batch_size = ((batch, features), steps) if time_major else ((steps, features), batch)
    model = tf_keras.Sequential([tf_keras.Input(shape=shape, batch_size=batch_size),
                                 tf_keras.layers.LSTM(units, return_sequences=True, time_major=time_major)])
    rng = np.random.default_rng(units)
    layer = model.layers[0]
    kernel, recurrent, bias = layer.get_weights()
    layer.set_weights([kernel, recurrent, rng.normal(0, 0.3, bias.shape).astype(np.float32)])
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if kind == "int8":
        def representative():
            for _ in range(32):
                yield [rng.uniform(-1, 1, (batch_size, *shape)).astype(np.float32)]
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


@pytest.mark.parametrize("name", sorted(LSTM_CASES))
def test_lstm_matches_tflm_over_a_sequence(name):
    model = lstm_model(*LSTM_CASES[name])
    graph = parse_model(model)
    [lstm] = [op for op in graph.operators if op.op == "UNIDIRECTIONAL_SEQUENCE_LSTM"]
    assert lstm.options["time_major"] == LSTM_CASES[name][5]
    want = check_sequence(model, steps=3)
    assert not np.array_equal(want[0][0], want[1][0])  # the outputs vary with the state


@pytest.mark.parametrize("name", sorted(n for n in LSTM_CASES if LSTM_CASES[n][3] == "int8"))
def test_lstm_dsp_kernel_matches_tflm_over_a_sequence(name):
    """The optimized kernel set's SMLAD form, built for the host in its portable C."""
    model = lstm_model(*LSTM_CASES[name])
    calls = lower_graph(parse_model(model), "optimized")
    assert [c.path for c in calls if c.function.startswith("emu_lstm")] == ["unidirectional_sequence_lstm/dsp"]
    check_sequence(model, steps=3, kernel_set="optimized")


# ---- the shared models -------------------------------------------------------------------------

def keyword_svdf_part() -> bytes:
    """keyword_scrambled_8bit.tflite from its int8 input to its int8 logits: the seven SVDF (int8
    state with non-zero zero points) and five FULLY_CONNECTED layers, with every SVDF's state
    as a model output too: its weights are scrambled, so the logits and the SVDF outputs
    saturate whatever the input, while the states show every step. The whole model, with
    QUANTIZE int16 -> int8 in front and SOFTMAX int8 -> int16 and QUANTIZE int16 -> int32
    behind, is checked in tests/test_shared_kws_svdf.py."""
    model = shared_model("keyword_scrambled_8bit.tflite").read_bytes()

    def cut(m, g):
        g.operators = g.operators[1:13]
        g.inputs = [g.operators[0].inputs[0]]
        svdf = {i for i, code in enumerate(m.operatorCodes) if max(code.builtinCode, code.deprecatedBuiltinCode)
                == schema.BuiltinOperator.SVDF}
        g.outputs = [op.inputs[4] for op in g.operators if op.opcodeIndex in svdf]
        g.outputs.append(g.operators[-1].outputs[0])
    return edited(model, cut)


def test_shared_lstm_model_matches_tflm_over_a_sequence():
    model = shared_model("trained_lstm_int8.tflite").read_bytes()
    check_sequence(model, steps=3)


def test_shared_keyword_svdf_layers_match_tflm_over_a_sequence():
    model = keyword_svdf_part()
    assert [op.op for op in parse_model(model).operators].count("SVDF") == 7
    # features of quiet audio: the input quantization's zero point is -128 and its scale 0.06
    want = check_sequence(model, steps=10, int_range=(-128, -110))
    assert all(len({w[k].tobytes() for w in want}) > 1 for k in range(7))  # every state moves


# ---- on the device: one inference from boot, where the state starts at its reset value ---------

DEVICE_BOARDS = ["rp2040-pico", "nucleo-l4r5zi"]  # Cortex-M0+ (soft float), M4F


# name -> the model, made only when its test runs (the shared ones skip where the corpus is absent)
DEVICE_MODELS = {
    "trained_lstm_int8": lambda: shared_model("trained_lstm_int8.tflite").read_bytes(),
    "keyword_svdf_layers": keyword_svdf_part,
    "lstm_float32": lambda: lstm_model(*LSTM_CASES["seq_float32"]),
    "svdf_int16_state": lambda: svdf_model("int16", 1, 16, 8, 1, 10),
    "svdf_float32": lambda: svdf_model("float32", 2, 12, 4, 2, 5, schema.ActivationFunctionType.RELU),
}


# what each model needs beyond the device, as markers (tests/conftest.py cannot see into the lambdas)
DEVICE_MODEL_NEEDS = {"trained_lstm_int8": pytest.mark.shared_models, "keyword_svdf_layers": pytest.mark.shared_models,
                      "lstm_float32": pytest.mark.tensorflow}


@needs_arm_gcc
@pytest.mark.qemu
@pytest.mark.parametrize("board", DEVICE_BOARDS)
@pytest.mark.parametrize("name", [pytest.param(name, marks=DEVICE_MODEL_NEEDS.get(name, ()))
                                  for name in DEVICE_MODELS])
def test_recurrent_models_match_tflm_on_the_device(name, board, tmp_path):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(DEVICE_MODELS[name]())
    graph = parse_model(path.read_bytes())
    result, _ = measure(path, get_platform(board), variant=name)
    assert result.output_matches_reference is True, f"{name} on {board}"
    assert result.reference == "tflm"
    recurrent = [(op, layer) for op, layer in zip(graph.operators, result.layers, strict=True)
                 if op.op in ("SVDF", "UNIDIRECTIONAL_SEQUENCE_LSTM")]
    assert recurrent
    for op, layer in recurrent:
        # the M4F runs the optimized set, which has SMLAD forms of the int8 LSTM and of the
        # int8 SVDF (svdf/dsp with an int8 state, svdf/dsp-s16 with an int16 one)
        dsp = result.kernels == "optimized" and graph.tensors[op.inputs[0]].dtype == "int8"
        int16_state = op.op == "SVDF" and graph.tensors[op.inputs[4]].dtype == "int16"
        form = ("dsp-s16" if int16_state else "dsp") if dsp else "reference"
        assert layer.path == f"{op.op.lower()}/{form}"
        assert layer.macs == _macs_by_hand(op, graph)


def _macs_by_hand(op, graph) -> int:
    """LSTM: 4 gates, each units x (features + units) per step; SVDF: filters x (input + memory)."""
    if op.op == "SVDF":
        batches, input_size = graph.tensors[op.inputs[0]].shape
        filters, memory = graph.tensors[op.inputs[2]].shape
        return batches * filters * (input_size + memory)
    batches, steps, features = graph.tensors[op.inputs[0]].shape
    units = graph.tensors[op.inputs[18]].shape[1]
    return batches * steps * 4 * units * (features + units)


def test_lstm_refuses_what_tflm_refuses():
    model = lstm_model(*LSTM_CASES["seq_int8"])

    def constant_cell_state(m, g):
        g.tensors[g.operators[0].inputs[19]].isVariable = False

    def with_peephole(m, g):  # TFLM's LSTM has no peephole connections
        op = g.operators[0]
        op.inputs = [*op.inputs[:9], op.inputs[12], *op.inputs[10:]]

    for change, message in ((constant_cell_state, "must be a variable tensor"), (with_peephole, "peephole")):
        bad = edited(model, change)
        with pytest.raises(EmuError, match=message):
            compile_graph(parse_model(bad))
        with pytest.raises((RuntimeError, ValueError)):  # and TFLM's Prepare refuses it too
            tflm_sequence(bad, _inputs(bad, 1, 0))
