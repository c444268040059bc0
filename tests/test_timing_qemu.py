"""End to end: a microbenchmark run through QEMU, timed, against its hand count."""

from __future__ import annotations

from emu.platforms import get_platform
from emu.timing import count_cycles
from tests.qemu_programs import marked_program, needs_qemu_and_gcc, run_marked

pytestmark = needs_qemu_and_gcc

# A loop reading a word from flash ten times, between the start and end markers.
BENCHMARK = marked_program(
    setup="""
    ldr r3, =flash_word
    movs r0, #0
""",
    body="""
    movs r1, #10
loop:
    ldr r2, [r3]
    adds r0, r0, r2
    subs r1, #1
    bne loop
""",
    data="""
    .section .rodata
    .align 2
flash_word: .word 1
""")


def test_flash_loop_on_nucleo_l152re(tmp_path):
    board = get_platform("nucleo-l152re")  # Cortex-M3 at 32 MHz, 1 WS, prefetch
    segment, program = run_marked(BENCHMARK, board, tmp_path)
    result = count_cycles(segment, program, board)
    # In the window: the start marker's BX LR 1+2; MOVS 1; 10 x [LDR 2 + ADDS 1 + SUBS 1];
    # 10 x BNE 1 + 9 taken x 1; BL emu_mark_end 1+1 = 3 + 1 + 40 + 19 + 2 = 65 core cycles
    # (TRM notes: immediate branches 2 in total, register branches 3).
    # Flash (1 WS, prefetch): taken branches BX, 9 x BNE, BL = 11 x 1; 10 words read from
    # flash x 1 = 10; sequential code hidden: 21. Total 86.
    assert result.cycles == 86
    assert result.by_class["flash-wait"] == 21
