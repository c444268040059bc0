"""Output channels the optimized kernels' rescale could not take as they are, against TFLM.

Pruned channels (an all-zero filter) come out of TensorFlow's converter with a bias clamped to
+-2^30 and a scale that makes their rescale tiny, as in vww_96_int8: the optimized kernels'
exact rescale needs |acc| << (max(shift, 0) + 1) in int32, which such a bias breaks. The
compiler gives those channels (and live channels whose huge bias saturates them) a rescale of
their own (emu/compile/constant_channels.py), so the layer keeps its optimized kernel; TFLM's
interpreter says what every output must be. A channel whose output is not a constant makes its
layer fall back, and the compiler says why: `emu bench` lists it.
"""

from __future__ import annotations

import numpy as np
import pytest

from emu.compile.codegen import compile_graph
from emu.compile.hostrun import run_compiled_on_host_many
from emu.model.oracle import tflm_outputs
from emu.model.reader import parse_model
from tests import model_edits, modelgen
from tests.conftest import needs_arm_gcc

SHAPE = (6, 6, 8)
DEAD = (0, 3)  # all-zero filters: biases 0.4 (an output inside the range) and -3.0
SATURATED = {5: 2_000_000_000, 6: -2_000_000_000}  # live filters, biases past any output
OPTIMIZED_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


def _layers():
    layers = modelgen.tf().keras.layers
    return [layers.Conv2D(12, 1), layers.DepthwiseConv2D(3, padding="same", activation="relu6"),
            layers.Conv2D(8, 3, padding="same", activation="relu"), layers.Reshape((6 * 6 * 8,)),
            layers.Dense(12)]


def _with_biases(model: bytes, biases: dict[int, int]) -> bytes:
    """Every layer with a bias gets these int32 values at these channels."""
    def change(m, g):
        for op in g.operators:
            if len(op.inputs) < 3 or op.inputs[2] < 0:
                continue
            buffer = m.buffers[g.tensors[op.inputs[2]].buffer]
            data = np.frombuffer(bytes(bytearray(buffer.data)), np.int32).copy()
            for c, v in biases.items():
                data[c] = v
            buffer.data = np.frombuffer(data.tobytes(), np.uint8)
    return model_edits.edited(model, change)


def dead_channel_model(per_channel: bool = True) -> bytes:
    keras = modelgen.keras_model(_layers(), SHAPE, seed=5)
    dw = modelgen.tf().keras.layers.DepthwiseConv2D
    for layer in keras.layers:
        if not layer.get_weights():
            continue
        kernel, bias = layer.get_weights()
        for c in DEAD:
            if isinstance(layer, dw):
                kernel[:, :, c, 0] = 0
            else:
                kernel[..., c] = 0
        bias[DEAD[0]], bias[DEAD[1]] = 0.4, -3.0
        layer.set_weights([kernel, bias])
    return _with_biases(modelgen.to_int8(keras, SHAPE, per_channel=per_channel), SATURATED)


def _bias_and_rows(graph, op) -> tuple[np.ndarray, np.ndarray]:
    w = graph.tensor(op.inputs[1]).data
    rows = w.reshape(-1, w.shape[-1]).T if op.op == "DEPTHWISE_CONV_2D" else w.reshape(w.shape[0], -1)
    return graph.tensor(op.inputs[2]).data.astype(np.int64), rows


def _inputs(model: bytes) -> list[list[np.ndarray]]:
    """Random inputs, and the two extremes."""
    return [modelgen.random_input(model, seed=s) for s in range(6)] + [
        [np.full((1, *SHAPE), v, np.int8)] for v in (-128, 127)]


def _matches_tflm(model: bytes, compiled) -> None:
    inputs = _inputs(model)
    for x, got in zip(inputs, run_compiled_on_host_many(compiled, inputs), strict=True):
        np.testing.assert_array_equal(got[0], tflm_outputs(model, x)[0])


@pytest.fixture(scope="module")
def dead_models() -> dict[str, bytes]:
    return {"per-channel": dead_channel_model(), "per-tensor": dead_channel_model(per_channel=False)}


