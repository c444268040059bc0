"""The Helium MAXIMUM and MINIMUM kernels (emu/firmware/kernels/optimized/maximum_minimum_mve.c)
against the TFLM interpreter on the M55, the only core with Helium: int8 with both inputs
contiguous (vectors plus a remainder), broadcast against each other, and against a constant
(a vector of one value), and int16 against a constant, as MINIMUM and as MAXIMUM.
"""

from __future__ import annotations

import pytest

from emu.compile.codegen import compile_graph
from emu.model.reader import parse_model
from emu.platforms import get_platform
from emu.results.measure import measure
from tests import model_edits, modelgen
from tests.conftest import needs_arm_gcc
from tests.test_ops_arith import as_maximum, converted, sweep_int16

# (case of test_ops_arith.py, kind, as MAXIMUM)
MODELS = [("maximum", "int8", False), ("minimum", "int8", False), ("maximum_broadcast", "int8", False),
          ("minimum_const", "int8", False), ("minimum_const", "int16", False), ("minimum_const", "int16", True)]


def model_of(name: str, kind: str, maximum: bool) -> bytes:
    model = converted(name, kind, "wide")
    return model_edits.edited(model, as_maximum) if maximum else model


def layer_of(model: bytes, mve: bool):
    return next(layer for layer in compile_graph(parse_model(model), "optimized", mve).layers
                if layer.op in ("MAXIMUM", "MINIMUM"))


@pytest.mark.parametrize("name, kind, maximum", MODELS)
def test_the_m55_takes_the_vector_kernel_and_other_cores_the_reference(name, kind, maximum):
    model = model_of(name, kind, maximum)
    layer = layer_of(model, mve=True)
    assert layer.path == f"{layer.op.lower()}/mve"
    assert layer.op == ("MAXIMUM" if maximum or name.startswith("maximum") else "MINIMUM")
    assert layer_of(model, mve=False).path == f"{layer.op.lower()}/reference"


def test_float32_keeps_the_reference_kernel_and_says_why():
    layer = layer_of(converted("maximum", "float"), mve=True)
    assert layer.path == "maximum/reference" and "float32" in layer.fallback


@needs_arm_gcc
def test_helium_maximum_minimum_match_tflm_on_the_m55(tmp_path):
    platform = get_platform("alif-e7-appkit")
    for name, kind, maximum in MODELS:
        path = tmp_path / f"{name}_{kind}_{maximum}.tflite"
        path.write_bytes(model_of(name, kind, maximum))
        inputs = sweep_int16(path.read_bytes()) if kind == "int16" else modelgen.random_input(path.read_bytes(), 5)
        result, _ = measure(path, platform, inputs=inputs)
        assert result.output_matches_reference is True, (name, kind, maximum)
        assert {layer.path for layer in result.layers if layer.op in ("MAXIMUM", "MINIMUM")} <= {
            "maximum/mve", "minimum/mve"}
