"""Convolution filters copied into the arena for their call, where the arena has room.

The DSP convolution kernels read their whole filter once per group of three output pixels, so
a layer reads it hundreds of times: IC's 16-channel 3x3 layers read their 2,304 bytes 342 times
per call. On a board whose every data read from flash pays the wait states
(Platform.flash_data_waits: no data cache in its timing model), each of those reads pays them
again. Copied into RAM just before the call (one read of the flash), the re-reads wait for
nothing.

RAM is what the user ships with, so a copy is made only where the arena has room for it: with
the plan made, each candidate, the largest saving first, has its filter's bytes put at the
start of its scratch, and keeps them if the arena's smallest layout stays within GROWTH of its
size without copies (all copies together). Where the planner fits a copy only by moving a
buffer a few bytes (VWW's first layer: 32 B more for a 224-byte filter read 768 times), that
small change buys the copy.
Candidates are the dense DSP convolutions and the channel-rows depthwise kernel (each reads its
filter as one array) whose filter is read at least MIN_READS times. The copy's own cost, one
read of the filter from flash and a write to RAM, is repaid after the first few reads.
"""

from __future__ import annotations

from collections.abc import Callable

from emu.compile.kernel_call import ConstArray, KernelCall
from emu.model.graph import Graph

# Each kernel that may read a copy, and how many output pixels read the whole filter once: the
# DSP convolution's groups of three, the channel-rows depthwise kernel's output rows.
PIXELS_PER_READ = {"conv_2d/1x1-dsp": 3, "conv_2d/im2col-dsp": 3}
ROWS_PATHS = ("depthwise_conv_2d/3x3-rows-dsp",)
MIN_READS = 8  # times a call reads its whole filter
GROWTH = 0.01  # of the arena without copies: what all copies together may add to it
ALIGNMENT = 8  # the kernel's own scratch starts this aligned after the copy (emu/compile/arena.py)


def filter_bytes(graph: Graph, call: KernelCall) -> int:
    """Bytes of the filter the call reads (its second argument)."""
    w = call.args[1]
    return int(w.values.nbytes) if isinstance(w, ConstArray) else graph.tensors[w].nbytes


def copy_bytes(graph: Graph, call: KernelCall) -> int:
    """The room the copy takes at the start of the scratch, so that the kernel's scratch after it
    stays aligned."""
    return -(-filter_bytes(graph, call) // ALIGNMENT) * ALIGNMENT


def _reads(call: KernelCall) -> int:
    p = call.params
    if call.path in ROWS_PATHS:
        return p["batches"] * p["output_h"]
    return -(-p["batches"] * p["output_h"] * p["output_w"] // PIXELS_PER_READ[call.path])


def candidates(graph: Graph, calls: list[KernelCall]) -> list[int]:
    """The main subgraph's calls that may read a copy, the largest saving (bytes read from flash
    the copy spares) first."""
    paths = (*PIXELS_PER_READ, *ROWS_PATHS)
    found = [i for i, c in enumerate(calls) if c.path in paths and not c.filter_copy and _reads(c) >= MIN_READS]
    return sorted(found, key=lambda i: -(_reads(calls[i]) - 1) * filter_bytes(graph, calls[i]))


def add_copies(graph: Graph, calls: list[KernelCall], arena_bytes: Callable[[], int]) -> None:
    """Give each candidate of calls (the main subgraph's) a copy of its filter where
    arena_bytes(), the smallest layout's size with the calls as they are, stays within GROWTH
    of what it is without copies."""
    limit = int(arena_bytes() * (1 + GROWTH))
    for i in candidates(graph, calls):
        call = calls[i]
        room = copy_bytes(graph, call)
        call.filter_copy, call.scratch_bytes = room, call.scratch_bytes + room
        if arena_bytes() > limit:
            call.filter_copy, call.scratch_bytes = 0, call.scratch_bytes - room
