"""SOFTMAX, LOGISTIC, TANH, RELU, RELU6, QUANTIZE, DEQUANTIZE, ADD, MUL, RESHAPE,
CONCATENATION, PAD and MEAN against the TFLM interpreter (LiteRT for float16 models).

Each case is a small Keras model converted by TensorFlow's converter to float32 and to int8
(quantized for a stated input range, so scales and zero points vary); the generated C,
built for the host, must give exactly TFLM's int8 outputs and its float32 outputs within
1e-5 relative. Unary int8 operators see all 256 input values.
"""

from __future__ import annotations

import functools
import struct

import numpy as np
import pytest
import tflite

from emu.compile.codegen import compile_graph
from emu.compile.hostrun import compile_and_run_on_host, run_compiled_on_host
from emu.compile.kernel_call import UnsupportedOperator
from emu.compile.ops import lowerings
from emu.errors import EmuError
from emu.model.graph import Graph, Operator, Quantization, Tensor
from emu.model.oracle import litert_outputs, tflm_outputs
from emu.model.reader import parse_model
from tests import modelgen
from tests.conftest import shared_model

FLOAT_RTOL = 1e-5
FLOAT_ATOL = 1e-7  # for results that are 0 up to float rounding

# Calibration ranges for int8 conversion: symmetric, wide, tiny and off-centre, one-sided.
RANGES = {"unit": (-1.0, 1.0), "wide": (-8.0, 8.0), "tiny": (-0.05, 0.1), "huge": (-40.0, 40.0), "pos": (0.0, 6.0)}


def _layers():
    return modelgen.tf().keras.layers


def _ops():
    return modelgen.tf().keras.ops


# name -> (build(*inputs) -> outputs, input shapes without the batch dimension)
CASES = {
    # every unary operator on the same input; the first softmax row holds all 256 int8 values
    "unary": (lambda x: [_layers().Activation("sigmoid")(x), _layers().Activation("tanh")(x),
                         _layers().ReLU()(x), _layers().ReLU(max_value=6)(x), _layers().Softmax()(x)],
              [(3, 256)]),
    "chain": (lambda x: _layers().Activation("tanh")(_layers().Activation("sigmoid")(_layers().ReLU()(x))),
              [(4, 64)]),
    "add": (lambda a, b: _layers().Add()([a, b]), [(4, 5, 3), (4, 5, 3)]),
    "add_channel": (lambda a, b: _layers().Add()([a, b]), [(4, 5, 3), (1, 1, 3)]),
    "add_outer": (lambda a, b: _layers().Add()([a, b]), [(4, 1, 3), (1, 5, 1)]),
    "add_relu": (lambda a, b: _layers().ReLU()(_layers().Add()([a, b])), [(4, 5, 3), (4, 5, 3)]),
    "add_const": (lambda a: _ops().add(a, np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)), [(4, 3)]),
    "mul": (lambda a, b: _layers().Multiply()([a, b]), [(4, 5, 3), (4, 5, 3)]),
    "mul_cross": (lambda a, b: _layers().Multiply()([a, b]), [(1, 5, 3), (4, 5, 1)]),
    "mul_const": (lambda a: _ops().multiply(a, np.linspace(-1, 1, 3, dtype=np.float32)), [(4, 3)]),
    "gap": (lambda x: _layers().GlobalAveragePooling2D()(x), [(5, 7, 3)]),
    "gap_keepdims": (lambda x: _layers().GlobalAveragePooling2D(keepdims=True)(x), [(5, 7, 3)]),
    "mean_last": (lambda x: _ops().mean(x, axis=-1), [(5, 7, 3)]),
    "mean_1_3": (lambda x: _ops().mean(x, axis=[1, 3], keepdims=True), [(5, 7, 3)]),
    "mean_all": (lambda x: _ops().mean(x, axis=[1, 2, 3]), [(5, 7, 3)]),
    "pad": (lambda x: _layers().ZeroPadding2D(((1, 2), (0, 3)))(x), [(5, 7, 3)]),
    "padv2": (lambda x: _ops().pad(x, [[0, 0], [1, 1], [2, 0]], constant_values=0.5), [(4, 3)]),
    "concat_channels": (lambda a, b, c: _layers().Concatenate()([a, b, c]), [(5, 7, 3), (5, 7, 2), (5, 7, 1)]),
    "concat_rows": (lambda a, b: _layers().Concatenate(axis=1)([a, b]), [(5, 7, 3), (2, 7, 3)]),
    # tanh's fixed output scale differs from relu's: the converter requantizes int8 -> int8
    "concat_requantize": (lambda a, b: _layers().Concatenate()([_layers().ReLU()(a), _layers().Activation("tanh")(b)]),
                          [(16, 16), (16, 8)]),
    # with float inputs and outputs: QUANTIZE, PAD (which moves values unchanged), DEQUANTIZE
    "quantize": (lambda x: _layers().ZeroPadding1D(1)(x), [(300, 3)]),
    # softmax groups differ before and after each reshape, so the converter keeps them
    "reshapes": (lambda x: _layers().Softmax()(_layers().Reshape((3, 4))(
        _layers().Softmax()(_layers().Reshape((12,))(x)))),
                 [(4, 3)]),
}


