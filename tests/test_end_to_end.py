"""Firmware outputs in the emulator against the real TFLM interpreter: the main promise.

Int8 outputs must be identical byte for byte; float32 within 1e-5 relative. The shared
models are an extra corpus used when present; the generated digits models always run.
"""

import subprocess

import numpy as np
import pytest

from emu.compile.codegen import compile_graph
from emu.link.firmware import build_firmware
from emu.model.oracle import tflm_outputs
from emu.model.reader import read_model
from emu.platforms import get_platform
from emu.results.measure import default_inputs, measure
from emu.results.outputs import FLOAT_ATOL, FLOAT_RTOL
from tests.conftest import needs_arm_gcc, shared_model

pytestmark = needs_arm_gcc

# One part without an FPU (soft float), one M4F, one M7: the minimum spread.
BOARDS = ["rp2040-pico", "nucleo-l4r5zi", "disco-f746ng"]
SHARED = ["hello_world_float", "hello_world_int8", "micro_speech_quantized", "person_detect"]


def assert_same_as_tflm(got, want):
    for g, w in zip(got, want, strict=True):
        w = np.asarray(w).reshape(g.shape)
        if g.dtype.kind == "f":
            np.testing.assert_allclose(g, w, rtol=FLOAT_RTOL, atol=FLOAT_ATOL)
        else:
            np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("name", SHARED)
def test_shared_model_matches_tflm(name, board):
    path = shared_model(f"{name}.tflite")
    graph = read_model(path)
    for seed in (1, 2):
        inputs = default_inputs(graph, seed=seed)
        result, outputs = measure(path, get_platform(board), inputs=inputs, check=False)
        assert_same_as_tflm(outputs, tflm_outputs(path.read_bytes(), inputs))
    assert result.instructions > 0 and result.cycles >= result.instructions // 2
    assert [layer.op for layer in result.layers] == [op.op for op in graph.operators]


def test_person_detect_all_zero_input_gives_the_documented_output():
    # SOURCES.md: the TFLM interpreter gives [72, -72] for an all-zero person_detect input
    path = shared_model("person_detect.tflite")
    _, outputs = measure(path, get_platform("nucleo-l4r5zi"), inputs=[np.zeros((1, 96, 96, 1), np.int8)],
                         check=False)
    assert outputs[0].tolist() == [[72, -72]]


@pytest.fixture(scope="module")
def digits_models(tmp_path_factory):
    from emu.variants.example import (
        convert_float32,
        convert_int8,
        digits_data,
        digits_model,
    )

    data = digits_data()
    model = digits_model(data, epochs=2)
    folder = tmp_path_factory.mktemp("digits")
    paths = {}
    for name, blob in (("fp32", convert_float32(model)), ("int8", convert_int8(model, data.x_train))):
        paths[name] = folder / f"digits_{name}.tflite"
        paths[name].write_bytes(blob)
    return paths


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("variant", ["fp32", "int8"])
def test_generated_digits_model_matches_tflm(digits_models, variant, board):
    result, _ = measure(digits_models[variant], get_platform(board), variant=variant)
    assert result.output_matches_reference is True and result.reference == "tflm"


def test_same_firmware_and_input_give_the_same_counts(digits_models):
    board = get_platform("nucleo-l4r5zi")
    first, _ = measure(digits_models["int8"], board)
    second, _ = measure(digits_models["int8"], board)
    assert first.to_dict() == second.to_dict()


def test_fpu_board_built_with_its_fpu_off_runs_float_as_library_calls():
    path = shared_model("hello_world_float.tflite")
    board = get_platform("nucleo-l4r5zi:soft-float")
    assert not board.fpu and "-mfloat-abi=soft" in board.cflags
    result, _ = measure(path, board)
    assert result.output_matches_reference is True
    elf = build_firmware(compile_graph(read_model(path)), board).elf
    listing = subprocess.run(["arm-none-eabi-objdump", "-d", str(elf)], capture_output=True, text=True).stdout
    mnemonics = {line.split("\t")[2].split()[0] for line in listing.splitlines() if line.count("\t") >= 2}
    assert not {m for m in mnemonics if m.startswith(("vadd", "vmul", "vmla", "vfma", "vldr", "vstr"))}
    assert "<__aeabi_fadd>:" in listing or "<__addsf3>:" in listing
