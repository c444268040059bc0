"""Board files carry the part's memory; the emulated machine holds what the part could.

The Alif E7 has 5.5 MB of MRAM, but the emulated mps3-an547's ITCM, where the core finds
its vector table, holds 512 KB: a model with 800 KB of weights fits the part, so it must
build, boot and give the TFLM interpreter's outputs, its weights in the machine's QSPI
region. A model larger than the part is refused with the part's figure; one the part
could hold but the emulated machine cannot is refused as the emulator's limit.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from emu.compile.codegen import compile_graph
from emu.compile.fits import check_fits
from emu.emulators.image import flash_words
from emu.errors import DoesNotFit, NotRunnable
from emu.link.bsp import STACK_RESERVE
from emu.model.oracle import tflm_outputs
from emu.model.reader import read_model
from emu.platforms import get_platform, load_platform_file
from emu.results.measure import measure
from tests import modelgen
from tests.conftest import needs_arm_gcc

BOARD = "alif-e7-appkit"
ALIF_MRAM = 5.5 * 1024 * 1024  # Alif Ensemble E7 datasheet
ITCM = 512 * 1024  # mps3-an547 (docs/sources.md#qemu-mps2)
QSPI_ORIGIN = 0x28000000


def dense_model(units: list[int], inputs: int, seed: int) -> bytes:
    tf = modelgen.tf()
    model = modelgen.keras_model([tf.keras.layers.Dense(n, activation="relu") for n in units], (inputs,), seed)
    return modelgen.to_int8(model, (inputs,), seed)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("memory-map")
    # 1024x512 + 512x512 + 512x10 int8 weights: 791,552 B, more than the ITCM, less than the MRAM
    big = folder / "big_fc.tflite"
    big.write_bytes(dense_model([512, 512, 10], 1024, seed=3))
    # 2048x2048 + 2048x1024 int8 weights: 6 MB, more than the MRAM
    huge = folder / "huge_fc.tflite"
    huge.write_bytes(dense_model([2048, 1024], 2048, seed=4))
    return big, huge


def filter_bytes(path: Path) -> int:
    graph = read_model(path)
    return sum(t.data.size for t in graph.tensors if t.data is not None and t.data.dtype == np.int8)


def test_the_models_straddle_the_limits(models):
    big, huge = models
    assert ITCM < filter_bytes(big) < ALIF_MRAM
    assert filter_bytes(huge) > ALIF_MRAM


@needs_arm_gcc
def test_weights_past_the_emulated_itcm_run_and_match_tflm(models):
    big, _ = models
    board = get_platform(BOARD)
    rng = np.random.default_rng(7)
    inputs = [rng.integers(-128, 128, (1, 1024), dtype=np.int8)]
    result, outputs = measure(big, board, inputs=inputs)
    want = tflm_outputs(big.read_bytes(), inputs)
    assert len(outputs) == len(want) == 1
    np.testing.assert_array_equal(outputs[0].reshape(want[0].shape), want[0])
    assert result.output_matches_reference is True
    assert result.flash_bytes > ITCM  # the whole firmware would not fit the emulated ITCM
    assert result.flash_bytes <= board.flash_bytes


@needs_arm_gcc
def test_the_weights_sit_in_the_machines_qspi_region(models):
    """The firmware's read-only data are linked at the QSPI origin the board file names (read
    back from the ELF, not from emu's own record) and the vector table stays at the ITCM."""
    from elftools.elf.elffile import ELFFile

    from emu.compile.kernel_set import resolve_kernel_set
    from emu.link.firmware import build_firmware
    from emu.results.measure import compile_for_device

    big, _ = models
    board = get_platform(BOARD)
    compiled = compile_for_device(read_model(big), resolve_kernel_set(board, None), board)
    firmware = build_firmware(compiled, board)
    with open(firmware.elf, "rb") as f:
        sections = {s.name: (s["sh_addr"], s["sh_size"]) for s in ELFFile(f).iter_sections()}
    address, size = sections[".rodata"]
    assert address == QSPI_ORIGIN and size > ITCM
    assert sections[".text"][0] == 0
    stack_pointer, reset = flash_words(firmware.elf, 0, 2)
    assert 0x21000000 < stack_pointer <= 0x21000000 + board.ram_bytes and reset & 1


