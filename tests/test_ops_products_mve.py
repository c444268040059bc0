"""The int8 BATCH_MATMUL and TRANSPOSE_CONV Helium kernels (emu/firmware/kernels/optimized/
batch_matmul_mve.c, transpose_conv_mve.c) against the TFLM interpreter on the M55: column and
output-channel counts that leave a tail outside the groups of four, depths that leave one
outside the sixteen-byte steps, broadcast batches, adjoint flags and non-zero zero points. The
layer records must show the Helium kernel ran, with the MACs counted by hand from the shapes.
The host build has no MVE, so these are device tests (test_ops_products_fast.py checks that the
compiler picks these paths for the M55 in every one of its cases, and the DSP forms on the host
and the M4F); the hooks' refusals, where the vector rescale could overflow, are checked here.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from emu.compile.codegen import compile_graph
from emu.compile.kernel_call import ConstArray
from emu.compile.ops import batch_matmul, lowerings, transpose_conv
from emu.model.reader import parse_model
from emu.platforms import get_platform
from emu.results.measure import measure
from tests import modelgen
from tests.conftest import needs_arm_gcc
from tests.test_ops_products_fast import CASES, PATH_MVE
from tests.test_ops_resize_conv import _deconv, _matmul, converted

CASES.update({
    # lhs batch 2 against an rhs batch of 1; 7 columns (4 + 3), depth 37 (16 + 16 + 5)
    "matmul_broadcast_wide": (_matmul(), [(2, 5, 37), (1, 37, 7)], "BATCH_MATMUL"),
    # 7 output channels (4 + 3) over 19 input channels (16 + 3)
    "deconv_wide_odd": (_deconv(7, 3, 2, "same"), [(3, 4, 19)], "TRANSPOSE_CONV"),
})

# name -> MACs worked out by hand from the shapes: batches x rows x cols x depth for a product;
# for a deconvolution, input pixels x output channels x input channels x the taps that land
# inside the output
MACS = {
    "matmul_broadcast_wide": 2 * 5 * 7 * 37,
    "matmul_adj_deep": 2 * 5 * 7 * 21,  # lhs (2, 21, 5) transposed, rhs (2, 7, 21) transposed
    # a 3x4 input, stride 2, SAME: a 6x8 output; rows: input row i reaches output rows 2i - 1
    # .. 2i + 1, all 9 taps inside but for row 0's first (pad 1 before): 3 x 3 - 1 = 8 row taps;
    # columns likewise 4 x 3 - 1 = 11
    "deconv_wide_odd": 8 * 11 * 7 * 19,
    "deconv_gaps": 3 * 4 * 2 * 2 * 2 * 2,  # stride (3, 2) > no overlap: every tap of every pixel lands
}


@needs_arm_gcc
def test_int8_helium_kernels_match_tflm_on_the_m55(tmp_path):
    for name in MACS:
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(converted(name, "int8", "wide"))  # "wide": activations with non-zero zero points
        result, _ = measure(path, get_platform("alif-e7-appkit"), inputs=modelgen.random_input(path.read_bytes(), 3),
                            kernels="optimized")
        assert result.output_matches_reference is True, name
        op = CASES[name][2]
        (layer,) = [layer for layer in result.layers if layer.op == op]
        assert (layer.path, layer.macs) == (PATH_MVE[op], MACS[name]), name


@pytest.mark.parametrize("name", ["matmul_broadcast_wide", "deconv_wide_odd"])
def test_the_m55_takes_the_helium_kernel_and_other_cores_the_dsp_one(name):
    model = parse_model(converted(name, "int8", "wide"))
    op = CASES[name][2]
    paths = {mve: {layer.path for layer in compile_graph(model, "optimized", mve).layers if layer.op == op}
             for mve in (False, True)}
    assert paths == {False: {f"{op.lower()}/dsp"}, True: {PATH_MVE[op]}}


def _reference_call(model: bytes, op_name: str):
    graph = parse_model(model)
    op = next(op for op in graph.operators if op.op == op_name)
    return op, graph, lowerings()[op_name](op, graph)


def test_the_helium_batch_matmul_declines_sums_its_rescale_could_overflow():
    """Depth 37, zero points z: each product is at most max(128 + z, 127 - z) per side; with a
    rescale shift s the kernel needs that sum times 2^(s + 1) inside int32, else the DSP form."""
    op, graph, call = _reference_call(converted("matmul_broadcast_wide", "int8", "wide"), "BATCH_MATMUL")
    p = call.params
    largest = [max(128 - offset, 127 + offset) for offset in (p["lhs_offset"], p["rhs_offset"])]
    bound = 37 * largest[0] * largest[1]
    fits = max(s for s in range(32) if bound << (s + 1) <= 2**31 - 1)
    assert batch_matmul.helium(op, graph, replace(call, params={**p, "shift": fits})).path == "batch_matmul/mve"
    why = batch_matmul.helium(op, graph, replace(call, params={**p, "shift": fits + 1}))
    assert isinstance(why, str) and "could overflow" in why


def test_the_helium_transpose_conv_declines_a_channel_its_rescale_could_overflow():
    op, graph, call = _reference_call(converted("deconv_wide_odd", "int8", "wide"), "TRANSPOSE_CONV")
    shifts = call.params["shift"].values.copy()
    shifts[5] = 30  # any sum of 1 or more shifted left by 31 leaves int32
    why = transpose_conv.helium(op, graph, replace(call, params={**call.params, "shift": ConstArray("int8_t", shifts)}))
    assert isinstance(why, str) and why.startswith("channel 5:")
