"""CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and the pooling operators against TFLM.

Each case is a small Keras model converted by TensorFlow's converter to float32, int8 with
per-channel weights and int8 with per-tensor weights; the generated C, built for the host,
must give exactly TFLM's int8 outputs and its float32 outputs within 1e-5 relative.
"""

from __future__ import annotations

import numpy as np
import pytest

from emu.compile.hostrun import compile_and_run_on_host
from emu.errors import EmuError
from emu.model.oracle import tflm_outputs
from emu.model.reader import parse_model
from tests.modelgen import (
    keras_model,
    random_input,
    tf,
    to_dynamic_range,
    to_float,
    to_int8,
)


def dilated_conv(filters, kernel, dilation, padding, strides=1, depthwise=False):
    """A convolution with native dilation. Keras' own dilated layers convert to
    SPACE_TO_BATCH_ND around an undilated convolution; the raw ops keep the dilation."""
    t = tf()

    class Dilated(t.keras.layers.Layer):
        def build(self, input_shape):
            channels = input_shape[-1]
            self.kernel = self.add_weight(shape=(*kernel, channels, filters), initializer="glorot_uniform")
            self.bias = self.add_weight(shape=(channels * filters if depthwise else filters,), initializer="zeros")

        def call(self, x):
            rates = [1, *dilation, 1]
            steps = [1, strides, strides, 1]
            if depthwise:
                y = t.raw_ops.DepthwiseConv2dNative(input=x, filter=self.kernel, strides=steps,
                                                   padding=padding, dilations=rates)
            else:
                y = t.nn.conv2d(x, self.kernel, steps, padding, dilations=rates)
            return t.nn.relu(y + self.bias)

    return Dilated()


def batch_model(layers, input_shape, batch, seed=0):
    """Like keras_model, with a fixed batch size, so dense layers convert without shape ops."""
    t = tf()
    t.keras.utils.set_random_seed(seed)
    model = t.keras.Sequential([t.keras.Input(shape=input_shape, batch_size=batch), *layers])
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if len(weights) > 1:
            layer.set_weights([weights[0], *(rng.normal(0, 0.3, w.shape).astype(w.dtype) for w in weights[1:])])
    return model


def batch_to_int8(model, shape, per_channel=True):
    t = tf()
    rng = np.random.default_rng(0)
    converter = t.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [t.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([rng.uniform(-1, 1, shape).astype(np.float32)] for _ in range(32))
    converter.target_spec.supported_ops = [t.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = t.int8
    if not per_channel:
        converter._experimental_disable_per_channel = True
        converter._experimental_disable_per_channel_quantization_for_dense_layers = True
    return converter.convert()


def K():
    return tf().keras.layers


# name -> (layers, input shape (without batch), batch or None for keras_model's batch-free input)
CASES = {
    # CONV_2D
    "conv3x3_same_relu": (lambda: [K().Conv2D(5, 3, padding="same", activation="relu")], (7, 9, 3), None),
    "conv5x3_valid_s2": (lambda: [K().Conv2D(4, (5, 3), strides=2)], (11, 9, 2), None),
    "conv1x1_relu6": (lambda: [K().Conv2D(6, 1, activation="relu6")], (5, 5, 8), None),
    "conv1x1_odd": (lambda: [K().Conv2D(7, 1)], (3, 5, 19), None),
    "conv1x1_s2": (lambda: [K().Conv2D(4, 1, strides=2, activation="relu")], (7, 6, 5), None),
    "conv3x3_same_s2_clip": (lambda: [K().Conv2D(6, 3, strides=2, padding="same", use_bias=False),
                                      K().Lambda(lambda v: tf().clip_by_value(v, -1.0, 1.0))], (9, 8, 4), None),
    "conv_grouped": (lambda: [K().Conv2D(4, 3, strides=2, padding="same", groups=2)], (9, 8, 4), None),
    "conv_dilated": (lambda: [dilated_conv(3, (3, 3), (2, 3), "SAME")], (11, 10, 5), None),
    "conv_batch2": (lambda: [K().Conv2D(3, 3, padding="same")], (6, 5, 2), 2),
    # DEPTHWISE_CONV_2D
    "dw3x3_same_relu6": (lambda: [K().DepthwiseConv2D(3, padding="same", activation="relu6")], (9, 7, 6), None),
    "dw3x3_same_s2_dm2": (lambda: [K().DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2)],
                          (8, 9, 3), None),
    "dw5x3_valid_dm4": (lambda: [K().DepthwiseConv2D((5, 3), depth_multiplier=4, activation="relu")],
                        (7, 6, 2), None),
    "dw3x3_s2_dm8": (lambda: [K().DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=8)],
                     (10, 9, 1), None),
    "dw_dilated": (lambda: [dilated_conv(1, (3, 3), (2, 2), "SAME", depthwise=True)], (9, 10, 5), None),
    # FULLY_CONNECTED
    "fc_relu": (lambda: [K().Dense(10, activation="relu")], (16,), 1),
    "fc_batch3": (lambda: [K().Dense(7)], (9,), 3),
    "fc_keep_dims": (lambda: [K().Dense(5, activation="relu6")], (4, 9), 1),
    "fc_no_bias": (lambda: [K().Flatten(), K().Dense(3, use_bias=False)], (4, 9), 1),
    # pooling
    "avgpool3_s2_same": (lambda: [K().AveragePooling2D(3, strides=2, padding="same")], (9, 7, 5), None),
    "avgpool2x3_valid": (lambda: [K().AveragePooling2D((2, 3), strides=(1, 2))], (6, 9, 3), None),
    "maxpool3_s2_same_relu": (lambda: [K().MaxPooling2D(3, strides=2, padding="same"), K().ReLU()],
                              (9, 8, 3), None),
    "maxpool2_valid": (lambda: [K().MaxPooling2D(2)], (7, 9, 4), None),
}
VARIANTS = ("float32", "int8", "int8_per_tensor")


