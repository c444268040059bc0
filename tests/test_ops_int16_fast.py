"""The optimized 16x8 kernels (int16 activations, int8 weights) of FULLY_CONNECTED, CONV_2D and
DEPTHWISE_CONV_2D (emu/firmware/kernels/optimized/int16_dsp.c and int16_mve.c) against the TFLM
interpreter.

On the host the DSP forms run through emu_dsp.h's portable C (the same integers); the device
tests run the DSP instructions on the M4F and the Helium forms on the M55. The models are
converted by TensorFlow's 16x8 converter, with shapes that leave remainders everywhere: depths
and channel counts that are not multiples of 4 or 8, a depth longer than one int32 run of the
kernels (256), padding, strides, dilation, groups, per-channel and per-tensor weights, and a
model whose biases are narrowed to int32 (TFLM then sums in int32).
"""

from __future__ import annotations

import numpy as np
import pytest

from emu.compile.codegen import compile_graph
from emu.compile.ops import lowerings
from emu.model.reader import parse_model
from emu.platforms import get_platform
from emu.results.measure import measure
from tests import model_edits, modelgen
from tests.conftest import needs_arm_gcc
from tests.test_ops_int16 import check, sweep_int16


def _layers():
    return modelgen.tf().keras.layers


# name -> (build(x) -> outputs, input shape without the batch dimension)
CASES = {
    "fc": (lambda x: [_layers().Dense(7, activation="relu")(x), _layers().Dense(1)(x),
                      _layers().Dense(4, use_bias=False)(x)], (13,)),
    "fc_short": (lambda x: _layers().Dense(5)(x), (3,)),  # less than one word of inputs
    "fc_deep": (lambda x: _layers().Dense(3)(x), (601,)),  # three int32 runs, the last short
    "conv": (lambda x: [_layers().Conv2D(3, 3, strides=2, padding="same", activation="relu6")(x),
                        _layers().Conv2D(5, (2, 3), dilation_rate=2, padding="same")(x),
                        _layers().Conv2D(7, 1)(x),
                        _layers().Conv2D(6, 1, strides=2, activation="relu")(x)], (9, 7, 5)),
    "conv_grouped": (lambda x: _layers().Conv2D(6, 3, groups=3, padding="same")(x), (6, 5, 6)),
    "depthwise": (lambda x: [_layers().DepthwiseConv2D(3, padding="same", activation="relu")(x),
                             _layers().DepthwiseConv2D((2, 3), strides=2)(x),
                             _layers().DepthwiseConv2D(3, dilation_rate=2, padding="same")(x),
                             _layers().DepthwiseConv2D(5, padding="same")(x)], (8, 9, 7)),
    "depthwise_wide": (lambda x: _layers().DepthwiseConv2D(3, padding="same", activation="relu6")(x), (5, 6, 13)),
}

# The kernel each case's layers take, with the DSP kernels (the Helium ones: "dsp-s16" -> "mve-s16").
PATHS = {
    "fc": {"fully_connected/dsp-s16"},
    "fc_short": {"fully_connected/dsp-s16"},
    "fc_deep": {"fully_connected/dsp-s16"},
    "conv": {"conv_2d/im2col-dsp-s16", "conv_2d/1x1-dsp-s16"},
    "conv_grouped": {"conv_2d/im2col-dsp-s16"},
    "depthwise": {"depthwise_conv_2d/3x3-dm1-dsp-s16", "depthwise_conv_2d/2x3-dm1-dsp-s16",
                  "depthwise_conv_2d/5x5-dm1-dsp-s16"},
    "depthwise_wide": {"depthwise_conv_2d/3x3-dm1-dsp-s16"},
}


