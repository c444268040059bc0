"""The int8 TRANSPOSE DSP and Helium kernels (emu/firmware/kernels/optimized/transpose_dsp.c,
path transpose/4x4-dsp, and transpose_mve.c, path transpose/4x16-mve) against the TFLM
interpreter: permutations whose walk ends in a plane transpose, with sizes that leave rows and
columns outside the blocks and with outer dimensions around the planes, on the host through
the DSP kernel's portable C, on the M4F for the DSP instructions and on the M55 for the Helium
ones; int16, float32 and walks that are no plane transpose keep the strided copy, and say why.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from emu.compile.codegen import compile_graph
from emu.model.reader import parse_model
from emu.platforms import get_platform
from emu.results.measure import measure
from tests import modelgen
from tests.conftest import needs_arm_gcc
from tests.test_ops_misc import assert_matches_tflm, convert_calibrated, sweep_int8

FAST = "transpose/4x4-dsp"
FAST_MVE = "transpose/4x16-mve"
REFERENCE = "transpose/reference"

# name -> (input shape without the batch, permutation with the batch); the comment gives the
# plane (rows read at step 1 x columns) worked out by hand from the shapes
CASES = {
    "nchw_odd": ((7, 9, 13), [0, 3, 1, 2]),  # a 13 x 63 plane
    "matrix_odd": ((11, 6), [0, 2, 1]),  # 6 x 11
    "nhwc_odd": ((5, 6, 7), [0, 2, 3, 1]),  # 42 x 5
    "batched_planes": ((3, 5, 9), [0, 1, 3, 2]),  # three 9 x 5 planes
    "exact_blocks": ((8, 12), [0, 2, 1]),  # 12 x 8, whole blocks only
    "rank5": ((5, 3, 6, 4), [0, 4, 2, 1, 3]),  # the input's step-1 axis is not second-innermost
    "thin": ((3, 9), [0, 2, 1]),  # a 9 x 3 plane: no whole block
}
FAST_CASES = ["nchw_odd", "matrix_odd", "nhwc_odd", "batched_planes", "exact_blocks"]


@functools.lru_cache(maxsize=None)
def converted(name: str, kind: str) -> bytes:
    t = modelgen.tf()
    shape, perm = CASES[name]
    x = t.keras.Input(shape=shape, batch_size=1, name="in0")
    model = t.keras.Model(x, t.keras.layers.Lambda(lambda v: t.transpose(v, perm))(x))
    return convert_calibrated(model, [shape], kind)


def transpose_layer(model: bytes, mve: bool = False):
    (layer,) = [layer for layer in compile_graph(parse_model(model), "optimized", mve).layers
                if layer.op == "TRANSPOSE"]
    return layer


def inputs_for(model: bytes, kind: str) -> list[np.ndarray]:
    return sweep_int8(model) if kind == "int8" else modelgen.random_input(model, 3)


@pytest.mark.parametrize("name", FAST_CASES)
def test_int8_plane_transposes_take_the_fast_kernels_and_match_tflm(name):
    model = converted(name, "int8")
    assert (transpose_layer(model).path, transpose_layer(model, mve=True).path) == (FAST, FAST_MVE)
    for inputs in (sweep_int8(model), modelgen.random_input(model, 2)):
        assert_matches_tflm(model, inputs, "optimized")


@pytest.mark.parametrize("name, why", [("rank5", "no plane transpose"), ("thin", "no whole 4x4 block")])
def test_other_int8_walks_keep_the_strided_copy_and_say_why(name, why):
    model = converted(name, "int8")
    for mve in (False, True):
        layer = transpose_layer(model, mve)
        assert layer.path == REFERENCE and why in layer.fallback
    assert_matches_tflm(model, sweep_int8(model), "optimized")


@pytest.mark.parametrize("kind", ["int16", "float"])
def test_other_types_keep_the_strided_copy_and_say_why(kind):
    model = converted("nchw_odd", kind)
    layer = transpose_layer(model)
    assert layer.path == REFERENCE and "int8" in layer.fallback
    assert_matches_tflm(model, inputs_for(model, kind), "optimized")


@needs_arm_gcc
@pytest.mark.parametrize("board", ["nucleo-l4r5zi", "alif-e7-appkit"])
def test_transposes_match_tflm_on_the_device(board, tmp_path):
    fast = FAST_MVE if board == "alif-e7-appkit" else FAST
    for name, kind, path in (("nchw_odd", "int8", fast), ("batched_planes", "int8", fast),
                             ("nchw_odd", "int16", REFERENCE), ("matrix_odd", "float", REFERENCE)):
        model = tmp_path / f"{name}_{kind}.tflite"
        model.write_bytes(converted(name, kind))
        result, _ = measure(model, get_platform(board), inputs=inputs_for(model.read_bytes(), kind),
                            kernels="optimized")
        assert result.output_matches_reference is True, (board, name, kind)
        assert [layer.path for layer in result.layers if layer.op == "TRANSPOSE"] == [path], (board, name, kind)
