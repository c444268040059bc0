"""The optimized SVDF kernels (emu/firmware/kernels/optimized/svdf_dsp.c, svdf_mve.c, each
with an int8 or an int16 state) and the Helium LSTM (lstm_mve.c) against the TFLM interpreter.

On the host the SVDF's DSP form runs through emu_dsp.h's portable C over sequences of
inferences (the state carries from one to the next, past a full window); on the device the DSP
instructions run on the M4F and the Helium ones on the M55, for the generated SVDF models, the
shared keyword model (seven SVDF layers) and the shared LSTM.
"""

from __future__ import annotations

import numpy as np
import pytest

from emu.compile.codegen import compile_graph
from emu.model.reader import parse_model
from emu.platforms import get_platform
from emu.results.measure import measure
from tests.conftest import needs_arm_gcc, shared_model
from tests.test_ops_recurrent import check_sequence, schema, svdf_model

RELU, NONE = schema.ActivationFunctionType.RELU, schema.ActivationFunctionType.NONE

# name: (batches, input_size, units, rank, memory, activation): sizes that are not multiples of
# 4 (or 16) leave remainders in both dot products and in the state's shift.
CASES = {
    "words": (1, 24, 16, 1, 8, RELU),
    "odd": (1, 7, 5, 1, 5, NONE),
    "rank3_batch2": (2, 13, 3, 3, 6, NONE),
    "deep": (1, 67, 4, 2, 33, RELU),
}


# int16 state and time weights: memories that leave 3 and 5 values past the vectors of eight
# and an odd one past the DSP form's words, states of 88 and 80 values (a tail past the
# shift's vectors), two batches and rank 2
INT16_CASES = {"int16_odd": (1, 19, 8, 1, 11, NONE), "int16_rank2_batch2": (2, 12, 4, 2, 5, RELU)}


def paths(model: bytes, mve: bool) -> list[str]:
    return [layer.path for layer in compile_graph(parse_model(model), "optimized", mve).layers]


@pytest.mark.parametrize("name", list(CASES))
def test_optimized_svdf_matches_tflm_over_a_sequence(name):
    batches, input_size, units, rank, memory, activation = CASES[name]
    model = svdf_model("int8", batches, input_size, units, rank, memory, activation, seed=len(name))
    assert paths(model, mve=False) == ["svdf/dsp"] and paths(model, mve=True) == ["svdf/mve"]
    want = check_sequence(model, steps=memory + 3, kernel_set="optimized")
    assert any(not np.array_equal(want[0][0], w[0]) for w in want[1:])  # the state matters


@pytest.mark.parametrize("name", list(INT16_CASES))
def test_svdf_with_an_int16_state_matches_tflm_over_a_sequence_with_its_dsp_form(name):
    batches, input_size, units, rank, memory, activation = INT16_CASES[name]
    model = svdf_model("int16", batches, input_size, units, rank, memory, activation, seed=len(name))
    assert paths(model, mve=False) == ["svdf/dsp-s16"] and paths(model, mve=True) == ["svdf/mve-s16"]
    check_sequence(model, steps=memory + 3, kernel_set="optimized")


@pytest.mark.shared_models
def test_keyword_model_with_optimized_svdf_matches_tflm_over_a_sequence():
    from tests.test_shared_kws_svdf import QUIET, whole_model_with_states

    model = whole_model_with_states()
    assert paths(model, mve=False).count("svdf/dsp") == 7
    check_sequence(model, steps=8, seed=1, int_range=QUIET, kernel_set="optimized")


# ---- on the device ----------------------------------------------------------------------------

@needs_arm_gcc
@pytest.mark.parametrize("board", ["nucleo-l4r5zi", "alif-e7-appkit"])
def test_optimized_svdf_matches_tflm_on_the_device(board, tmp_path):
    form = "mve" if get_platform(board).mve else "dsp"
    for name in ("odd", "rank3_batch2"):
        path = tmp_path / f"{name}.tflite"
        batches, input_size, units, rank, memory, activation = CASES[name]
        path.write_bytes(svdf_model("int8", batches, input_size, units, rank, memory, activation, seed=len(name)))
        result, _ = measure(path, get_platform(board), kernels="optimized")
        assert result.output_matches_reference is True, (name, board)
        assert [layer.path for layer in result.layers] == [f"svdf/{form}"]


@needs_arm_gcc
@pytest.mark.parametrize("board", ["nucleo-l4r5zi", "alif-e7-appkit"])
def test_svdf_with_an_int16_state_matches_tflm_on_the_device(board, tmp_path):
    form = "mve" if get_platform(board).mve else "dsp"
    for name, (batches, input_size, units, rank, memory, activation) in INT16_CASES.items():
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(svdf_model("int16", batches, input_size, units, rank, memory, activation, seed=len(name)))
        result, _ = measure(path, get_platform(board), kernels="optimized")
        assert result.output_matches_reference is True, name
        # batches x filters x (input size + memory), counted from the shapes above
        assert [(layer.path, layer.macs) for layer in result.layers] == [
            (f"svdf/{form}-s16", batches * units * rank * (input_size + memory))], name


@needs_arm_gcc
@pytest.mark.shared_models
def test_shared_keyword_and_lstm_models_with_helium_kernels_match_tflm_on_the_m55():
    platform = get_platform("alif-e7-appkit")
    for model, path in (("keyword_scrambled_8bit.tflite", "svdf/mve"),
                        ("trained_lstm_int8.tflite", "unidirectional_sequence_lstm/mve")):
        result, _ = measure(shared_model(model), platform)
        assert result.output_matches_reference is True, model
        assert path in {layer.path for layer in result.layers}, model



@needs_arm_gcc
def test_the_timing_decoder_holds_what_follows_a_predicate_moved_through_a_core_register(tmp_path):
    """GCC built this sequence into the Helium SVDF's predicated tail (VMRS of P0, SXTH, VMSR),
    after which capstone left the instruction boundaries: the decoded program must hold every
    instruction, or the timing of any run that executes them fails."""
    from tests.test_timing import assemble

    snippet = assemble(tmp_path, "cortex-m55", "vctp.8 lr\nvmrs lr, p0\nsxth.w lr, lr\nvmsr p0, lr\n"
                                               "add.w r11, r5, r3\nadds r3, r1")
    program = snippet.program
    assert [(a, program[a].mnemonic.split(".")[0]) for a in sorted(program)] == [
        (0, "vctp"), (4, "vmrs"), (8, "sxth"), (12, "vmsr"), (16, "add"), (20, "adds")]
