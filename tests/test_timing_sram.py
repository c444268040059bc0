"""SRAM wait states on the EK-RA6M4, end to end: a loop run through QEMU, timed, against a
hand count of the memory rules.

The board's figures come from Renesas' FSP for the RA6M4 at 200 MHz
(docs/sources.md#renesas-fsp-ra6m4): one SRAM wait cycle (SRAMWTSC, set above 100 MHz) and
three code-flash wait cycles (FLWT, above 150 MHz). The rules (docs/timing.md, "Memory wait
states"): every word read from SRAM pays the SRAM wait (an AHB transfer's data phase is
held, docs/sources.md#amba-ahb), stores pay nothing (write buffer), and data read from flash
pays a line fill of the board's flash cache (32-byte lines, each filled a word at a time at the
flash wait) only where the read misses the cache, literal pools aside.
"""

from __future__ import annotations

from dataclasses import replace

from emu.platforms import get_platform
from emu.timing import count_cycles
from tests.qemu_programs import marked_program, needs_qemu_and_gcc, run_marked

pytestmark = needs_qemu_and_gcc

LOOPS = 10
# Per iteration: LDR from SRAM (1 word), LDR from flash (1 word), LDM from SRAM (2 words),
# STR to SRAM (a write). The literal-pool loads of the two addresses run before the window.
PROGRAM = marked_program(
    setup="""
    ldr r3, =flash_word
    ldr r4, =ram_words
    movs r0, #0
""",
    body=f"""
    movs r1, #{LOOPS}
loop:
    ldr r2, [r4]
    ldr r5, [r3]
    ldm r4, {{r6, r7}}
    str r0, [r4, #8]
    adds r0, r0, r2
    subs r1, #1
    bne loop
""",
    data="""
    .section .rodata
    .align 2
flash_word: .word 1

    .data
    .align 2
ram_words: .word 2, 3, 4
""")
SRAM_WORDS_READ = LOOPS * (1 + 2)  # LDR + LDM of two registers
FLASH_LINE_FILLS = 1  # the same flash word every time: the first read fills its line, the rest hit


def test_sram_and_flash_reads_pay_their_wait_states_on_ek_ra6m4(tmp_path):
    board = get_platform("ek-ra6m4")
    assert (board.ram_wait_states, board.flash_wait_states, board.flash_accelerator) == (1, 3, "art")
    segment, program = run_marked(PROGRAM, board, tmp_path)
    charged = count_cycles(segment, program, board)
    core_only = count_cycles(segment, program, replace(board, ram_wait_states=0, flash_wait_states=0))
    # By hand: 30 words read from SRAM x 1 wait = 30; one 32-byte line filled from flash, 8 words
    # x 3 waits = 24; the stores, and code fetches (cached), 0.
    assert charged.by_class["ram-wait"] == SRAM_WORDS_READ * 1 == 30
    assert charged.by_class["flash-wait"] == FLASH_LINE_FILLS * 32 // 4 * 3 == 24
    assert charged.cycles - core_only.cycles == 54


def test_the_wait_is_paid_per_word_read_and_only_where_the_board_has_one(tmp_path):
    board = get_platform("ek-ra6m4")
    segment, program = run_marked(PROGRAM, board, tmp_path)
    # The same trace on an SRAM with two wait states: 30 words x 2; with none: no charge.
    assert count_cycles(segment, program, replace(board, ram_wait_states=2)).by_class["ram-wait"] == 60
    assert "ram-wait" not in count_cycles(segment, program, replace(board, ram_wait_states=0)).by_class