def test_the_model_has_the_channels_the_optimized_rescale_refused(dead_models):
    """The oracle for 'these layers used to fall back': a bias of at least 2^30, shifted left by at
    least one bit as the optimized rescale does, leaves int32."""
    graph = parse_model(dead_models["per-channel"])
    layers = [op for op in graph.operators if op.op in OPTIMIZED_OPS]
    assert len(layers) == 4
    for op in layers:
        bias, rows = _bias_and_rows(graph, op)
        for c in DEAD:
            assert not rows[c].any() and abs(bias[c]) >= 2**30, (op.op, c)
        for c, v in SATURATED.items():
            assert rows[c].any() and bias[c] == v


@pytest.mark.parametrize("quantization", ["per-channel", "per-tensor"])
def test_constant_channels_keep_the_optimized_kernels_and_match_tflm(dead_models, quantization):
    model = dead_models[quantization]
    compiled = compile_graph(parse_model(model), "optimized")
    fast = [layer for layer in compiled.layers if layer.op in OPTIMIZED_OPS]
    assert [layer.path.endswith("-dsp") or layer.path.endswith("/dsp") for layer in fast] == [True] * 4, \
        [(layer.path, layer.fallback) for layer in fast]
    assert not any(layer.fallback for layer in compiled.layers)
    _matches_tflm(model, compiled)
    # the Helium kernels take the same parameters
    vector = compile_graph(parse_model(model), "optimized", mve=True).layers
    assert [layer.path.endswith("-mve") or layer.path.endswith("/mve") for layer in vector
            if layer.op in OPTIMIZED_OPS] == [True] * 4


# ---- pruned layers: constant channels cost no multiplies and no flash ------------------------

PRUNED = range(12)  # 12 of 16 output channels pruned to all-zero filters
LIVE_CHANNELS = 4


def pruned_model() -> bytes:
    """A 1x1 and a 3x3 CONV_2D, each with 12 of its 16 channels pruned: the sparse form is the
    smaller, so the reference kernels store them sparse for flash."""
    layers = modelgen.tf().keras.layers
    keras = modelgen.keras_model([layers.Conv2D(16, 1, activation="relu"),
                                  layers.Conv2D(16, 3, padding="same")], SHAPE, seed=11)
    for layer in keras.layers:
        kernel, bias = layer.get_weights()
        kernel[..., list(PRUNED)] = 0
        layer.set_weights([kernel, bias])
    return modelgen.to_int8(keras, SHAPE)


def test_pruned_channels_are_skipped_and_left_out_of_the_filter():
    model = pruned_model()
    graph = parse_model(model)
    assert [layer.function for layer in compile_graph(graph, "reference", objective="flash").layers] == \
        ["emu_conv2d_sparse_s8"] * 2
    compiled = compile_graph(graph, "optimized")
    assert [layer.path for layer in compiled.layers] == ["conv_2d/1x1-dsp", "conv_2d/im2col-dsp"]
    assert not any(layer.fallback for layer in compiled.layers)
    # the filters hold the live channels' rows only: 1x1 over 8 inputs, 3x3 over 16
    assert (compiled.weight_format, compiled.filter_bytes) == ("int8", LIVE_CHANNELS * (8 + 9 * 16))
    # the M55's vector kernels take the dense filter whole (they do not skip channels)
    helium = compile_graph(graph, "optimized", mve=True)
    assert all(layer.path.endswith("-mve") and not layer.fallback for layer in helium.layers)
    _matches_tflm(model, compiled)


# ---- a channel that is not a constant -----------------------------------------------------

LIVE = 7  # its filter all +1 steps: the extreme inputs give its accumulator's two ends


def _output_at(model: bytes, bias: int, x: int) -> int:
    return int(tflm_outputs(_with_biases(model, {LIVE: bias}), [np.full((1, *SHAPE), x, np.int8)])[0][0, 0, 0, LIVE])


