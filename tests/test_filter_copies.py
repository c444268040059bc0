"""Convolution filters copied into the arena before their call (emu/compile/filter_copies.py),
on boards whose flash data reads all wait, where the arena has room for them.

The copies must change no output (TFLM's interpreter says what the outputs are) and grow the
arena by at most GROWTH (the same model compiled without copies says what it is). The small ResNet of
tests/test_arena.py has convolutions of every kind the copies apply to, and a residual block
run by bands, whose two convolutions share one scratch and so copy their filters before each
band's call.
"""

from __future__ import annotations

import functools

import numpy as np

from emu.compile.codegen import compile_graph
from emu.compile.filter_copies import GROWTH, candidates
from emu.compile.hostrun import run_compiled_on_host_many
from emu.model.oracle import tflm_outputs
from emu.model.reader import parse_model
from tests import modelgen
from tests.conftest import needs_arm_gcc
from tests.test_arena import small_resnet


@functools.lru_cache(maxsize=1)
def resnet() -> bytes:
    return small_resnet()


def test_copies_take_little_arena_and_change_no_output():
    model = resnet()
    graph = parse_model(model)
    plain = compile_graph(graph, "optimized", core="cortex-m4")
    copied = compile_graph(graph, "optimized", core="cortex-m4", filter_copies=True)
    assert plain.arena_bytes <= copied.arena_bytes <= plain.arena_bytes * (1 + GROWTH)
    assert "memcpy(emu_arena" not in plain.source
    copies = copied.source.count("memcpy(emu_arena")
    assert copies >= 2, copies
    assert "by bands of" in copied.source  # the banded block is there, with or without copies in it
    inputs = [modelgen.random_input(model, seed=s) for s in range(3)]
    for got, x in zip(run_compiled_on_host_many(copied, inputs), inputs, strict=True):
        for g, w in zip(got, tflm_outputs(model, x), strict=True):
            np.testing.assert_array_equal(g, w)


def test_candidates_are_the_dense_dsp_convolutions_that_reread_their_filter():
    from emu.compile.codegen import lower_subgraphs

    graph = parse_model(resnet())
    calls = lower_subgraphs(graph, "optimized")[0]
    found = {calls[i].path for i in candidates(graph, calls)}
    assert found and found <= {"conv_2d/1x1-dsp", "conv_2d/im2col-dsp", "depthwise_conv_2d/3x3-rows-dsp"}
    # the 1x1 shortcuts and the 3x3 convolutions; not the ADDs, pooling or FULLY_CONNECTED
    assert {calls[i].path for i in range(len(calls))} - found >= {"add/table-dsp", "fully_connected/dsp"}


@needs_arm_gcc
def test_copies_on_the_m4f_match_tflm_and_keep_the_arena(tmp_path):
    from emu.platforms import get_platform
    from emu.results.measure import measure

    board = get_platform("nucleo-l4r5zi")
    assert board.flash_data_waits  # 5 wait states, no data cache in its timing model
    path = tmp_path / "resnet.tflite"
    path.write_bytes(resnet())
    result, _ = measure(path, board, variant="resnet")
    assert result.output_matches_reference is True
    plain = compile_graph(parse_model(resnet()), "optimized", core=board.core).arena_bytes
    assert plain <= result.arena_bytes <= plain * (1 + GROWTH)