def _keras_model(name: str, seed: int = 0):
    t = modelgen.tf()
    build, shapes = CASES[name]
    t.keras.utils.set_random_seed(seed)
    inputs = [t.keras.Input(shape=s, batch_size=1, name=f"in{i}") for i, s in enumerate(shapes)]
    return t.keras.Model(inputs, build(*inputs)), shapes


def convert_calibrated(model, shapes, kind: str, range_name: str = "unit", seed: int = 0) -> bytes:
    """A Keras model converted: kind is float, int8, int8_float_io (int8 inside, float at the
    edges) or int16 (16-bit activations, 8-bit weights), calibrated over RANGES[range_name]."""
    t = modelgen.tf()
    converter = t.lite.TFLiteConverter.from_keras_model(model)
    if kind != "float":
        low, high = RANGES[range_name]
        rng = np.random.default_rng(seed)

        def representative():
            for _ in range(32):
                # the second input gets a different range, so the two scales differ
                yield {f"in{i}": rng.uniform(low * (1 + i), high * (1 + 0.5 * i), (1, *s)).astype(np.float32)
                       for i, s in enumerate(shapes)}

        converter.optimizations = [t.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        ops = t.lite.OpsSet
        converter.target_spec.supported_ops = [ops.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
                                               if kind == "int16" else ops.TFLITE_BUILTINS_INT8]
        if kind in ("int8", "int16"):
            converter.inference_input_type = getattr(t, kind)
            converter.inference_output_type = getattr(t, kind)
    return converter.convert()


@functools.lru_cache(maxsize=None)
def converted(name: str, kind: str, range_name: str = "unit", seed: int = 0) -> bytes:
    """The case converted once per session: kind is float, int8, int8_float_io or float16."""
    model, shapes = _keras_model(name, seed)
    if kind == "float16":
        return modelgen.to_float16(model)
    return convert_calibrated(model, shapes, kind, range_name, seed)


def ops_of(model: bytes) -> list[str]:
    return [op.op for op in parse_model(model).operators]


def output_types(model: bytes, op: str) -> set[str]:
    """The types of the outputs of every OP operator of the model."""
    graph = parse_model(model)
    return {graph.tensors[operator.outputs[0]].dtype for operator in graph.operators if operator.op == op}


def sweep_int8(model: bytes) -> list[np.ndarray]:
    """Inputs that hold every int8 value, the rest random."""
    graph = parse_model(model)
    rng = np.random.default_rng(7)
    inputs = []
    for index in graph.inputs:
        shape = graph.tensors[index].shape
        x = rng.integers(-128, 128, shape, dtype=np.int8).reshape(-1)
        x[:256] = np.arange(-128, 128)[: x.size]
        inputs.append(x.reshape(shape))
    return inputs


def float_inputs(model: bytes, low: float, high: float, seed: int = 3) -> list[np.ndarray]:
    graph = parse_model(model)
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, graph.tensors[i].shape).astype(np.float32) for i in graph.inputs]


