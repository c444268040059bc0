"""The 3x3 depthwise kernel that works by channel rows (`depthwise_conv_2d/3x3-rows-dsp`)
against the TFLM interpreter.

It expands input rows into int16 planes, one per channel, and takes two taps of a filter row
per SMLAD, two output pixels at a time; the compiler chooses it for rows of at least
ROWS_MIN_OUTPUT_W pixels. The cases cover SAME and VALID padding, odd and even row widths
(the pixel left alone at the end), channel counts that are not a multiple of 4 (the input
rows' expansion four channels per word, then one at a time), a vertical stride, a batch of
two, and inputs holding every int8 value. One device test runs the cases on the M4F, M7 and
M33.
"""

from __future__ import annotations

import functools

import pytest

from emu.compile.codegen import compile_graph
from emu.compile.ops.depthwise_conv_2d import ROWS_MIN_OUTPUT_W
from emu.model.reader import parse_model
from tests import modelgen
from tests.conftest import needs_arm_gcc
from tests.test_ops_conv import batch_model, batch_to_int8
from tests.test_ops_misc import assert_matches_tflm, sweep_int8


def K():
    return modelgen.tf().keras.layers


# name -> (layers, input shape without the batch dimension, batch)
CASES = {
    "same_w24_c8": (lambda: [K().DepthwiseConv2D(3, padding="same")], (5, 24, 8), 1),
    "same_w25_c5": (lambda: [K().DepthwiseConv2D(3, padding="same")], (4, 25, 5), 1),
    "valid_w27_c13": (lambda: [K().DepthwiseConv2D(3)], (5, 27, 13), 1),
    "valid_w26_c3_relu": (lambda: [K().DepthwiseConv2D(3), K().ReLU()], (4, 26, 3), 1),
    "same_stride_h2_c6": (lambda: [K().DepthwiseConv2D(3, strides=(2, 1), padding="same")], (7, 30, 6), 1),
    "same_batch2_c4": (lambda: [K().DepthwiseConv2D(3, padding="same")], (3, 24, 4), 2),
    # below the width the kernel is chosen for
    "same_w23_c8": (lambda: [K().DepthwiseConv2D(3, padding="same")], (5, 23, 8), 1),
}


@functools.lru_cache(maxsize=None)
def converted(name: str) -> bytes:
    layers, shape, batch = CASES[name]
    seed = sorted(CASES).index(name)
    if batch == 1:
        return modelgen.to_int8(modelgen.keras_model(layers(), shape, seed=seed), shape, seed=seed, low=-3, high=3)
    return batch_to_int8(batch_model(layers(), shape, batch, seed=seed), (batch, *shape))


def depthwise_path(model: bytes) -> str:
    (path,) = {layer.path for layer in compile_graph(parse_model(model), "optimized").layers
               if layer.op == "DEPTHWISE_CONV_2D"}
    return path


def output_width(model: bytes) -> int:
    graph = parse_model(model)
    (op,) = [op for op in graph.operators if op.op == "DEPTHWISE_CONV_2D"]
    return graph.tensors[op.outputs[0]].shape[2]


@pytest.mark.parametrize("name", CASES)
def test_rows_kernel_matches_tflm(name):
    model = converted(name)
    rows = output_width(model) >= ROWS_MIN_OUTPUT_W
    # a fused RELU narrows the clamp: the channel-interleaved kernel takes that layer
    rows = rows and not name.endswith("_relu")
    assert (depthwise_path(model) == "depthwise_conv_2d/3x3-rows-dsp") == rows
    assert_matches_tflm(model, sweep_int8(model), "optimized")
    for seed in (1, 2):
        assert_matches_tflm(model, modelgen.random_input(model, seed), "optimized")


@needs_arm_gcc
@pytest.mark.parametrize("board", ["nucleo-l4r5zi", "disco-f746ng", "ek-ra6m4"])
def test_rows_kernel_matches_tflm_on_the_device(tmp_path, board):
    from emu.platforms import get_platform
    from emu.results.measure import measure

    for name in ("same_w25_c5", "valid_w27_c13", "same_stride_h2_c6"):
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(converted(name))
        result, _ = measure(path, get_platform(board), variant=name)
        assert result.output_matches_reference is True, f"{name} on {board}"
        paths = {layer.path for layer in result.layers if layer.op == "DEPTHWISE_CONV_2D"}
        assert paths == {"depthwise_conv_2d/3x3-rows-dsp"}, paths