def convert_16x8(name: str, per_channel: bool = True, seed: int = 0) -> bytes:
    """The case converted to 16x8, int16 at the edges, calibrated on [-1, 1) with random biases."""
    t = modelgen.tf()
    build, shape = CASES[name]
    t.keras.utils.set_random_seed(seed)
    x = t.keras.Input(shape=shape, batch_size=1)
    model = t.keras.Model(x, build(x))
    rng = np.random.default_rng(seed)
    for layer in model.layers:  # biases random too, so they matter
        weights = layer.get_weights()
        if len(weights) > 1:
            layer.set_weights([weights[0], *(rng.normal(0, 0.3, w.shape).astype(w.dtype) for w in weights[1:])])
    converter = t.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [t.lite.Optimize.DEFAULT]
    converter.representative_dataset = modelgen.representative(shape, seed)
    converter.target_spec.supported_ops = [t.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    converter.inference_input_type = converter.inference_output_type = t.int16
    if not per_channel:
        converter._experimental_disable_per_channel = True
        converter._experimental_disable_per_channel_quantization_for_dense_layers = True
    return converter.convert()


def paths_of(model: bytes, mve: bool) -> set[str]:
    return {layer.path for layer in compile_graph(parse_model(model), "optimized", mve).layers
            if layer.op in ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D")}


# The converter quantizes a 16x8 depthwise filter per channel only.
@pytest.mark.parametrize("name, per_channel", [(name, per_channel) for name in CASES for per_channel in (True, False)
                                               if per_channel or not name.startswith("depthwise")])
def test_optimized_16x8_kernels_match_tflm_on_the_host(name, per_channel):
    model = convert_16x8(name, per_channel)
    assert paths_of(model, mve=False) == PATHS[name]
    assert paths_of(model, mve=True) == {p.replace("dsp-s16", "mve-s16") for p in PATHS[name]}
    check(model, "optimized")


def test_16x8_layers_carry_their_path_and_macs():
    model = convert_16x8("conv")
    layers = [layer for layer in compile_graph(parse_model(model), "optimized").layers if layer.op == "CONV_2D"]
    # Output pixels x output channels x window, from the shapes above: (9, 7, 5) in.
    assert [(layer.path, layer.macs) for layer in layers] == [
        ("conv_2d/im2col-dsp-s16", 5 * 4 * 3 * (3 * 3 * 5)),
        ("conv_2d/im2col-dsp-s16", 9 * 7 * 5 * (2 * 3 * 5)),
        ("conv_2d/1x1-dsp-s16", 9 * 7 * 7 * 5),
        ("conv_2d/1x1-dsp-s16", 5 * 4 * 6 * 5),
    ]


def test_int32_bias_sums_in_int32_with_the_optimized_kernels():
    """The conv and fc models with their int64 biases narrowed to int32: TFLM then sums in int32
    and rescales with the 32-bit multiply, which the optimized kernels follow too."""
    for name in ("conv", "fc"):
        narrowed = model_edits.with_int32_biases(convert_16x8(name))
        graph = parse_model(narrowed)
        calls = [lowerings()[o.op](o, graph) for o in graph.operators if o.op in ("CONV_2D", "FULLY_CONNECTED")]
        assert 1 in {c.params["accumulate_32"] for c in calls}
        assert paths_of(narrowed, mve=False) == PATHS[name]
        check(narrowed, "optimized")


def depth_multiplier_model() -> bytes:
    """16x8 depthwise layers with depth multipliers 2 (3 channels to 6: VALID) and 3 (6 to 18,
    SAME, stride 2): output channel counts that leave 2 lanes of the last vector of four."""
    t = modelgen.tf()
    L = t.keras.layers
    CASES["depthwise_dm"] = (lambda x: L.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=3)(
        L.DepthwiseConv2D(3, depth_multiplier=2, activation="relu")(x)), (7, 8, 3))
    try:
        return convert_16x8("depthwise_dm", seed=4)
    finally:
        del CASES["depthwise_dm"]


def test_16x8_depthwise_with_a_depth_multiplier_takes_the_helium_kernel_and_keeps_the_reference_elsewhere():
    model = depth_multiplier_model()
    dsp = compile_graph(parse_model(model), "optimized", mve=False).layers
    assert [layer.path for layer in dsp] == ["depthwise_conv_2d/reference"] * 2
    assert "depth multiplier 2" in dsp[0].fallback and "depth multiplier 3" in dsp[1].fallback
    assert paths_of(model, mve=True) == {"depthwise_conv_2d/3x3-dm2-mve-s16", "depthwise_conv_2d/3x3-dm3-mve-s16"}
    check(model, "optimized")


@needs_arm_gcc
def test_16x8_depthwise_with_a_depth_multiplier_matches_tflm_on_the_m55(tmp_path):
    path = tmp_path / "depthwise_dm.tflite"
    path.write_bytes(depth_multiplier_model())
    for inputs in (None, sweep_int16(path.read_bytes())):
        result, _ = measure(path, get_platform("alif-e7-appkit"), inputs=inputs, kernels="optimized")
        assert result.output_matches_reference is True
        # output pixels x output channels x the whole window, from the shapes above: (7, 8, 3) in,
        # 5x6x6 after the VALID layer, 3x3x18 after the SAME stride-2 one
        assert [(layer.path, layer.macs) for layer in result.layers] == [
            ("depthwise_conv_2d/3x3-dm2-mve-s16", 5 * 6 * 6 * 9),
            ("depthwise_conv_2d/3x3-dm3-mve-s16", 3 * 3 * 18 * 9),
        ]


# ---- on the device: the DSP instructions on the M4F, the Helium ones on the M55 ----------------

def device_model() -> bytes:
    """Every optimized 16x8 form in one model: a 3x3 CONV_2D (SAME, stride 2) on 5 channels, a 1x1
    CONV_2D to 7, a DEPTHWISE_CONV_2D on those 7 (SAME, padding on every side), FULLY_CONNECTED."""
    t = modelgen.tf()
    L = t.keras.layers
    CASES["device"] = (lambda x: L.Dense(9)(L.Flatten()(L.DepthwiseConv2D(3, padding="same", activation="relu")(
        L.Conv2D(7, 1)(L.Conv2D(6, 3, strides=2, padding="same", activation="relu")(x))))), (9, 10, 5))
    try:
        return convert_16x8("device", seed=3)
    finally:
        del CASES["device"]


@needs_arm_gcc
@pytest.mark.parametrize("board", ["nucleo-l4r5zi", "alif-e7-appkit"])
def test_optimized_16x8_kernels_match_tflm_on_the_device(board, tmp_path):
    path = tmp_path / "int16x8.tflite"
    path.write_bytes(device_model())
    platform = get_platform(board)
    form = "mve" if platform.mve else "dsp"
    for inputs in (None, sweep_int16(path.read_bytes())):
        result, _ = measure(path, platform, inputs=inputs, kernels="optimized")
        assert result.output_matches_reference is True, board
        assert {layer.path for layer in result.layers if layer.macs} == {
            f"conv_2d/im2col-{form}-s16", f"conv_2d/1x1-{form}-s16", f"depthwise_conv_2d/3x3-dm1-{form}-s16",
            f"fully_connected/{form}-s16"}
