"""ADD and SUB reading their inputs' rescales from tables (`add/table-dsp`, `sub/table-dsp`)
against the TFLM interpreter.

The compiler builds each input's 256 rescaled values (emu/compile/ops/elementwise.py,
add_tables) for an int8 ADD or SUB of at least TABLE_MIN_ELEMENTS elements; the kernel then
reads them instead of computing two rescales per element. Each case below is a Keras model
converted to int8 over several calibration ranges (scales and zero points vary), run through
the optimized kernels' C on the host and compared with TFLM to the bit, with inputs that hold
every int8 value; the grid cases hold every pair of values. One device test runs the same
models on the M4F and the M33.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from emu.compile.codegen import compile_graph
from emu.compile.ops.elementwise import TABLE_MIN_ELEMENTS
from emu.model.reader import parse_model
from tests import modelgen
from tests.conftest import needs_arm_gcc
from tests.test_ops_misc import RANGES, assert_matches_tflm, convert_calibrated, sweep_int8


def _layers():
    return modelgen.tf().keras.layers


# name -> (build(*inputs) -> output, input shapes without the batch dimension)
CASES = {
    "add": (lambda a, b: _layers().Add()([a, b]), [(16, 16, 8), (16, 16, 8)]),
    "add_relu": (lambda a, b: _layers().ReLU()(_layers().Add()([a, b])), [(16, 16, 8), (16, 16, 8)]),
    "add_channel": (lambda a, b: _layers().Add()([a, b]), [(16, 16, 8), (1, 1, 8)]),
    "sub": (lambda a, b: _layers().Subtract()([a, b]), [(16, 16, 8), (16, 16, 8)]),
    "sub_relu": (lambda a, b: _layers().ReLU()(_layers().Subtract()([a, b])), [(16, 16, 8), (16, 16, 8)]),
    "sub_outer": (lambda a, b: _layers().Subtract()([a, b]), [(16, 1, 8), (1, 16, 1)]),
    # every pair of int8 values: 256 x 256 elements
    "add_grid": (lambda a, b: _layers().Add()([a, b]), [(256, 256), (1, 256)]),
    "sub_grid": (lambda a, b: _layers().Subtract()([a, b]), [(256, 256), (1, 256)]),
    # below the threshold: the form that computes the rescales
    "add_small": (lambda a, b: _layers().Add()([a, b]), [(4, 5, 3), (4, 5, 3)]),
}
GRIDS = [name for name in CASES if name.endswith("_grid")]


@functools.lru_cache(maxsize=None)
def converted(name: str, range_name: str = "unit") -> bytes:
    t = modelgen.tf()
    build, shapes = CASES[name]
    t.keras.utils.set_random_seed(0)
    inputs = [t.keras.Input(shape=s, batch_size=1, name=f"in{i}") for i, s in enumerate(shapes)]
    return convert_calibrated(t.keras.Model(inputs, build(*inputs)), shapes, "int8", range_name)


def path_of(model: bytes) -> str:
    compiled = compile_graph(parse_model(model), "optimized")
    (path,) = {layer.path for layer in compiled.layers if layer.op in ("ADD", "SUB")}
    return path


def every_pair() -> list[np.ndarray]:
    values = np.arange(-128, 128, dtype=np.int8)
    return [np.repeat(values[:, None], 256, axis=1)[None], values[None, None, :]]


@pytest.mark.parametrize("range_name", RANGES)
@pytest.mark.parametrize("name", [n for n in CASES if n not in GRIDS])
def test_table_form_matches_tflm(name, range_name):
    model = converted(name, range_name)
    elements = int(np.prod(np.broadcast_shapes(*CASES[name][1])))
    op = name.split("_")[0]
    assert path_of(model) == (f"{op}/table-dsp" if elements >= TABLE_MIN_ELEMENTS else f"{op}/dsp")
    assert_matches_tflm(model, sweep_int8(model), "optimized")
    assert_matches_tflm(model, modelgen.random_input(model, 3), "optimized")


@pytest.mark.parametrize("range_name", ["unit", "tiny", "pos"])
@pytest.mark.parametrize("name", GRIDS)
def test_table_form_matches_tflm_for_every_pair_of_values(name, range_name):
    model = converted(name, range_name)
    assert path_of(model) == f"{name.split('_')[0]}/table-dsp"
    assert_matches_tflm(model, every_pair(), "optimized")


@needs_arm_gcc
@pytest.mark.parametrize("board", ["nucleo-l4r5zi", "ek-ra6m4"])
def test_table_form_matches_tflm_on_the_device(tmp_path, board):
    from emu.platforms import get_platform
    from emu.results.measure import measure

    for name in ("add_relu", "sub_outer"):
        model = tmp_path / f"{name}.tflite"
        model.write_bytes(converted(name, "wide"))
        result, _ = measure(model, get_platform(board), variant=name)
        assert result.output_matches_reference is True, f"{name} on {board}"
        op = name.split("_")[0]
        assert {layer.path for layer in result.layers if layer.op == op.upper()} == {f"{op}/table-dsp"}
