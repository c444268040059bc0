"""MEAN and TRANSPOSE_CONV with 16-bit activations and 8-bit weights (TFLite's 16x8
quantization) against the TFLM interpreter.

MEAN is what Keras' global average poolings and reduce_mean convert to; the cases reduce
over one, two and non-neighbouring axes, with and without keep_dims, and over 9216
elements. TRANSPOSE_CONV uses strides
1, 2 and unequal ones with SAME and VALID padding, with an int64 bias, without one, and
with an int16 bias (which TFLM widens to int64; the converter writes int64, so that model is
a converted one with the bias tensor's type edited). Each model is a small Keras model
converted as tests/test_ops_int16.py converts them, and the generated C, built for the host,
must give exactly TFLM's outputs. One device test runs a model holding both on a Cortex-M0+
and an M4F.
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
from tests.test_ops_int16 import check, int16_ops
from tests.test_ops_misc import assert_matches_tflm, convert_calibrated, make_tensor, single_op_graph


def _layers():
    return modelgen.tf().keras.layers


def _reduce_mean(axis, keepdims):
    return lambda x: _layers().Lambda(lambda t: modelgen.tf().reduce_mean(t, axis=axis, keepdims=keepdims))(x)


def _deconv(filters, kernel, strides, padding, **options):
    return lambda x: _layers().Conv2DTranspose(filters, kernel, strides=strides, padding=padding, **options)(x)


# name -> (build(input) -> outputs, input shape without the batch dimension)
CASES = {
    "gap2d": (lambda x: _layers().GlobalAveragePooling2D()(x), (5, 6, 4)),
    "gap1d_keep": (lambda x: _layers().GlobalAveragePooling1D(keepdims=True)(x), (9, 3)),
    "mean_last": (_reduce_mean(-1, False), (4, 5, 6)),
    "mean_outer_inner": (_reduce_mean([1, 3], True), (3, 4, 5)),  # non-neighbouring axes
    # 96 * 96 = 9216 elements: 1/count folds 2^13 into the multiplier; sums reach far past int16
    "mean_large": (_reduce_mean([1, 2], False), (96, 96, 1)),
    "deconv_same_s2": (_deconv(3, 3, 2, "same"), (3, 4, 2)),
    "deconv_valid_s2": (_deconv(3, 3, 2, "valid", use_bias=False), (3, 4, 2)),
    "deconv_same_s1": (_deconv(4, (3, 2), 1, "same", activation="relu"), (4, 5, 3)),
    "deconv_gaps": (_deconv(2, 2, (3, 2), "valid"), (3, 4, 2)),  # outputs no input reaches
    "deconv_deep": (_deconv(2, 3, 2, "same"), (2, 2, 300)),  # more than one int32 run of products
    "device": (lambda x: [_deconv(3, 3, 2, "same")(x), _layers().GlobalAveragePooling2D()(
        _deconv(2, 2, 1, "valid", use_bias=False)(x))], (4, 3, 2)),
}
MEANS = [name for name in CASES if name.startswith(("gap", "mean"))]
DECONVS = [name for name in CASES if name.startswith("deconv")]


@functools.lru_cache(maxsize=None)
def to_16x8(name: str, range_name: str = "wide", io: str = "int16") -> bytes:
    """The case converted to 16x8, with random biases (Keras starts them at zero, which the
    converter would drop)."""
    t = modelgen.tf()
    build, shape = CASES[name]
    t.keras.utils.set_random_seed(0)
    x = t.keras.Input(shape=shape, batch_size=1, name="in0")
    model = t.keras.Model(x, build(x))
    rng = np.random.default_rng(0)
    for layer in model.layers:
        weights = layer.get_weights()
        if len(weights) > 1:
            layer.set_weights([weights[0], *(rng.normal(0, 0.3, w.shape).astype(w.dtype) for w in weights[1:])])
    if io == "int16":
        return convert_calibrated(model, [shape], "int16", range_name)
    converter = t.lite.TFLiteConverter.from_keras_model(model)  # float32 at the edges, 16x8 inside
    converter.optimizations = [t.lite.Optimize.DEFAULT]
    low, high = -8.0, 8.0
    converter.representative_dataset = lambda: ([rng.uniform(low, high, (1, *shape)).astype(np.float32)]
                                                for _ in range(32))
    converter.target_spec.supported_ops = [t.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    return converter.convert()


def _operators(model: bytes, name: str) -> list:
    graph = parse_model(model)
    return graph, [op for op in graph.operators if op.op == name]


# ---- MEAN ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("range_name", ["wide", "tiny"])
@pytest.mark.parametrize("name", MEANS)
def test_int16_mean_matches_tflm(name, range_name):
    model = to_16x8(name, range_name)
    assert ("MEAN", "int16") in int16_ops(model), int16_ops(model)
    graph, (op,) = _operators(model, "MEAN")
    rank = len(graph.tensors[op.inputs[0]].shape)
    axes = sorted(int(a) % rank for a in np.asarray(graph.tensors[op.inputs[1]].data).reshape(-1))
    keep = bool(op.options.get("keep_dims"))
    expected = {"gap2d": ([1, 2], False), "gap1d_keep": ([1], True), "mean_last": ([3], False),
                "mean_outer_inner": ([1, 3], True), "mean_large": ([1, 2], False)}[name]
    assert (axes, keep) == expected
    check(model)
    layer = next(layer for layer in compile_graph(graph).layers if layer.op == "MEAN")
    assert layer.path == "mean/reference"


# ---- TRANSPOSE_CONV -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", DECONVS)
def test_int16_transpose_conv_matches_tflm(name):
    model = to_16x8(name)
    assert ("TRANSPOSE_CONV", "int16") in int16_ops(model), int16_ops(model)
    graph, (op,) = _operators(model, "TRANSPOSE_CONV")
    has_bias = len(op.inputs) > 3 and op.inputs[3] >= 0
    assert has_bias == (name != "deconv_valid_s2")
    if has_bias:
        assert graph.tensors[op.inputs[3]].dtype == "int64"
    check(model)
    layer = next(layer for layer in compile_graph(graph).layers if layer.op == "TRANSPOSE_CONV")
    assert layer.path == "transpose_conv/reference"


def test_int16_transpose_conv_with_float_edges_matches_tflm():
    model = to_16x8("deconv_same_s2", io="float32")
    assert [op for op, _ in int16_ops(model)] == ["QUANTIZE", "TRANSPOSE_CONV", "DEQUANTIZE"]
    rng = np.random.default_rng(5)
    for _ in range(2):
        assert_matches_tflm(model, [rng.uniform(-8, 8, (1, 3, 4, 2)).astype(np.float32)])


def _with_int16_bias(model: bytes) -> bytes:
    """The model with its TRANSPOSE_CONV's int64 bias stored as int16 (values clipped)."""
    def change(m, g):
        (op,) = [op for op in g.operators if m.operatorCodes[op.opcodeIndex].builtinCode == 67]
        tensor = g.tensors[op.inputs[3]]
        values = np.frombuffer(bytes(m.buffers[tensor.buffer].data), dtype=np.int64)
        m.buffers[tensor.buffer].data = np.clip(values, -32768, 32767).astype("<i2").view(np.uint8).copy()
        tensor.type = 7  # INT16
    return model_edits.edited(model, change)


