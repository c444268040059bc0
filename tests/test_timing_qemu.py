"""End to end: a microbenchmark run through QEMU, timed, against its hand count."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from emu.emulators.qemu import run_firmware
from emu.platforms import get_platform
from emu.timing import count_cycles
from emu.timing.disasm import read_program

ASM = Path(__file__).resolve().parent / "asm"

pytestmark = pytest.mark.skipif(
    not (shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc")),
    reason="needs qemu-system-arm and arm-none-eabi-gcc",
)

# A loop reading a word from flash ten times, between the start and end markers.
BENCHMARK = """
    .include "common.inc"
    .type emu_mark_start, %function
    .type emu_mark_end, %function
    .text
    .thumb_func
reset:
    ldr r3, =flash_word
    movs r0, #0
    bl emu_mark_start
    movs r1, #10
loop:
    ldr r2, [r3]
    adds r0, r0, r2
    subs r1, #1
    bne loop
    bl emu_mark_end
    exit_success
    .ltorg

    .thumb_func
emu_mark_start:
    bx lr
    .thumb_func
emu_mark_end:
    bx lr

    .section .rodata
    .align 2
flash_word: .word 1
"""


def test_flash_loop_on_nucleo_l152re(tmp_path):
    board = get_platform("nucleo-l152re")  # Cortex-M3 at 32 MHz, 1 WS, prefetch
    source, elf = tmp_path / "bench.S", tmp_path / "bench.elf"
    source.write_text(BENCHMARK)
    subprocess.run(
        ["arm-none-eabi-gcc", "-mcpu=cortex-m3", "-mthumb", "-nostdlib", "-nostartfiles",
         "-I", str(ASM), "-T", str(ASM / "link.ld"),
         f"-Wl,--defsym=FLASH_BASE={board.flash_origin:#x}",
         f"-Wl,--defsym=RAM_BASE={board.ram_origin:#x}", str(source), "-o", str(elf)],
        check=True)
    trace = run_firmware(elf, board)
    assert trace.exit.kind == "exit" and len(trace.segments) == 1
    segment = trace.segments[0]
    result = count_cycles(segment, read_program(elf, segment.executions), board)
    # In the window: the start marker's BX LR 1+2; MOVS 1; 10 x [LDR 2 + ADDS 1 + SUBS 1];
    # 10 x BNE 1 + 9 taken x 1; BL emu_mark_end 1+1 = 3 + 1 + 40 + 19 + 2 = 65 core cycles
    # (TRM notes: immediate branches 2 in total, register branches 3).
    # Flash (1 WS, prefetch): taken branches BX, 9 x BNE, BL = 11 x 1; 10 words read from
    # flash x 1 = 10; sequential code hidden: 21. Total 86.
    assert result.cycles == 86
    assert result.by_class["flash-wait"] == 21
