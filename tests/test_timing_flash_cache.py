"""The flash cache on the EK-RA6M4, end to end: programs run through QEMU, their flash data
reads looked up by the trace plugin in its model of the board's cache, timed, against hand
counts of the documented rule (docs/timing.md, "Flash wait states").

The board file gives the cache 32-byte lines (Renesas FSP: CCALCF = 1,
docs/sources.md#renesas-fsp-ra6m4) and, as an assumption, 256 lines in 2 ways (128 sets, so
lines 4 KB apart share a set), the least recently used line replaced. A read that misses fills
its line, 8 words each paying the flash's 3 wait states (FLWT above 150 MHz): 24 cycles. A
read that hits costs nothing. So weights streamed once pay a fill per 32 bytes, while a small
set of weights read over and over pays only its first fills.
"""

from __future__ import annotations

from pathlib import Path

from emu.platforms import get_platform
from emu.timing import count_cycles
from tests.qemu_programs import marked_program, needs_qemu_and_gcc, run_marked

pytestmark = needs_qemu_and_gcc

FILL_CYCLES = 32 // 4 * 3  # a 32-byte line read a word at a time, each word 3 wait states
WORDS = 4096  # flash words each program below reads inside its window

# `body` runs between the markers with r3 = big (16 KB, 32-byte aligned) and r4 = small (256 bytes).
SETUP = """
    ldr r3, =big
    ldr r4, =small
"""
DATA = """
    .section .rodata
    .balign 32
big: .space 16384, 1
small: .space 256, 1
"""

# Every word of the 16 KB array once, in order: streamed.
STREAM = f"""
    movw r1, #{WORDS}
1:  ldr r2, [r3], #4
    subs r1, #1
    bne 1b
"""

# The 64 words of the 256-byte array, 64 times over: as many reads, re-read.
REREAD = """
    movs r5, #64
2:  mov r3, r4
    movs r1, #64
1:  ldr r2, [r3], #4
    subs r1, #1
    bne 1b
    subs r5, #1
    bne 2b
"""


def same_set(lines: int, passes: int) -> str:
    """`lines` lines 4 KB apart (one set of the 128), each read once per pass."""
    setup = "".join(f"    add.w r{5 + i}, r3, #{4096 * i}\n" for i in range(1, lines))
    reads = "    ldr r2, [r3]\n" + "".join(f"    ldr r2, [r{5 + i}]\n" for i in range(1, lines))
    return f"{setup}    movs r1, #{passes}\n1:\n{reads}    subs r1, #1\n    bne 1b\n"


def run(tmp_path: Path, body: str):
    board = get_platform("ek-ra6m4")
    segment, program = run_marked(marked_program(SETUP, body, DATA), board, tmp_path)
    flash_words = sum(flash for flash, _ram, _other in segment.loads.values())
    fills = sum(segment.flash_line_fills.values())
    cycles = count_cycles(segment, program, board)
    return flash_words, fills, cycles.by_class.get("flash-wait", 0)


def test_the_board_file_gives_the_cache_the_tests_count_with():
    board = get_platform("ek-ra6m4")
    assert (board.flash_wait_states, board.flash_accelerator, board.flash_cache) == (3, "art", (32, 128, 2))


def test_weights_streamed_once_pay_a_line_fill_per_32_bytes(tmp_path):
    words, fills, wait = run(tmp_path, STREAM)
    assert words == WORDS
    assert fills == WORDS * 4 // 32 == 512
    assert wait == 512 * FILL_CYCLES == 12_288


def test_weights_read_over_and_over_pay_only_their_first_fills(tmp_path):
    # As many flash words as the streamed program, but 256 bytes: 8 lines, filled once.
    words, fills, wait = run(tmp_path, REREAD)
    assert words == WORDS
    assert fills == 256 // 32 == 8
    assert wait == 8 * FILL_CYCLES == 192


def test_two_lines_of_one_set_stay_and_a_third_evicts_the_least_recently_used(tmp_path):
    # Two ways: two lines 4 KB apart fill once each; a third in the same set, read in turn,
    # always replaces the line read longest ago, which is the next one read: every read misses.
    assert run(tmp_path, same_set(2, 10))[1] == 2
    assert run(tmp_path, same_set(3, 10))[1] == 3 * 10


def test_literal_pools_stay_out_of_the_cache_model_even_inside_an_it_block(tmp_path):
    # A PC-relative load reads a line that holds the code reading it, which the cache holds for
    # that code: no fill, also where the plugin counts a conditional one through a callback.
    body = "    movs r0, #0\n    movs r1, #10\n1:  cmp r0, #0\n    it eq\n    ldreq r2, =0x12345678\n" \
           "    subs r1, #1\n    bne 1b\n"
    words, fills, wait = run(tmp_path, body)
    assert (words, fills, wait) == (10, 0, 0)