@pytest.fixture(scope="module")
def models():
    """Converted models, made on first use and shared by every test in the module."""
    cache: dict[tuple[str, str], bytes] = {}

    def get(case: str, variant: str) -> bytes:
        if (case, variant) not in cache:
            layers, shape, batch = CASES[case]
            seed = sorted(CASES).index(case)
            if batch is None:
                model = keras_model(layers(), shape, seed=seed)
                convert = {"float32": to_float,
                           "int8": lambda m: to_int8(m, shape, seed=seed),
                           "int8_per_tensor": lambda m: to_int8(m, shape, seed=seed, per_channel=False)}
            else:
                model = batch_model(layers(), shape, batch, seed=seed)
                convert = {"float32": to_float,
                           "int8": lambda m: batch_to_int8(m, (batch, *shape)),
                           "int8_per_tensor": lambda m: batch_to_int8(m, (batch, *shape), per_channel=False)}
            cache[case, variant] = convert[variant](model)
        return cache[case, variant]

    return get


def assert_matches_tflm(model: bytes, seeds=(0, 1), kernel_set: str = "reference") -> None:
    for seed in seeds:
        inputs = random_input(model, seed=seed)
        got, want = compile_and_run_on_host(model, inputs, kernel_set), tflm_outputs(model, inputs)
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype and g.shape == w.shape
            if g.dtype == np.float32:
                np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
            else:
                np.testing.assert_array_equal(g, w)


KERNEL_SETS = ("reference", "optimized")