def test_a_model_larger_than_the_part_is_refused_with_the_parts_figure(models):
    _, huge = models
    board = get_platform(BOARD)
    compiled = compile_graph(read_model(huge))
    with pytest.raises(DoesNotFit) as refused:
        check_fits(compiled, board, STACK_RESERVE)
    assert refused.value.reason == (f"needs {compiled.weight_bytes:,} B of flash for its constants, "
                                    f"board has {5_767_168:,} B")


def smaller_machine(tmp_path: Path, **emulated) -> Path:
    """The Alif board file with the emulated machine mapping less than it does."""
    values = yaml.safe_load(get_platform(BOARD).path.read_text())
    values.update(emulated, name="alif-small-machine")
    path = tmp_path / "alif-small-machine.yaml"
    path.write_text(yaml.safe_dump(values))
    return path


def test_what_only_the_emulated_machine_cannot_hold_is_named_the_emulators_limit(models, tmp_path):
    big, _ = models
    board = load_platform_file(smaller_machine(tmp_path, emulated_weights_bytes=ITCM))
    compiled = compile_graph(read_model(big))
    with pytest.raises(NotRunnable) as refused:
        check_fits(compiled, board, STACK_RESERVE)
    assert not isinstance(refused.value, DoesNotFit)
    assert refused.value.reason == (f"needs {compiled.weight_bytes:,} B of flash for its constants: the part has "
                                    f"5,767,168 B, but the emulated mps3-an547 maps at most 524,288 B for weights "
                                    f"(the emulator's limit, not the board's)")


def test_ram_only_the_emulated_machine_lacks_is_named_the_emulators_limit(models, tmp_path):
    big, _ = models
    board = load_platform_file(smaller_machine(tmp_path, emulated_ram_bytes=8192))
    compiled = compile_graph(read_model(big))
    need = compiled.arena_bytes + STACK_RESERVE
    with pytest.raises(NotRunnable) as refused:
        check_fits(compiled, board, STACK_RESERVE)
    assert refused.value.reason.startswith(f"needs {need:,} B of RAM (tensor arena {compiled.arena_bytes:,} B + "
                                           f"stack {STACK_RESERVE:,} B): the part has 1,048,576 B, but the emulated "
                                           f"mps3-an547 maps at most 8,192 B for data")


@needs_arm_gcc
def test_code_the_emulated_code_memory_cannot_hold_is_the_emulators_limit_at_link_time(models, tmp_path):
    """The linker's own overflow report, for a machine whose code memory is 1 KB: the part holds
    the firmware, so the refusal names the machine's limit."""
    from emu.link.firmware import build_firmware
    from emu.results.measure import compile_for_device

    big, _ = models
    board = load_platform_file(smaller_machine(tmp_path, emulated_flash_bytes=1024))
    compiled = compile_for_device(read_model(big), "reference", board)
    with pytest.raises(NotRunnable) as refused:
        build_firmware(compiled, board)
    assert not isinstance(refused.value, DoesNotFit)
    reason = refused.value.reason
    assert reason.startswith("needs ") and "B of flash for its code (the linked firmware): the part has " \
        "5,767,168 B, but the emulated mps3-an547 maps at most 1,024 B for code (the emulator's limit" in reason


@needs_arm_gcc
def test_code_and_weights_together_past_the_parts_flash_do_not_fit(models, tmp_path):
    """Code and weights go to two regions of the machine, each within the part's flash; a part
    whose flash holds the weights but not the code beside them is refused with its figure."""
    from emu.link.firmware import build_firmware
    from emu.results.measure import compile_for_device

    big, _ = models
    compiled = compile_for_device(read_model(big), "reference", get_platform("nucleo-l4r5zi"))
    part_flash = compiled.weight_bytes + 1024  # less than any firmware's code beside the weights
    board = load_platform_file(smaller_machine(tmp_path, flash_bytes=part_flash))
    with pytest.raises(DoesNotFit) as refused:
        build_firmware(compiled, board)
    assert re.fullmatch(rf"needs ([\d,]+) B of flash \(the linked firmware\), board has {part_flash:,} B",
                        refused.value.reason)
