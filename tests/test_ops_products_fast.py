"""The int8 BATCH_MATMUL and TRANSPOSE_CONV DSP kernels (emu/firmware/kernels/optimized/
batch_matmul_dsp.c, transpose_conv_dsp.c) against the TFLM interpreter: every matmul and deconv
case of test_ops_resize_conv.py (adjoint flags, broadcast batches and ranks, a constant side,
attention; strides, padding, gaps between taps, no bias) plus depths that are not a multiple of
4 and asymmetric operands, on the host through emu_dsp.h's portable C, and on the M4F for the
DSP instructions. The compiler gives the M55 the Helium forms (test_ops_products_mve.py runs
them there).
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
from tests.test_ops_resize_conv import CASES, DECONVS, MATMULS, _deconv, _matmul, converted

CASES.update({
    "matmul_deep_odd": (_matmul(), [(3, 13), (13, 6)], "BATCH_MATMUL"),
    "matmul_adj_deep": (_matmul(transpose_a=True, transpose_b=True), [(2, 21, 5), (2, 7, 21)], "BATCH_MATMUL"),
})
CASES.update({
    "deconv_deep_odd": (_deconv(5, 3, 2, "same"), [(3, 4, 13)], "TRANSPOSE_CONV"),
})
FAST_CASES = [*MATMULS, "matmul_deep_odd", "matmul_adj_deep",
              *(name for name in DECONVS if name != "deconv_open_batch"), "deconv_deep_odd"]
PATH = {"BATCH_MATMUL": "batch_matmul/dsp", "TRANSPOSE_CONV": "transpose_conv/dsp"}
PATH_MVE = {"BATCH_MATMUL": "batch_matmul/mve", "TRANSPOSE_CONV": "transpose_conv/mve"}


def op_paths(model: bytes, op: str, mve: bool) -> set[str]:
    return {layer.path for layer in compile_graph(parse_model(model), "optimized", mve).layers if layer.op == op}


@pytest.mark.parametrize("name", FAST_CASES)
def test_int8_dsp_kernels_match_tflm(name):
    model = converted(name, "int8", "wide")  # "wide": activations with non-zero zero points
    op = CASES[name][2]
    assert op_paths(model, op, mve=False) == {PATH[op]} and op_paths(model, op, mve=True) == {PATH_MVE[op]}
    for inputs in (sweep_int8(model), modelgen.random_input(model, 2)):
        assert_matches_tflm(model, inputs, "optimized")


@pytest.mark.parametrize("name, op", [("matmul", "BATCH_MATMUL"), ("deconv_same_s2", "TRANSPOSE_CONV")])
@pytest.mark.parametrize("kind", ["float", "int16"])
def test_other_types_keep_the_reference_kernel_and_say_why(name, op, kind):
    layer = next(layer for layer in compile_graph(parse_model(converted(name, kind)), "optimized").layers
                 if layer.op == op)
    assert layer.path == f"{op.lower()}/reference" and "int8" in layer.fallback


@needs_arm_gcc
@pytest.mark.parametrize("board", ["nucleo-l4r5zi"])
def test_int8_dsp_kernels_match_tflm_on_the_device(board, tmp_path):
    for name in ("matmul_adj_deep", "matmul_broadcast", "deconv_deep_odd", "deconv_gaps"):
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(converted(name, "int8", "wide"))
        result, _ = measure(path, get_platform(board), inputs=modelgen.random_input(path.read_bytes(), 3),
                            kernels="optimized")
        assert result.output_matches_reference is True, (name, board)
        op = CASES[name][2]
        assert {layer.path for layer in result.layers if layer.op == op} == {PATH[op]}