def varying_channel_model() -> bytes:
    """One 1x1 CONV_2D whose channel LIVE has a bias past 2^30, a tiny rescale and an output that
    still depends on the input: the bias puts its accumulator's range across a rounding step,
    found from TFLM's own outputs."""
    keras = modelgen.keras_model([modelgen.tf().keras.layers.Conv2D(8, 1)], SHAPE, seed=9)
    kernel, bias = keras.layers[0].get_weights()
    kernel[..., LIVE], bias[LIVE] = 2e-6, 0.4  # the converter clamps the bias to 2^30 and scales the rest
    keras.layers[0].set_weights([kernel, bias])
    model = modelgen.to_int8(keras, SHAPE)
    # The output at the top input rises with the bias; the first bias where it does puts the
    # top of the accumulator's range past a rounding step and the bottom still below it.
    low, high = 2**30, 2**31 - 2**20
    first = _output_at(model, low, 127)
    assert _output_at(model, high, 127) > first
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if _output_at(model, mid, 127) == first else (low, mid)
    return _with_biases(model, {LIVE: high})


@pytest.fixture(scope="module")
def varying_model() -> bytes:
    return varying_channel_model()


def test_a_channel_that_is_not_constant_falls_back_with_its_reason(varying_model):
    graph = parse_model(varying_model)
    bias, rows = _bias_and_rows(graph, graph.operators[0])
    assert abs(bias[LIVE]) >= 2**30 and rows[LIVE].all()
    top, bottom = ([np.full((1, *SHAPE), v, np.int8)] for v in (127, -128))
    assert tflm_outputs(varying_model, top)[0][0, 0, 0, LIVE] != tflm_outputs(varying_model, bottom)[0][0, 0, 0, LIVE]
    for mve in (False, True):
        layer = compile_graph(graph, "optimized", mve=mve).layers[0]
        assert layer.path == "conv_2d/reference"
        assert layer.fallback.startswith(f"channel {LIVE}: ") and "not a constant" in layer.fallback
    assert compile_graph(graph, "reference").layers[0].fallback == ""  # nothing faster was asked for
    _matches_tflm(varying_model, compile_graph(graph, "optimized"))


# ---- on the device: the DSP and Helium instructions ----------------------------------------

@needs_arm_gcc
@pytest.mark.parametrize("board", ["nucleo-l4r5zi", "alif-e7-appkit"])
def test_constant_channels_on_the_device_match_tflm(dead_models, board, tmp_path):
    from emu.platforms import get_platform
    from emu.results.measure import measure

    path = tmp_path / "dead.tflite"
    path.write_bytes(dead_models["per-channel"])
    result, _ = measure(path, get_platform(board))
    assert result.output_matches_reference is True
    fast = "mve" if board == "alif-e7-appkit" else "dsp"
    assert [layer.path.endswith(fast) for layer in result.layers if layer.op in OPTIMIZED_OPS] == [True] * 4
    assert not any(layer.fallback for layer in result.layers)


@needs_arm_gcc
def test_pruned_channels_skipped_on_the_device_match_tflm(tmp_path):
    from emu.platforms import get_platform
    from emu.results.measure import measure

    path = tmp_path / "pruned.tflite"
    path.write_bytes(pruned_model())
    result, _ = measure(path, get_platform("nucleo-l4r5zi"))
    assert result.output_matches_reference is True
    assert [layer.path for layer in result.layers] == ["conv_2d/1x1-dsp", "conv_2d/im2col-dsp"]
    reference, _ = measure(path, get_platform("nucleo-l4r5zi"), kernels="reference")
    assert reference.output_matches_reference is True and result.cycles < reference.cycles


@needs_arm_gcc
def test_bench_lists_a_layer_that_falls_back_with_its_reason(varying_model, tmp_path):
    from emu.platforms import get_platform
    from emu.results.bench import format_table
    from emu.results.measure import measure

    path = tmp_path / "varying.tflite"
    path.write_bytes(varying_model)
    result, _ = measure(path, get_platform("nucleo-l4r5zi"))
    assert result.output_matches_reference is True
    layer = result.layers[0]
    assert (layer.path, layer.fallback.split(":")[0]) == ("conv_2d/reference", f"channel {LIVE}")
    table = format_table([result])
    assert "varying (model) on nucleo-l4r5zi: 1 of 1 layers on the portable kernels, 100.0% of the cycles:" in table
    assert f"  layer 0 (CONV_2D, 100.0%): {layer.fallback}" in table