@pytest.mark.parametrize("kernel_set", KERNEL_SETS)
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_tflm(models, case, variant, kernel_set):
    model = models(case, variant)
    ops = {op.op for op in parse_model(model).operators}
    assert ops & {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D"}, ops
    assert_matches_tflm(model, kernel_set=kernel_set)


def test_conversions_keep_the_forms_under_test(models):
    """The cases test what their names say only if the converter keeps those forms."""
    def options(case, variant="int8"):
        graph = parse_model(models(case, variant))
        return graph, {op.op: op for op in graph.operators}

    _, ops = options("conv_dilated")
    assert (ops["CONV_2D"].options["dilation_hfactor"], ops["CONV_2D"].options["dilation_wfactor"]) == (2, 3)
    _, ops = options("dw_dilated")
    assert ops["DEPTHWISE_CONV_2D"].options["dilation_hfactor"] == 2
    graph, ops = options("conv_grouped")
    assert graph.tensors[ops["CONV_2D"].inputs[1]].shape[3] == 2  # filter depth = input depth / groups
    _, ops = options("conv3x3_same_s2_clip")
    assert ops["CONV_2D"].options["fused_activation_function"] == "RELU_N1_TO_1"
    _, ops = options("maxpool3_s2_same_relu")
    assert ops["MAX_POOL_2D"].options["fused_activation_function"] == "RELU"
    graph, ops = options("fc_keep_dims")
    assert ops["FULLY_CONNECTED"].options["keep_num_dims"]
    graph, ops = options("fc_no_bias")
    assert ops["FULLY_CONNECTED"].inputs[2] == -1
    graph, ops = options("fc_batch3")
    assert graph.tensors[ops["FULLY_CONNECTED"].inputs[0]].shape == (3, 9)
    for case, op in (("conv1x1_odd", "CONV_2D"), ("fc_relu", "FULLY_CONNECTED")):
        for variant, scales in (("int8", 2), ("int8_per_tensor", 1)):
            graph, ops = options(case, variant)
            assert (len(graph.tensors[ops[op].inputs[1]].quantization.scale) > 1) == (scales > 1)


def test_hybrid_models_are_rejected():
    layers, shape = [K().Dense(64, activation="relu")], (32,)
    model = to_dynamic_range(batch_model(layers, shape, 1))
    weights = {t.dtype for t in parse_model(model).tensors if t.is_constant}
    assert "int8" in weights
    with pytest.raises(EmuError, match="hybrid \\(dynamic-range quantized\\) models are not supported"):
        compile_and_run_on_host(model, random_input(model))


def test_fast_rescale_is_the_reference_arithmetic(tmp_path):
    """emu_rescale (emu_quant.h), which every int8 output of these kernels goes through,
    against the quantization spec's arithmetic in Python, including ties and extremes."""
    import ctypes
    import shutil
    import subprocess

    from emu.compile.hostrun import FIRMWARE
    from emu.compile.quant import multiply_by_quantized_multiplier

    cc = shutil.which("cc") or shutil.which("gcc")
    source = tmp_path / "rescale.c"
    source.write_text('#include "emu_quant.h"\n'
                      "int32_t rescale(int32_t a, int32_t m, int s) { return emu_rescale(a, m, s); }\n")
    library = tmp_path / "rescale.so"
    subprocess.run([cc, "-O2", "-shared", "-fPIC", f"-I{FIRMWARE / 'kernels'}", str(source), "-o", str(library)],
                   check=True)
    rescale = ctypes.CDLL(str(library)).rescale
    rescale.restype = ctypes.c_int32
    rescale.argtypes = [ctypes.c_int32] * 3

    rng = np.random.default_rng(0)
    extremes = [0, 1, -1, 3, -3, 2**31 - 1, -(2**31), 2**30, -(2**30), 2**30 + 1, -(2**30) - 1]
    for shift in range(-31, 4):
        # 2**30 makes every odd accumulator an exact tie of the doubling high multiply
        for multiplier in [0, 2**30, 2**31 - 1, *rng.integers(2**30, 2**31, 8).tolist()]:
            accs = extremes + rng.integers(-(2**31), 2**31, 64).tolist() + rng.integers(-3000, 3000, 64).tolist()
            for acc in accs:
                shifted = int(np.array([acc], np.int32).astype(np.uint32)[0]) << max(shift, 0)
                wrapped = int(np.array([shifted & 0xFFFFFFFF], np.uint32).view(np.int32)[0])
                want = multiply_by_quantized_multiplier(wrapped, multiplier, min(shift, 0))
                assert rescale(acc, multiplier, shift) == want, (acc, multiplier, shift)


from tests.conftest import SHARED_MODELS  # noqa: E402  (the corpus beside the clone, as CI lays it)


@pytest.mark.skipif(not SHARED_MODELS.is_dir(), reason="the shared reference models are not on this machine")
@pytest.mark.parametrize("kernel_set", KERNEL_SETS)
@pytest.mark.parametrize("name", ["hello_world_int8", "hello_world_float", "person_detect", "micro_speech_quantized"])
def test_reference_models_match_tflm(name, kernel_set):
    model = (SHARED_MODELS / f"{name}.tflite").read_bytes()
    assert_matches_tflm(model, seeds=(0, 1), kernel_set=kernel_set)


@pytest.mark.skipif(not SHARED_MODELS.is_dir(), reason="the shared reference models are not on this machine")
@pytest.mark.parametrize("kernel_set", KERNEL_SETS)
def test_person_detect_on_a_blank_image(kernel_set):
    model = (SHARED_MODELS / "person_detect.tflite").read_bytes()
    blank = [np.zeros((1, 96, 96, 1), np.int8)]
    assert compile_and_run_on_host(model, blank, kernel_set)[0].tolist() == [[72, -72]]
