"""Flash wait states against hand counts, with and without an accelerator.

The wait-state figures come from the vendors' tables (docs/sources.md); how much of them
an accelerator hides is the model's stated assumption (docs/timing.md, "Flash"):
- none: every 32-bit fetch and every word read from flash pays the wait states;
- prefetch: a 64-bit line takes 1 + WS cycles to read while the core runs the
  instructions it holds, a cycle each, so sequential code stalls only for the difference;
  each taken branch and each word read from flash pays WS;
- art / xip-cache: fetches hit the cache; data read from flash pays WS per 8-byte line,
  except literal-pool (PC-relative) loads, which hit;
- tcm: nothing.
"""

from __future__ import annotations

from dataclasses import replace

from emu.platforms import get_platform
from emu.timing import count_cycles
from tests.test_timing import assemble, pytestmark  # noqa: F401  (same skip condition)

M3_FLASH_LOOP = """
start:
    movs r1, #10
loop:
    ldr r2, [r3]
    adds r0, r0, r2
    subs r1, #1
branch:
    bne loop
"""
# Core cycles of M3_FLASH_LOOP (Cortex-M3 Table 3-1 and its notes): MOVS 1 + 10 x [LDR 2
# + ADDS 1 + SUBS 1] + 10 x BNE 1 + 9 taken x 1 = 1 + 40 + 10 + 9 = 60
M3_LOOP_CORE = 60


def m3_loop(tmp_path, **board_changes):
    snippet = assemble(tmp_path, "cortex-m3", M3_FLASH_LOOP)
    segment = snippet.segment({"start": 1, "loop": 10, "branch": 10}, taken={"branch": 9},
                              flash_loads={"loop": 10})
    platform = replace(get_platform("nucleo-l152re"), **board_changes)
    return count_cycles(segment, snippet.program, platform)


def test_prefetch_hides_sequential_code_not_branches_or_data(tmp_path):
    # STM32L152 at 32 MHz: 1 WS, prefetch with 64-bit access. A line (2 fetches) takes
    # 1 + 1 = 2 cycles, so sequential code does not stall; 9 taken branches x 1
    # + 10 words read from flash x 1 = 19
    result = m3_loop(tmp_path)
    assert result.cycles == M3_LOOP_CORE + 19
    assert result.by_class["flash-wait"] == 19


def test_without_accelerator_every_fetch_waits(tmp_path):
    # 2 WS, no accelerator: code bytes executed = MOVS 2 + 10 x (2+2+2+2) = 82,
    # 82 / 4 bytes per fetch x 2 = 41; data 10 words x 2 = 20: 61
    assert m3_loop(tmp_path, flash_wait_states=2, flash_accelerator="none").cycles == M3_LOOP_CORE + 61


def test_wait_states_off(tmp_path):
    assert m3_loop(tmp_path, flash_wait_states=0).cycles == M3_LOOP_CORE


M4_BYTE_LOOP = """
start:
    movs r1, #16
loop:
    ldrb r2, [r3], #1
    adds r0, r0, r2
    subs r1, #1
branch:
    bne loop
"""


def test_art_streams_weights_by_line(tmp_path):
    snippet = assemble(tmp_path, "cortex-m4", M4_BYTE_LOOP)
    counts, taken = {"start": 1, "loop": 16, "branch": 16}, {"branch": 15}
    board = get_platform("disco-l475-iot01a")  # 4 WS at 80 MHz, ART
    # Core: MOVS 1 + 16 x [LDRB 2 + ADDS 1 + SUBS 1] + 16 x BNE 1 + 15 taken x 1 = 96
    from_ram = snippet.segment(counts, taken, ram_loads={"loop": 16})
    assert count_cycles(from_ram, snippet.program, board).cycles == 96
    # From flash: code hits the ART; 16 bytes = 2 lines of 8 bytes x 4 WS = 8
    from_flash = snippet.segment(counts, taken, flash_loads={"loop": 16})
    assert count_cycles(from_flash, snippet.program, board).cycles == 96 + 8


def test_xip_cache_line_refills(tmp_path):
    snippet = assemble(tmp_path, "cortex-m0plus", """
start:
    movs r1, #16
loop:
    ldrb r2, [r3, r1]
    adds r0, r0, r2
    subs r1, #1
branch:
    bne loop
""")
    segment = snippet.segment({"start": 1, "loop": 16, "branch": 16}, taken={"branch": 15},
                              flash_loads={"loop": 16})
    # Core (RP2040 Table 81): MOVS 1 + 16 x [LDRB 2 + ADDS 1 + SUBS 1] + 16 x BNE 1
    # + 15 taken x 1 = 1 + 64 + 16 + 15 = 96. Flash: 16 bytes = 2 XIP lines x 56 (the
    # board's refill cost, an assumption) = 112
    assert count_cycles(segment, snippet.program, get_platform("rp2040-pico")).cycles == 96 + 112


def test_prefetch_keeps_up_with_16_bit_code(tmp_path):
    snippet = assemble(tmp_path, "cortex-m0plus", "\n".join(["adds r0, #1"] * 8))
    # STM32G0 at 64 MHz: 2 WS, prefetch. A 64-bit line takes 1 + 2 = 3 cycles to read and
    # holds four 16-bit instructions that take 4 to execute: no stall. 8 x ADDS 1 = 8
    assert count_cycles(snippet.straight(), snippet.program, get_platform("nucleo-g0b1re")).cycles == 8


def test_prefetch_too_slow_for_32_bit_code(tmp_path):
    snippet = assemble(tmp_path, "cortex-m3", "\n".join(["adds.w r0, r0, #1"] * 8))
    # 2 WS with prefetch: a line (3 cycles) holds two 32-bit instructions (2 cycles):
    # 1 stall per 8 bytes. 8 x ADDS.W 1 + 32 bytes / 8 x 1 = 12
    board = replace(get_platform("nucleo-l152re"), flash_wait_states=2)
    assert count_cycles(snippet.straight(), snippet.program, board).cycles == 12


def test_literal_pool_hits_the_xip_cache(tmp_path):
    snippet = assemble(tmp_path, "cortex-m0plus", "ldr r0, =0x12345678\nadds r0, #1\n.ltorg")
    segment = snippet.straight()
    segment.loads[snippet.labels["_start"]] = (1, 0, 0)  # the literal is in flash
    # LDR 2 + ADDS 1; the pool shares the cached lines of its code: no refill
    assert count_cycles(segment, snippet.program, get_platform("rp2040-pico")).cycles == 3


def test_tcm_never_waits(tmp_path):
    snippet = assemble(tmp_path, "cortex-m55", "ldr r0, [r1]")
    segment = snippet.straight()
    segment.loads[snippet.labels["_start"]] = (1, 0, 0)
    # LDR 1 and nothing for memory in TCM
    assert count_cycles(segment, snippet.program, get_platform("alif-e7-appkit")).cycles == 1
