"""Flash wait states: cycles the core waits for code and data held in flash.

platform.flash_wait_states is what one flash access costs beyond a zero-wait access at
the platform's clock (from the vendor's wait-state table); platform.flash_accelerator says
what hides it. No vendor document states how much of the wait an accelerator hides for a
given instruction stream, so each rule below is an assumption, chosen to be simple and
stated in docs/timing.md.
"""

from __future__ import annotations

from collections import Counter

from emu.emulators.trace import Segment
from emu.platforms import Platform
from emu.timing.core import CoreTable
from emu.timing.stream import Executed

# Bytes one flash access (or cache-line fill) delivers, per accelerator.
LINE_BYTES = {
    "none": 4,  # assumption: one 32-bit access per fetch or load
    "prefetch": 8,  # STM32L1: prefetch with 64-bit access (docs/sources.md#st-stm32l152)
    "art": 8,  # assumption: 64-bit flash lines as on STM32L4; wider lines (the F7's 256 bits) make this pessimistic
    "xip-cache": 8,  # RP2040 XIP cache: 8-byte lines (docs/sources.md#rp2040-datasheet)
    "tcm": 0,
}

# A line fill of a board's flash cache (where the board file gives its geometry) reads the
# line from flash this many bytes at a time, each read paying the wait states. Assumption: no
# vendor states the width of the fill path; 4 bytes is the Cortex-M's 32-bit AHB data path.
FILL_READ_BYTES = 4


def flash_total(stream: list[Executed], segment: Segment, platform: Platform,
                table: CoreTable) -> Counter:
    wait = platform.flash_wait_states
    accelerator = platform.flash_accelerator
    if wait == 0 or accelerator == "tcm":
        return Counter()
    if accelerator not in LINE_BYTES:
        raise ValueError(f"unknown flash accelerator '{accelerator}'")
    code = _code_stall(stream, platform, table, wait, accelerator)
    data = _data_stall(stream, segment, platform, wait, accelerator)
    return Counter({"flash-wait": code + data})


def _code_stall(stream, platform, table, wait, accelerator) -> float:
    in_flash = [e for e in stream if platform.in_flash(e.ins.address)]
    fetched_bytes = sum(e.count * e.ins.size for e in in_flash)
    if accelerator == "none":
        # Every fetch is a flash access and pays the full wait.
        return wait * fetched_bytes / table.fetch_bytes
    if accelerator == "prefetch":
        # The buffer reads the next line while the core runs: a line of LINE bytes takes
        # 1 + wait cycles to read and feeds the instructions it holds, each at least a
        # cycle, so sequential code stalls only for the difference: a line of four 16-bit
        # instructions (4 cycles) hides 3 wait states, one of two 32-bit instructions only
        # 1. A taken branch leaves the buffer and pays the wait.
        line = LINE_BYTES[accelerator]
        executed = sum(e.count for e in in_flash)
        if not executed:
            return 0.0
        instructions_per_line = line * executed / fetched_bytes
        per_line = max(0.0, 1 + wait - instructions_per_line)
        taken = sum(e.taken for e in in_flash if e.ins.is_branch)
        return per_line * fetched_bytes / line + wait * taken
    # "art" and "xip-cache": the instruction cache holds the kernels' loops, which are far
    # smaller than it, so fetches hit.
    return 0.0


def _data_stall(stream, segment, platform, wait, accelerator) -> float:
    if platform.flash_cache is not None and segment.flash_line_fills is not None:
        # The trace ran the reads through a model of the board's flash cache: each line a read
        # missed is filled from flash, and reads that hit wait for nothing.
        line_bytes = platform.flash_cache[0]
        fills = sum(segment.flash_line_fills.values())
        return wait * fills * line_bytes / FILL_READ_BYTES
    stall = 0.0
    for e in stream:
        split = segment.loads.get(e.ins.address)
        if not split or not e.ins.is_load or sum(split) == 0:
            continue
        if accelerator in ("art", "xip-cache") and e.ins.base_register == "pc":
            # A literal pool sits next to the code that reads it, in lines the cache
            # already holds for that code: it hits.
            continue
        # The share of this instruction's loads that read flash; counting it as a share
        # makes the rule hold whether the trace counts an LDM once or once per word.
        share = split[0] / sum(split)
        if accelerator in ("none", "prefetch"):
            # Every word read from flash is a flash access.
            stall += wait * share * e.count * e.ins.words_moved
        else:
            # Caches with line fills: data read from flash (weights) streams through, so
            # each line of it is filled once and the loads within a line hit.
            stall += wait * share * e.count * e.ins.access_bytes / LINE_BYTES[accelerator]
    return stall

