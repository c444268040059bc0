"""Models with 16-bit activations and 8-bit weights (TFLite's 16x8 quantization) against the
TFLM interpreter: FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, MAX_POOL_2D,
ADD, MUL, SOFTMAX, LOGISTIC, TANH, RELU, RELU6, QUANTIZE and DEQUANTIZE.

Each case is a small Keras model converted by TensorFlow's converter with
EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 (int16 or float32 at the edges),
calibrated for a stated input range; the generated C, built for the host, must give exactly
TFLM's outputs. Requantization between int8 and int16, which the converter does not emit on
its own, is a converted model with one tensor's type edited.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from emu.compile.codegen import compile_graph
from emu.compile.kernel_call import UnsupportedOperator
from emu.compile.ops import lowerings
from emu.model.reader import parse_model
from tests import model_edits, modelgen
from tests.conftest import needs_arm_gcc
from tests.test_ops_misc import (
    RANGES,
    assert_matches_tflm,
    float_inputs,
    make_tensor,
    ops_of,
    single_op_graph,
)


def _layers():
    return modelgen.tf().keras.layers


# name -> (build(*inputs) -> outputs, input shapes without the batch dimension)
CASES = {
    "fc": (lambda x: [_layers().Dense(7, activation="relu")(x), _layers().Dense(300, use_bias=False)(x)], [(20,)]),
    "fc_deep": (lambda x: _layers().Dense(3)(x), [(700,)]),  # a sum longer than one int32 run of the kernel
    "conv": (lambda x: [_layers().Conv2D(5, 3, strides=2, padding="same", activation="relu6")(x),
                        _layers().Conv2D(4, (2, 3), dilation_rate=2)(x),
                        _layers().Conv2D(6, 1)(x)], [(9, 8, 3)]),
    "conv_grouped": (lambda x: _layers().Conv2D(4, 3, groups=2, padding="same")(x), [(6, 6, 4)]),
    "depthwise": (lambda x: [_layers().DepthwiseConv2D(3, depth_multiplier=2, padding="same")(x),
                             _layers().DepthwiseConv2D((2, 3), strides=2, activation="relu")(x)], [(7, 7, 3)]),
    "pool": (lambda x: [_layers().MaxPooling2D(2)(x), _layers().AveragePooling2D(3, strides=2, padding="same")(x)],
             [(7, 7, 4)]),
    "add": (lambda a, b: _layers().Add()([a, b]), [(4, 5, 3), (4, 5, 3)]),
    "add_broadcast": (lambda a, b: _layers().ReLU()(_layers().Add()([a, b])), [(4, 5, 3), (1, 5, 1)]),
    "mul": (lambda a, b: _layers().Multiply()([a, b]), [(4, 5, 3), (4, 1, 3)]),
    "softmax": (lambda x: _layers().Softmax()(x), [(4, 300)]),
    "relu": (lambda x: [_layers().ReLU()(x), _layers().ReLU(max_value=6)(x)], [(64, 1024)]),
    "sigmoid_tanh": (lambda x: [_layers().Activation("sigmoid")(x), _layers().Activation("tanh")(x)], [(64, 1024)]),
    "pad": (lambda x: _layers().ZeroPadding1D(1)(x), [(50, 3)]),
    "cnn": (lambda x: _layers().Softmax()(_layers().Dense(10)(_layers().Flatten()(
        _layers().AveragePooling2D(2)(_layers().DepthwiseConv2D(3, padding="same", activation="relu")(
            _layers().MaxPooling2D(2)(_layers().Conv2D(8, 3, padding="same", activation="relu")(x))))))),
            [(12, 12, 1)]),
    "mlp": (lambda x: _layers().Softmax()(_layers().Dense(4)(_layers().Dense(16, activation="relu")(
        _layers().Dense(32, activation="relu")(x)))), [(24,)]),
}


def to_16x8(name: str, range_name: str = "unit", io: str = "int16", seed: int = 0) -> bytes:
    return _converted(name, range_name, io, seed)


def to_int8(name: str, range_name: str = "unit", seed: int = 0) -> bytes:
    return _converted(name, range_name, "int8", seed)


@functools.lru_cache(maxsize=None)
def _converted(name: str, range_name: str, io: str, seed: int) -> bytes:
    """The case converted to 16x8 with `io` (int16 or float32) at the edges, or to int8 (io int8)."""
    t = modelgen.tf()
    build, shapes = CASES[name]
    t.keras.utils.set_random_seed(seed)
    inputs = [t.keras.Input(shape=s, batch_size=1, name=f"in{i}") for i, s in enumerate(shapes)]
    model = t.keras.Model(inputs, build(*inputs))
    rng = np.random.default_rng(seed)
    for layer in model.layers:  # biases random too, so they matter
        weights = layer.get_weights()
        if len(weights) > 1:
            layer.set_weights([weights[0], *(rng.normal(0, 0.3, w.shape).astype(w.dtype) for w in weights[1:])])
    low, high = RANGES[range_name]

    def representative():
        for _ in range(32):
            yield {f"in{i}": rng.uniform(low * (1 + i), high * (1 + 0.5 * i), (1, *s)).astype(np.float32)
                   for i, s in enumerate(shapes)}

    converter = t.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [t.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    ops = t.lite.OpsSet
    converter.target_spec.supported_ops = [ops.TFLITE_BUILTINS_INT8 if io == "int8"
                                           else ops.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    converter.inference_input_type = converter.inference_output_type = getattr(t, io)
    return converter.convert()


def sweep_int16(model: bytes, seed: int = 7) -> list[np.ndarray]:
    """Inputs that begin with every int16 value (as far as they reach), the rest random."""
    graph = parse_model(model)
    rng = np.random.default_rng(seed)
    inputs = []
    for index in graph.inputs:
        shape = graph.tensors[index].shape
        x = rng.integers(-32768, 32768, shape, dtype=np.int16).reshape(-1)
        if x.size >= 65536:
            x[:65536] = np.arange(-32768, 32768)
        else:  # evenly spread over the range, in a random order
            x[:] = rng.permutation(np.linspace(-32768, 32767, x.size).round().astype(np.int16))
        inputs.append(x.reshape(shape))
    return inputs


def layer_paths(model: bytes, mve: bool) -> dict[str, str]:
    """Operator -> the path of its kernel with the optimized kernels (and Helium's where `mve`)."""
    return {layer.op: layer.path for layer in compile_graph(parse_model(model), "optimized", mve).layers
            if layer.path}  # RESHAPE moves nothing


def check(model: bytes, kernel_set: str = "reference") -> None:
    assert_matches_tflm(model, sweep_int16(model), kernel_set)
    assert_matches_tflm(model, modelgen.random_input(model, 1), kernel_set)
    graph = parse_model(model)
    small = [(np.random.default_rng(2).integers(-300, 300, graph.tensors[i].shape)).astype(np.int16)
             for i in graph.inputs]
    assert_matches_tflm(model, small, kernel_set)


def int16_ops(model: bytes) -> list[tuple[str, str]]:
    graph = parse_model(model)
    return [(op.op, graph.tensors[op.outputs[0]].dtype) for op in graph.operators]


# ---- the operators, one model per family ------------------------------------------------------

@pytest.mark.parametrize("range_name", ["unit", "wide", "tiny"])
@pytest.mark.parametrize("name, operators", [
    ("fc", {"FULLY_CONNECTED"}), ("fc_deep", {"FULLY_CONNECTED"}),
    ("conv", {"CONV_2D"}), ("conv_grouped", {"CONV_2D"}),
    ("depthwise", {"DEPTHWISE_CONV_2D"}), ("pool", {"MAX_POOL_2D", "AVERAGE_POOL_2D"}),
    ("add", {"ADD"}), ("add_broadcast", {"ADD"}), ("mul", {"MUL"}),
])
def test_int16_operators_match_tflm(name, operators, range_name):
    model = to_16x8(name, range_name)
    assert {op for op, dtype in int16_ops(model) if dtype == "int16"} == operators
    check(model)


def test_int16_bias_is_int64_and_absent_bias_follows_the_declared_type():
    graph = parse_model(to_16x8("fc"))
    fcs = [op for op in graph.operators if op.op == "FULLY_CONNECTED"]
    with_bias = [op for op in fcs if len(op.inputs) > 2 and op.inputs[2] >= 0]
    assert [graph.tensors[op.inputs[2]].dtype for op in with_bias] == ["int64"]
    assert any(op not in with_bias for op in fcs)  # the Dense without a bias
    calls = [lowerings()["FULLY_CONNECTED"](op, graph) for op in fcs]
    assert {c.params["accumulate_32"] for c in calls} == {0}  # quantized_bias_type INT64 too


@pytest.mark.parametrize("name, op", [("conv", "CONV_2D"), ("fc", "FULLY_CONNECTED")])
def test_int32_bias_sums_in_int32_like_tflm(name, op):
    """TFLM's 16x8 FULLY_CONNECTED and CONV_2D take an int32 bias too, summing in int32 and
    rescaling with the 32-bit multiply: the converted model with its int64 biases narrowed
    (the FULLY_CONNECTED without a bias keeps its declared int64 sum)."""
    model = to_16x8(name, "wide")
    narrowed = model_edits.with_int32_biases(model)
    graph = parse_model(narrowed)
    sums = [lowerings()[op](o, graph).params["accumulate_32"] for o in graph.operators if o.op == op]
    assert sorted(sums) == ([1, 1, 1] if op == "CONV_2D" else [0, 1])
    check(narrowed)


@pytest.mark.parametrize("range_name", ["unit", "wide", "tiny", "huge"])
def test_int16_softmax_matches_tflm(range_name):
    model = to_16x8("softmax", range_name)
    assert int16_ops(model) == [("SOFTMAX", "int16")]
    check(model)
    x = sweep_int16(model)[0]
    x[0, 1] = 5  # a row of equal values
    x[0, 2, :150] = 32767  # a row of two values far apart
    x[0, 2, 150:] = -32768
    assert_matches_tflm(model, [x])


@pytest.mark.parametrize("range_name", ["unit", "wide", "tiny", "huge"])
def test_int16_logistic_and_tanh_see_every_input_value(range_name):
    model = to_16x8("sigmoid_tanh", range_name)
    assert sorted(int16_ops(model)) == [("LOGISTIC", "int16"), ("TANH", "int16")]
    x = np.arange(-32768, 32768, dtype=np.int64).astype(np.int16).reshape(1, 64, 1024)
    assert_matches_tflm(model, [x])


@pytest.mark.parametrize("range_name", ["unit", "wide", "pos"])
def test_int16_relu_and_relu6_see_every_input_value(range_name):
    model = to_16x8("relu", range_name)
    assert sorted(int16_ops(model)) == [("RELU", "int16"), ("RELU6", "int16")]
    x = np.arange(-32768, 32768, dtype=np.int64).astype(np.int16).reshape(1, 64, 1024)
    assert_matches_tflm(model, [x])


@pytest.mark.parametrize("range_name", ["unit", "wide", "tiny"])
def test_quantize_and_dequantize_int16_at_float_edges(range_name):
    model = to_16x8("pad", range_name, io="float32")
    assert int16_ops(model) == [("QUANTIZE", "int16"), ("PAD", "int16"), ("DEQUANTIZE", "float32")]
    low, high = RANGES[range_name]
    inputs = float_inputs(model, 1.5 * low, 1.5 * high)  # past the calibrated range: clamps too
    x = inputs[0].reshape(-1)
    # every half step of the int16 scale near 0, where the rounding direction shows
    scale = parse_model(model).tensors[parse_model(model).operators[0].outputs[0]].quantization.scale[0]
    x[:100] = (np.arange(-50, 50) + 0.5).astype(np.float32) * np.float32(scale)
    assert_matches_tflm(model, inputs)


def _requantizing(model: bytes, input_type: str, output_type: str) -> bytes:
    """The float-edged PAD model with its QUANTIZE's input made int8 (QUANTIZE int8 -> int16)
    or left float, and its DEQUANTIZE turned into a QUANTIZE to int8 or int16 at another scale."""
    types = {"int8": 9, "int16": 7}  # TensorType

    def change(m, g):
        quantize, _, dequantize = g.operators
        if input_type != "float32":
            t = g.tensors[quantize.inputs[0]]
            t.type = types[input_type]
            t.quantization = _quantization(0.011, 3 if input_type == "int8" else 0)
        dequantize.opcodeIndex = quantize.opcodeIndex
        out = g.tensors[dequantize.outputs[0]]
        out.type = types[output_type]
        out.quantization = _quantization(0.0047, -5) if output_type == "int8" else _quantization(0.00013, 0)
    return model_edits.edited(model, change)


def _quantization(scale: float, zero_point: int):
    from ai_edge_litert import schema_py_generated as schema

    q = schema.QuantizationParametersT()
    q.scale, q.zeroPoint = [scale], [zero_point]
    return q


@pytest.mark.parametrize("input_type, output_type", [("int8", "int8"), ("int8", "int16"), ("float32", "int8")])
def test_requantize_between_int8_and_int16(input_type, output_type):
    model = _requantizing(to_16x8("pad", "wide", io="float32"), input_type, output_type)
    graph = parse_model(model)
    assert [(graph.tensors[op.inputs[0]].dtype, op.op, graph.tensors[op.outputs[0]].dtype)
            for op in graph.operators] == [(input_type, "QUANTIZE", "int16"), ("int16", "PAD", "int16"),
                                           ("int16", "QUANTIZE", output_type)]
    if input_type == "int8":
        x = np.arange(-128, 150, dtype=np.int64)[:150].clip(-128, 127).astype(np.int8).reshape(1, 50, 3)
    else:
        x = float_inputs(model, -12.0, 12.0)[0]
    assert_matches_tflm(model, [x])


# ---- whole models -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["cnn", "mlp"])
@pytest.mark.parametrize("io", ["int16", "float32"])
def test_16x8_networks_match_tflm(name, io):
    model = to_16x8(name, "wide", io=io)
    ops = set(ops_of(model))
    assert {"FULLY_CONNECTED", "SOFTMAX"} <= ops
    if name == "cnn":
        assert {"CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "AVERAGE_POOL_2D"} <= ops
    if io == "float32":
        assert {"QUANTIZE", "DEQUANTIZE"} <= ops
        assert_matches_tflm(model, float_inputs(model, -8.0, 8.0))
    else:
        check(model)


# The int16 layers with 16x8 DSP and Helium kernels (emu/firmware/kernels/optimized/int16_*.c,
# tests/test_ops_int16_fast.py); the others keep their reference kernels.
FAST_16X8 = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"}


def takes_16x8_kernels(paths: dict[str, str], fast: str) -> bool:
    return all(p.endswith(f"{fast}-s16") if op in FAST_16X8 else p.endswith("/reference") for op, p in paths.items())


@pytest.mark.parametrize("mve", [False, True])
def test_faster_kernels_take_only_the_16x8_convolutions_and_fc(mve):
    """Where the int8 form of the network gets faster kernels, the int16 CONV_2D,
    DEPTHWISE_CONV_2D and FULLY_CONNECTED take their 16x8 ones, every other int16 layer keeps
    its reference kernel, and the network computes the same."""
    int8_paths = layer_paths(to_int8("cnn", "wide"), mve)
    assert {p for p in int8_paths.values() if not p.endswith("/reference")}, int8_paths
    model = to_16x8("cnn", "wide")
    paths = layer_paths(model, mve)
    assert set(paths) == set(int8_paths)
    assert takes_16x8_kernels(paths, "mve" if mve else "dsp"), paths
    if not mve:  # the Helium kernels run only on the M55 (the device test)
        assert_matches_tflm(model, sweep_int16(model), "optimized")


# ---- forms TFLM refuses -------------------------------------------------------------------------

def _s16(index, shape, scale=0.01, zero=0, data=None):
    return make_tensor(index, shape, "int16", scale, zero, data)


@pytest.mark.parametrize("op, tensors, inputs, why", [
    ("SOFTMAX", [_s16(0, (1, 10)), _s16(1, (1, 10), 0.01)], [0], "1/32768"),
    ("LOGISTIC", [_s16(0, (4,)), _s16(1, (4,), 2.0**-15, 3)], [0], "zero points 0"),
    ("TANH", [_s16(0, (4,)), _s16(1, (4,), 2.0**-14)], [0], "2\\^-15"),
    ("MUL", [_s16(0, (4,), zero=1), _s16(1, (4,)), _s16(2, (4,))], [0, 1], "zero points 0"),
    ("MAX_POOL_2D", [_s16(0, (1, 4, 4, 1)), _s16(1, (1, 2, 2, 1), zero=2)], [0], "zero points differ"),
])
def test_int16_forms_tflm_refuses_are_refused(op, tensors, inputs, why):
    options = {"filter_height": 2, "filter_width": 2, "stride_h": 2, "stride_w": 2} if op == "MAX_POOL_2D" else {}
    operator, graph = single_op_graph(tensors, op, inputs, [len(tensors) - 1], options)
    with pytest.raises(UnsupportedOperator, match=why):
        lowerings()[op](operator, graph)


def test_int16_depthwise_with_int32_bias_is_refused():
    """TFLM's 16x8 depthwise kernel reads its bias as int64 whatever its type."""
    w = make_tensor(1, (1, 3, 3, 2), "int8", 0.02, 0, np.ones((1, 3, 3, 2), np.int8))
    b = make_tensor(2, (2,), "int32", None, 0, np.zeros(2, np.int32))
    operator, graph = single_op_graph([_s16(0, (1, 5, 5, 2)), w, b, _s16(3, (1, 3, 3, 2))],
                                      "DEPTHWISE_CONV_2D", [0, 1, 2], [3], {"depth_multiplier": 1})
    with pytest.raises(UnsupportedOperator, match="int64"):
        lowerings()["DEPTHWISE_CONV_2D"](operator, graph)


# ---- on the device ------------------------------------------------------------------------------

@needs_arm_gcc
@pytest.mark.parametrize("board", ["rp2040-pico", "nucleo-l4r5zi", "alif-e7-appkit"])
def test_16x8_cnn_matches_tflm_on_the_device(board, tmp_path):
    """One 16x8 model holding CONV_2D, DEPTHWISE_CONV_2D, both poolings, FULLY_CONNECTED,
    SOFTMAX, QUANTIZE and DEQUANTIZE on an M0+, an M4F (optimized kernels by default) and the
    M55 (Helium kernels by default): the convolutions and the FULLY_CONNECTED run their 16x8
    DSP or Helium kernels, every other int16 layer its reference kernel."""
    from emu.platforms import get_platform
    from emu.results.measure import measure

    path = tmp_path / "cnn_16x8.tflite"
    path.write_bytes(to_16x8("cnn", "wide", io="float32"))
    result, _ = measure(path, get_platform(board), variant="int16x8")
    assert result.output_matches_reference is True
    paths = {layer.op: layer.path for layer in result.layers if layer.path}
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "SOFTMAX",
            "QUANTIZE", "DEQUANTIZE"} <= set(paths)
    platform = get_platform(board)
    if platform.dsp:
        assert takes_16x8_kernels(paths, "mve" if platform.mve else "dsp"), paths
    else:
        assert all(p.endswith("/reference") for p in paths.values()), paths
