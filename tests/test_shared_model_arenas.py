"""Every shared model's arena against what TFLM's interpreter allocates for it.

The goal the runtime's arena work answers to (docs/runtime.md, "The tensor arena"): at most
0.6x TFLM's arena for every shared and MLPerf Tiny model, with the kernels and RAM choices
each board's build makes (the M4F's DSP kernels and filter copies, the M55's Helium kernels).
A kernel whose scratch grows with a layer's size (an expanded input row, a ring of rows) can
undo it on one model while the others stay put; this checks all of them.
"""

from __future__ import annotations

import functools

import pytest

from emu.compile.codegen import compile_graph
from emu.model.oracle import tflm_arena_bytes
from emu.model.reader import parse_model
from emu.platforms import get_platform
from tests.conftest import shared_model

MODELS = ["kws_ref_model", "vww_96_int8", "pretrainedResnet_quant", "ad01_int8", "person_detect",
          "micro_speech_quantized", "keyword_scrambled_8bit", "trained_lstm_int8"]
GOAL = 0.6


@functools.lru_cache(maxsize=None)
def tflm_arena(name: str) -> int:
    return tflm_arena_bytes(shared_model(f"{name}.tflite").read_bytes())


@pytest.mark.parametrize("board", ["nucleo-l4r5zi", "alif-e7-appkit"])
@pytest.mark.parametrize("name", MODELS)
def test_arena_is_at_most_0_6x_tflms(name, board):
    platform = get_platform(board)
    graph = parse_model(shared_model(f"{name}.tflite").read_bytes())
    compiled = compile_graph(graph, "optimized", platform.mve, None, platform.core, platform.flash_bytes,
                             platform.flash_data_waits)
    assert compiled.arena_bytes <= GOAL * tflm_arena(name), (compiled.arena_bytes, tflm_arena(name))