def assert_same(ours: list[np.ndarray], reference: list[np.ndarray]) -> None:
    assert len(ours) == len(reference)
    for i, (got, want) in enumerate(zip(ours, reference, strict=True)):
        assert got.dtype == want.dtype and got.shape == want.shape, f"output {i}"
        if got.dtype.kind == "f":
            np.testing.assert_allclose(got, want, rtol=FLOAT_RTOL, atol=FLOAT_ATOL, err_msg=f"output {i}")
        else:
            np.testing.assert_array_equal(got, want, err_msg=f"output {i}")


def assert_matches_tflm(model: bytes, inputs: list[np.ndarray], kernel_set: str = "reference") -> None:
    assert_same(compile_and_run_on_host(model, inputs, kernel_set), tflm_outputs(model, inputs))


def single_op_graph(tensors: list[Tensor], op: str, inputs, outputs, options=None) -> tuple[Operator, Graph]:
    operator = Operator(0, op, tuple(inputs), tuple(outputs), options or {})
    return operator, Graph("g", "", tensors, [operator], [0], list(outputs))


def make_tensor(index, shape, dtype, scale=None, zero=0, data=None) -> Tensor:
    q = Quantization((scale,), (zero,)) if scale is not None else None
    return Tensor(index, f"t{index}", shape, dtype, q, data)


def int32_tensor(index, values) -> Tensor:
    """A constant int32 tensor of VALUES (begin, size, axes, paddings... of a hand-made graph)."""
    values = np.asarray(values, dtype=np.int32)
    return make_tensor(index, values.shape, "int32", data=values)


def assert_lowering_refuses(op: str, tensors: list[Tensor], inputs, outputs, options, why: str) -> None:
    """OP's lowering, given one operator over TENSORS, refuses it with a reason matching WHY."""
    operator, graph = single_op_graph(tensors, op, inputs, outputs, options)
    with pytest.raises(UnsupportedOperator, match=why):
        lowerings()[op](operator, graph)


# ---- unary operators --------------------------------------------------------------------

@pytest.mark.parametrize("range_name", RANGES)
def test_unary_int8_all_values(range_name):
    model = converted("unary", "int8", range_name)
    assert sorted(ops_of(model)) == ["LOGISTIC", "RELU", "RELU6", "SOFTMAX", "TANH"]
    x = sweep_int8(model)[0]
    x[0, 2] = 5  # a row of equal values
    assert_matches_tflm(model, [x])
    assert_matches_tflm(model, [np.full_like(x, -128)])


def test_unary_float():
    model = converted("unary", "float")
    # past both cut-offs of the float logistic (-9 and 16.6)
    assert_matches_tflm(model, float_inputs(model, -20.0, 20.0))
    assert_matches_tflm(model, float_inputs(model, -1.0, 1.0, seed=4))


@pytest.mark.parametrize("kind", ["int8", "float"])
def test_activation_chain_reuses_buffers(kind):
    model = converted("chain", kind, "wide")
    assert ops_of(model) == ["RELU", "LOGISTIC", "TANH"]
    inputs = sweep_int8(model) if kind == "int8" else float_inputs(model, -8.0, 8.0)
    assert_matches_tflm(model, inputs)


# ---- ADD and MUL --------------------------------------------------------------------------

BINARY = ["add", "add_channel", "add_outer", "add_relu", "add_const", "mul", "mul_cross", "mul_const"]


@pytest.mark.parametrize("kernel_set", ["reference", "optimized"])
@pytest.mark.parametrize("name", BINARY)
def test_binary_int8(name, kernel_set):
    model = converted(name, "int8", "wide")
    op = "ADD" if name.startswith("add") else "MUL"
    assert op in ops_of(model)
    if name == "add_relu":
        assert parse_model(model).operators[0].options["fused_activation_function"] == "RELU"
    paths = {layer.path for layer in compile_graph(parse_model(model), kernel_set).layers}
    assert f"{op.lower()}/{'dsp' if kernel_set == 'optimized' else 'reference'}" in paths
    for seed in range(2):
        assert_matches_tflm(model, modelgen.random_input(model, seed), kernel_set)
    assert_matches_tflm(model, sweep_int8(model), kernel_set)