def test_int16_transpose_conv_with_an_int16_bias_matches_tflm():
    model = _with_int16_bias(to_16x8("deconv_same_s2"))
    graph, (op,) = _operators(model, "TRANSPOSE_CONV")
    bias = graph.tensors[op.inputs[3]]
    assert bias.dtype == "int16" and np.any(bias.data != 0)
    check(model)


def _deconv_16x8(bias_dtype: str | None, zero: int = 0):
    tensors = [make_tensor(0, (4,), "int32", data=np.array([1, 4, 4, 2], dtype=np.int32)),
               make_tensor(1, (2, 3, 3, 2), "int8", 0.01, data=np.ones((2, 3, 3, 2), dtype=np.int8)),
               make_tensor(2, (1, 2, 2, 2), "int16", 0.001, zero), make_tensor(3, (1, 4, 4, 2), "int16", 0.001)]
    inputs = [0, 1, 2]
    if bias_dtype:
        tensors.append(make_tensor(4, (2,), bias_dtype, data=np.zeros(2, dtype=bias_dtype)))
        inputs.append(4)
    return single_op_graph(tensors, "TRANSPOSE_CONV", inputs, [3], {"padding": "SAME", "stride_h": 2,
                                                                    "stride_w": 2})


@pytest.mark.parametrize("bias_dtype, zero, why", [
    ("int32", 0, "int32 bias with int16 activations"),  # TFLM's 16x8 kernel would read it as int64
    (None, 3, "zero point 0"),
])
def test_int16_transpose_conv_forms_are_refused(bias_dtype, zero, why):
    operator, graph = _deconv_16x8(bias_dtype, zero)
    with pytest.raises(UnsupportedOperator, match=why):
        lowerings()["TRANSPOSE_CONV"](operator, graph)


@pytest.mark.parametrize("bias_dtype", [None, "int16", "int64"])
def test_int16_transpose_conv_takes_the_biases_tflm_takes(bias_dtype):
    operator, graph = _deconv_16x8(bias_dtype)
    call = lowerings()["TRANSPOSE_CONV"](operator, graph)
    assert call.function == "emu_transpose_conv_s16"
    assert call.params["bias"].values.dtype == np.int64 and call.params["bias"].values.size == 2


# ---- on the device --------------------------------------------------------------------------------

@needs_arm_gcc
@pytest.mark.qemu
@pytest.mark.parametrize("board", ["rp2040-pico", "nucleo-l4r5zi"])
def test_16x8_mean_and_transpose_conv_match_tflm_on_the_device(board, tmp_path):
    from emu.platforms import get_platform
    from emu.results.measure import measure

    model = to_16x8("device")
    assert {("MEAN", "int16"), ("TRANSPOSE_CONV", "int16")} <= set(int16_ops(model)), int16_ops(model)
    path = tmp_path / "mean_deconv_16x8.tflite"
    path.write_bytes(model)
    result, _ = measure(path, get_platform(board), inputs=modelgen.random_input(model, 4), variant="int16x8")
    assert result.output_matches_reference is True
    assert result.reference == "tflm"
    paths = {layer.op: layer.path for layer in result.layers if layer.path}
    assert paths["MEAN"] == "mean/reference" and paths["TRANSPOSE_CONV"] == "transpose_conv/reference"
