"""int8 AVERAGE_POOL_2D and MAX_POOL_2D with four channels per instruction
(`average_pool_2d/dsp`, `max_pool_2d/dsp`) against the TFLM interpreter.

The average sums each channel in an int16 half, which holds a window of up to 256 pixels; the
compiler keeps the portable kernel for larger windows. Cases cover clipped (SAME) windows,
channel counts that leave one to three channels after the groups of four, fused activations,
and a 16x16 window of constant -128 and 127 inputs, the int16 sums' extremes. One device test
runs the cases on the M4F.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from emu.compile.codegen import compile_graph
from emu.compile.ops.pooling import DSP_AVERAGE_MAX_PIXELS
from emu.model.reader import parse_model
from tests import modelgen
from tests.conftest import needs_arm_gcc
from tests.test_ops_misc import assert_matches_tflm


def K():
    return modelgen.tf().keras.layers


# name -> (layers, input shape without the batch dimension, window pixels)
CASES = {
    "avg3_s2_same_c13": (lambda: [K().AveragePooling2D(3, strides=2, padding="same")], (9, 8, 13), 9),
    "avg_global_c12": (lambda: [K().AveragePooling2D((5, 4))], (5, 4, 12), 20),
    "avg16_c8": (lambda: [K().AveragePooling2D(16)], (16, 16, 8), 256),
    "avg2_relu6_c6": (lambda: [K().AveragePooling2D(2), K().ReLU(6.0)], (6, 8, 6), 4),
    "avg17x16_c4": (lambda: [K().AveragePooling2D((17, 16))], (17, 16, 4), 272),
    "max3_s2_same_c11": (lambda: [K().MaxPooling2D(3, strides=2, padding="same")], (9, 8, 11), 9),
    "max2_relu6_c10": (lambda: [K().MaxPooling2D(2), K().ReLU(6.0)], (6, 8, 10), 4),
}


@functools.lru_cache(maxsize=None)
def converted(name: str) -> bytes:
    layers, shape, _ = CASES[name]
    model = modelgen.keras_model(layers(), shape, seed=sorted(CASES).index(name))
    return modelgen.to_int8(model, shape, low=-4.0, high=4.0)


def pool_path(model: bytes) -> str:
    (path,) = {layer.path for layer in compile_graph(parse_model(model), "optimized").layers
               if layer.op.endswith("POOL_2D")}
    return path


@pytest.mark.parametrize("name", CASES)
def test_pool_matches_tflm(name):
    model = converted(name)
    kind = "average_pool_2d" if name.startswith("avg") else "max_pool_2d"
    dsp = kind == "max_pool_2d" or CASES[name][2] <= DSP_AVERAGE_MAX_PIXELS
    assert pool_path(model) == f"{kind}/{'dsp' if dsp else 'reference'}"
    for seed in (0, 1, 2):
        assert_matches_tflm(model, modelgen.random_input(model, seed), "optimized")


@pytest.mark.parametrize("value", [-128, 127])
def test_average_of_a_full_window_of_extreme_values_matches_tflm(value):
    model = converted("avg16_c8")
    x = np.full(parse_model(model).tensors[parse_model(model).inputs[0]].shape, value, dtype=np.int8)
    assert_matches_tflm(model, [x], "optimized")


@needs_arm_gcc
def test_pool_matches_tflm_on_the_device(tmp_path):
    from emu.platforms import get_platform
    from emu.results.measure import measure

    for name in ("avg3_s2_same_c13", "avg16_c8", "max3_s2_same_c11", "max2_relu6_c10"):
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(converted(name))
        result, _ = measure(path, get_platform("nucleo-l4r5zi"), variant=name)
        assert result.output_matches_reference is True, name
        assert {layer.path for layer in result.layers if layer.op.endswith("POOL_2D")} == {pool_path(converted(name))}