@pytest.mark.parametrize("name", BINARY)
def test_binary_float(name):
    model = converted(name, "float")
    assert_matches_tflm(model, float_inputs(model, -3.0, 3.0))


# ---- MEAN ---------------------------------------------------------------------------------

MEANS = ["gap", "gap_keepdims", "mean_last", "mean_1_3", "mean_all"]


@pytest.mark.parametrize("name", MEANS)
@pytest.mark.parametrize("range_name", ["unit", "tiny"])
def test_mean_int8(name, range_name):
    model = converted(name, "int8", range_name)
    assert "MEAN" in ops_of(model)
    for seed in range(2):
        assert_matches_tflm(model, modelgen.random_input(model, seed))
    assert_matches_tflm(model, sweep_int8(model))


@pytest.mark.parametrize("name", MEANS)
def test_mean_float(name):
    model = converted(name, "float")
    assert_matches_tflm(model, float_inputs(model, -1.0, 1.0))


# ---- PAD, CONCATENATION, RESHAPE ------------------------------------------------------------

@pytest.mark.parametrize("name, op", [("pad", "PAD"), ("padv2", "PADV2")])
@pytest.mark.parametrize("kind", ["int8", "float"])
def test_pad(name, op, kind):
    model = converted(name, kind, "pos")  # a one-sided range: the int8 zero point is not 0
    assert op in ops_of(model)
    inputs = modelgen.random_input(model) if kind == "int8" else float_inputs(model, 0.0, 6.0)
    assert_matches_tflm(model, inputs)


@pytest.mark.parametrize("name", ["concat_channels", "concat_rows", "concat_requantize"])
@pytest.mark.parametrize("kind", ["int8", "float"])
def test_concatenation(name, kind):
    model = converted(name, kind)
    if name == "concat_requantize" and kind == "int8":
        assert "QUANTIZE" in ops_of(model)  # int8 -> int8
    inputs = sweep_int8(model) if kind == "int8" else float_inputs(model, -2.0, 2.0)
    assert_matches_tflm(model, inputs)


def test_int8_concatenation_of_differently_quantized_inputs_is_rejected_like_tflm():
    model = bytearray(converted("concat_rows", "int8"))
    graph = parse_model(bytes(model))
    first = graph.operators[0].inputs[0]
    # Triple the first input's scale in place in the flatbuffer.
    quantization = tflite.Model.GetRootAsModel(bytes(model), 0).Subgraphs(0).Tensors(first).Quantization()
    at = quantization._tab.Vector(quantization._tab.Offset(8))  # the scale vector's data
    (scale,) = struct.unpack_from("<f", model, at)
    struct.pack_into("<f", model, at, scale * 3)
    inputs = modelgen.random_input(bytes(model))
    with pytest.raises(RuntimeError):
        tflm_outputs(bytes(model), inputs)
    with pytest.raises(EmuError, match="CONCATENATION at index 0"):
        compile_and_run_on_host(bytes(model), inputs)


@pytest.mark.parametrize("kind", ["int8", "float"])
def test_reshapes_share_memory_between_kernels(kind):
    model = converted("reshapes", kind)
    assert ops_of(model) == ["RESHAPE", "SOFTMAX", "RESHAPE", "SOFTMAX"]
    inputs = sweep_int8(model) if kind == "int8" else float_inputs(model, -2.0, 2.0)
    assert_matches_tflm(model, inputs)


def test_reshape_of_a_constant_copies_it_into_the_arena():
    # Converters fold such reshapes, so the graph is made by hand: a constant reshaped and
    # concatenated with the input. The expected output is the data itself, rearranged. The
    # reshaped constant is a graph output too, which emu's folding leaves to the operator.
    constant = np.arange(6, dtype=np.float32).reshape(3, 2) / 4
    tensors = [make_tensor(0, (2, 3), "float32"), make_tensor(1, (3, 2), "float32", data=constant),
               make_tensor(2, (2,), "int32", data=np.array([2, 3], dtype=np.int32)),
               make_tensor(3, (2, 3), "float32"), make_tensor(4, (4, 3), "float32")]
    operators = [Operator(0, "RESHAPE", (1, 2), (3,), {}),
                 Operator(1, "CONCATENATION", (0, 3), (4,), {"axis": 0, "fused_activation_function": "NONE"})]
    graph = Graph("g", "", tensors, operators, [0], [4, 3])
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    compiled = compile_graph(graph)
    assert "emu_copy" in compiled.kernels
    out, reshaped = run_compiled_on_host(compiled, [x])
    np.testing.assert_array_equal(out, np.concatenate([x, constant.reshape(2, 3)]))
    np.testing.assert_array_equal(reshaped, constant.reshape(2, 3))


