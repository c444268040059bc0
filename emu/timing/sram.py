"""SRAM wait states: cycles the core waits for data it reads from SRAM.

platform.ram_wait_states is what one read of the board's SRAM costs beyond a zero-wait
access at the platform's clock (from the vendor's figures, docs/sources.md#memory-wait-states).
An AHB slave with wait states holds each transfer's data phase for that many cycles, and the
next transfer waits behind it, so reads issued back to back, and the beats of an LDM, each
pay them (docs/sources.md#amba-ahb). Writes are not charged: the core's write buffer takes
a store and lets the pipeline go on while the bus waits (docs/sources.md#arm-write-buffer;
an assumption for the Cortex-M33, whose manual was not checked for it).
"""

from __future__ import annotations

from collections import Counter

from emu.emulators.trace import Segment
from emu.platforms import Platform


def ram_total(segment: Segment, platform: Platform) -> Counter:
    wait = platform.ram_wait_states
    if wait == 0:
        return Counter()
    # segment.loads counts reads per load instruction and region, one per word an LDM,
    # LDRD or POP moves (emu/emulators/plugin/emu_trace.c): each is one bus transfer.
    reads = sum(ram for _flash, ram, _other in segment.loads.values())
    return Counter({"ram-wait": wait * reads})
