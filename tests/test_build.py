"""Firmware builds: sizes against arm-none-eabi-size, fit errors, the cache."""

import dataclasses
import subprocess

import pytest

from emu.compile.codegen import CompiledModel, Layer, TensorIO
from emu.errors import EmuError
from emu.link.bsp import linker_script
from emu.link.firmware import build_firmware
from emu.platforms import get_platform
from tests.conftest import needs_arm_gcc

pytestmark = needs_arm_gcc

# A model written by hand: output[i] = input[i] + 1 over 4 bytes, plus a constant table
# of a chosen size, so a test can make it too big for a board.
HAND_MODEL = '''#include "emu_model.h"
uint8_t emu_arena[16] EMU_NOINIT;
const uint32_t emu_arena_bytes = 16u;
static const uint8_t table[{table}] = {{1}};
/* read through a volatile pointer so the whole table stays in the firmware */
static const uint8_t *volatile table_ref = table;
void emu_model_reset(void) {{}}
void emu_model_run(void)
{{
    emu_mark_layer();
    for (int i = 0; i < 4; i++) {{
        emu_arena[8 + i] = (uint8_t)(emu_arena[i] + table_ref[0]);
    }}
}}
const struct emu_tensor_io emu_model_inputs[] = {{{{0u, 4u}}}};
const uint32_t emu_model_input_count = 1u;
const struct emu_tensor_io emu_model_outputs[] = {{{{8u, 4u}}}};
const uint32_t emu_model_output_count = 1u;
'''


def hand_model(table_bytes: int = 16) -> CompiledModel:
    return CompiledModel(
        name="plus_one", sha256="0" * 64, source=HAND_MODEL.format(table=table_bytes), arena_bytes=16,
        inputs=[TensorIO(0, "in", 0, (4,), "int8", 4)], outputs=[TensorIO(1, "out", 8, (4,), "int8", 4)],
        layers=[Layer(0, "ADD", None)])


def size_a(elf) -> dict[str, int]:
    out = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], capture_output=True, text=True, check=True).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def test_sections_agree_with_arm_none_eabi_size():
    firmware = build_firmware(hand_model(), get_platform("nucleo-l4r5zi"))
    sizes = size_a(firmware.elf)
    s = firmware.sections
    assert s.text == sizes[".text"] + sizes.get(".ARM.exidx", 0)
    assert s.rodata == sizes[".rodata"]
    assert s.data == sizes.get(".data", 0)
    assert s.bss == sizes.get(".bss", 0)
    assert s.arena == sizes[".noinit"] == 16
    assert s.flash == s.text + s.rodata + s.data


def test_same_inputs_reuse_the_cached_build():
    board = get_platform("nucleo-l4r5zi")
    first = build_firmware(hand_model(), board)
    mtime = first.elf.stat().st_mtime_ns
    second = build_firmware(hand_model(), board)
    assert second.elf == first.elf and second.elf.stat().st_mtime_ns == mtime


def test_model_too_big_for_flash_says_sizes_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("EMU_CACHE", str(tmp_path))
    board = dataclasses.replace(get_platform("nucleo-l4r5zi"), flash_bytes=64 * 1024)
    with pytest.raises(EmuError) as info:
        build_firmware(hand_model(table_bytes=100 * 1024), board)
    message = str(info.value)
    assert "does not fit" in message and "flash" in message and "has 64.0 KB" in message
    assert not (tmp_path / "builds").exists()  # no partial build left in the cache
    assert [list(run.iterdir()) for run in (tmp_path / "tmp").iterdir()] == [[]]  # nor in this run's scratch


def test_linker_script_uses_the_board_sizes():
    board = get_platform("nucleo-l4r5zi")
    script = linker_script(board)
    assert f"LENGTH = {2 * 1024 * 1024}" in script and f"LENGTH = {640 * 1024}" in script