# ---- QUANTIZE and DEQUANTIZE --------------------------------------------------------------

@pytest.mark.parametrize("range_name", ["unit", "pos", "tiny"])
def test_quantize_rounds_like_tflm_at_every_half_step(range_name):
    model = converted("quantize", "int8_float_io", range_name)
    graph = parse_model(model)
    assert ops_of(model) == ["QUANTIZE", "PAD", "DEQUANTIZE"]
    q = graph.tensors[graph.operators[0].outputs[0]].quantization
    scale, zero = np.float32(q.scale[0]), q.zero_point[0]
    # Values exactly halfway between two quantized steps, and their float neighbours,
    # across the whole int8 range and beyond it (not so far beyond that x / scale leaves the
    # int32 range, where the reference's conversion is undefined).
    halves = ((np.arange(-140, 140) - zero + np.float32(0.5)) * scale).astype(np.float32)
    values = np.concatenate([halves, np.nextafter(halves, np.float32(np.inf)),
                             np.nextafter(halves, np.float32(-np.inf)), [0.0, -0.0, 1e6, -1e6]])
    x = np.resize(values.astype(np.float32), graph.tensors[graph.inputs[0]].shape)
    assert_matches_tflm(model, [x])


def test_requantize_then_dequantize():
    model = converted("concat_requantize", "int8_float_io")
    assert ops_of(model).count("QUANTIZE") == 3 and ops_of(model)[-1] == "DEQUANTIZE"
    assert_matches_tflm(model, float_inputs(model, -1.5, 1.5))


def test_float16_weights_dequantize_like_litert():
    model = converted("add_const", "float16")
    graph = parse_model(model)
    dequantize = [op for op in graph.operators if op.op == "DEQUANTIZE"]
    assert dequantize and graph.tensors[dequantize[0].inputs[0]].dtype == "float16"
    inputs = float_inputs(model, -2.0, 2.0)
    assert_same(compile_and_run_on_host(model, inputs), litert_outputs(model, inputs))


# ---- forms that are rejected ----------------------------------------------------------------

@pytest.mark.parametrize("op, tensors, inputs, why", [
    ("SOFTMAX", [make_tensor(0, (1, 10), "int8", 0.1), make_tensor(1, (1, 10), "int8", 0.1)], [0], "1/256"),
    ("MEAN", [make_tensor(0, (1, 4), "float32"), make_tensor(1, (1,), "int32"), make_tensor(2, (1,), "float32")],
     [0, 1],
     "axes computed at run time"),
    ("PAD", [make_tensor(0, (1, 4), "float32"), make_tensor(1, (2, 2), "int32"), make_tensor(2, (1, 4), "float32")],
     [0, 1],
     "paddings computed at run time"),
    ("QUANTIZE", [make_tensor(0, (4,), "float32"), make_tensor(1, (4,), "int32", 0.1)], [0], "float32 -> int32"),
    ("HARD_SWISH", [make_tensor(0, (4,), "int16", 0.1), make_tensor(1, (4,), "int16", 0.1)], [0], "int16"),
])
def test_unsupported_forms_are_named(op, tensors, inputs, why):
    assert_lowering_refuses(op, tensors, inputs, [len(tensors) - 1], None, why)


# ---- a whole model ------------------------------------------------------------------------

def test_micro_speech_matches_tflm():
    model = shared_model("micro_speech_quantized.tflite").read_bytes()
    for seed in range(3):
        assert_matches_tflm(model, modelgen.random_input(model, seed))

