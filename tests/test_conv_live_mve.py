"""The Helium 1x1 CONV_2D over live channels only (conv_2d_live_mve.c), the Helium im2col
form's vector window gather and eight-channel passes, and the Helium ADD of inputs read in step,
against TFLM on the M55.

The models are built here with known pruned channels (all-zero filters), so which channels are
live is known without the compiler: its channel list must name exactly those. The edge cases:
output channels not a multiple of 4 (the live list padded), an input depth not a multiple of
16 (VMLADAVA's predicated last pass), per-channel and per-tensor quantization, a 3x3 layer with
"same" padding (the gathered rows read the input zero point), a sparse filter taken dense, and
a dense one with saturated channels; a 3x3 layer of 12 output channels (a pass of eight, then
one of four).
"""

from __future__ import annotations

import numpy as np
import pytest

from emu.compile.codegen import compile_graph, lower_subgraphs, prepared
from emu.model.reader import parse_model
from tests import modelgen
from tests.conftest import needs_arm_gcc
from tests.test_constant_channels import _with_biases

SHAPE = (5, 5, 20)  # 20 input channels: one full vector and a predicated pass of 4
OUTPUT_C = 14  # not a multiple of 4


def pruned_1x1_model(pruned: list[int], per_channel: bool, biases: dict[int, int] | None = None) -> bytes:
    layers = modelgen.tf().keras.layers
    keras = modelgen.keras_model([layers.Conv2D(OUTPUT_C, 1, activation="relu"),
                                  layers.Conv2D(12, 3, padding="same")], SHAPE, seed=13)
    kernel, bias = keras.layers[0].get_weights()
    kernel[..., pruned] = 0
    keras.layers[0].set_weights([kernel, bias])
    model = modelgen.to_int8(keras, SHAPE, per_channel=per_channel)
    return _with_biases(model, biases) if biases else model


CASES = {
    # 11 of 14 pruned: the flash objective stores the filter sparse; 3 live channels, padded to 4
    "sparse, per-channel": (list(range(11)), True, None),
    # 2 pruned and 2 saturated (biases past any output): dense, 10 live, padded to 12
    "dense, per-tensor": ([0, 3], False, {5: 2_000_000_000, 6: -2_000_000_000}),
}


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    pruned, per_channel, biases = CASES[request.param]
    return pruned_1x1_model(pruned, per_channel, biases), pruned, biases or {}


def test_the_live_channels_are_the_unpruned_ones(case):
    model, pruned, saturated = case
    layers = compile_graph(parse_model(model), "optimized", mve=True).layers
    assert [layer.path for layer in layers] == ["conv_2d/1x1-live-mve", "conv_2d/im2col-mve"]
    sparse = len(pruned) > OUTPUT_C // 2
    # stored for the least flash, the pruned filter is sparse (the latency objective takes it dense)
    stored = compile_graph(parse_model(model), "reference", objective="flash").layers[0].function
    assert (stored == "emu_conv2d_sparse_s8") == sparse
    constant = set(pruned) | set(saturated)
    live = [c for c in range(OUTPUT_C) if c not in constant]
    padded = live + [live[-1]] * (-len(live) % 4)
    graph, _ = prepared(parse_model(model))
    call = lower_subgraphs(graph, "optimized", True)[0][0]
    assert call.params["channel"].values.tolist() == padded
    assert call.params["live_c"] == len(padded)
    # the filter holds the live rows only, in that order
    weights = graph.tensor(graph.operators[0].inputs[1]).data.reshape(OUTPUT_C, -1)
    np.testing.assert_array_equal(call.args[1].values.reshape(len(padded), -1), weights[padded])


@needs_arm_gcc
def test_live_channels_on_the_m55_match_tflm(case, tmp_path):
    from emu.platforms import get_platform
    from emu.results.measure import measure

    model, _, _ = case
    path = tmp_path / "pruned.tflite"
    path.write_bytes(model)
    result, _ = measure(path, get_platform("alif-e7-appkit"))
    assert [layer.path for layer in result.layers] == ["conv_2d/1x1-live-mve", "conv_2d/im2col-mve"]
    assert result.output_matches_reference is True


# ---- ADD with both inputs read in step (elementwise_mve.c's loop without shift branches) -------

ADD_SHAPE = (3, 5, 7)  # 105 elements: thirteen passes of eight and a last element predicated


def add_model(factor_a: float, factor_b: float) -> bytes:
    """ADD of two 1x1 convolutions of the input, their weights scaled by these factors: the one
    with the larger range gets the larger scale, and with it the input rescale of shift 0."""
    tf = modelgen.tf()
    layers = tf.keras.layers
    tf.keras.utils.set_random_seed(21)
    x = tf.keras.Input(ADD_SHAPE, batch_size=1)
    a, b = layers.Conv2D(7, 1), layers.Conv2D(7, 1)
    total = layers.Add()([a(x), b(x)])
    keras = tf.keras.Model(x, layers.ReLU()(total))
    kernel, bias = a.get_weights()
    a.set_weights([kernel * factor_a, bias])
    b.set_weights([kernel * factor_b, bias])
    return modelgen.to_int8(keras, ADD_SHAPE)


ADD_CASES = {"first input larger": (3.0, 1.0), "second input larger": (1.0, 3.0), "equal scales": (1.0, 1.0)}


@pytest.fixture(scope="module", params=list(ADD_CASES))
def add_case(request):
    return request.param, add_model(*ADD_CASES[request.param])


def test_add_rescales_cover_each_shift_form(add_case):
    """The oracle is the model's own construction: the input with the larger range has the
    larger scale, so its rescale (half the larger scale's share) has shift 0 and the other's is
    negative; equal weights give equal scales, both shift 0."""
    name, model = add_case
    graph, _ = prepared(parse_model(model))
    add = next(c for c in lower_subgraphs(graph, "optimized", True)[0] if c.function == "emu_add_s8_mve")
    shifts = (add.params["input1_shift"], add.params["input2_shift"])
    first, second = ADD_CASES[name]
    # which of the model's two convolutions feeds ADD's first input is the converter's choice
    op = next(o for o in graph.operators if o.op == "ADD")
    scales = [graph.tensor(t).quantization.scale[0] for t in op.inputs[:2]]
    if first == second:
        assert shifts == (0, 0) and np.isclose(scales[0], scales[1], rtol=1e-3)
    else:
        larger = int(scales[1] > scales[0])
        assert shifts[larger] == 0 and shifts[1 - larger] < 0
    assert add.params["output_shift"] < 0


@needs_arm_gcc
def test_add_in_step_on_the_m55_matches_tflm(add_case, tmp_path):
    from emu.platforms import get_platform
    from emu.results.measure import measure

    _, model = add_case
    path = tmp_path / "add.tflite"
    path.write_bytes(model)
    platform = get_platform("alif-e7-appkit")
    for seed in (None, 1, 2):
        inputs = None if seed is None else modelgen.random_input(model, seed=seed)
        result, _ = measure(path, platform, inputs=inputs)
        assert result.output_matches_reference is True
        assert "add/mve" in {layer.path for layer in result.layers}
