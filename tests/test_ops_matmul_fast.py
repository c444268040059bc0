"""The int8 BATCH_MATMUL DSP kernel (emu/firmware/kernels/optimized/batch_matmul_dsp.c) against
the TFLM interpreter: every matmul case of test_ops_resize_conv.py (adjoint flags, broadcast
batches and ranks, a constant side, attention) plus depths that are not a multiple of 4 and
asymmetric operands, on the host through emu_dsp.h's portable C, and on the M4F and the M55
(which has no vector form of it, so runs this one) for the DSP instructions.
"""

from __future__ import annotations

import pytest

from emu.compile.codegen import compile_graph
from emu.model.reader import parse_model
from emu.platforms import get_platform
from emu.results.measure import measure
from tests import modelgen
from tests.conftest import needs_arm_gcc
from tests.test_ops_misc import assert_matches_tflm, sweep_int8
from tests.test_ops_resize_conv import CASES, MATMULS, _matmul, converted

CASES.update({
    "matmul_deep_odd": (_matmul(), [(3, 13), (13, 6)], "BATCH_MATMUL"),
    "matmul_adj_deep": (_matmul(transpose_a=True, transpose_b=True), [(2, 21, 5), (2, 7, 21)], "BATCH_MATMUL"),
})
FAST_CASES = [*MATMULS, "matmul_deep_odd", "matmul_adj_deep"]


def matmul_paths(model: bytes, mve: bool) -> set[str]:
    return {layer.path for layer in compile_graph(parse_model(model), "optimized", mve).layers
            if layer.op == "BATCH_MATMUL"}


@pytest.mark.parametrize("name", FAST_CASES)
def test_int8_batch_matmul_dsp_matches_tflm(name):
    model = converted(name, "int8", "wide")  # "wide": activations with non-zero zero points
    assert matmul_paths(model, mve=False) == matmul_paths(model, mve=True) == {"batch_matmul/dsp"}
    for inputs in (sweep_int8(model), modelgen.random_input(model, 2)):
        assert_matches_tflm(model, inputs, "optimized")


@pytest.mark.parametrize("kind", ["float", "int16"])
def test_other_types_keep_the_reference_kernel_and_say_why(kind):
    layer = next(layer for layer in compile_graph(parse_model(converted("matmul", kind)), "optimized").layers
                 if layer.op == "BATCH_MATMUL")
    assert layer.path == "batch_matmul/reference" and "int8" in layer.fallback


@needs_arm_gcc
@pytest.mark.parametrize("board", ["nucleo-l4r5zi", "alif-e7-appkit"])
def test_int8_batch_matmul_dsp_matches_tflm_on_the_device(board, tmp_path):
    for name in ("matmul_adj_deep", "matmul_broadcast"):
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(converted(name, "int8", "wide"))
        result, _ = measure(path, get_platform(board), inputs=modelgen.random_input(path.read_bytes(), 3),
                            kernels="optimized")
        assert result.output_matches_reference is True, (name, board)
        assert {layer.path for layer in result.layers if layer.op == "BATCH_MATMUL"} == {"batch_matmul/dsp"}
