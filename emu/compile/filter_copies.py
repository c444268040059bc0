"""Convolution filters copied into the arena for their call, where that costs no arena.

The DSP convolution kernels read their whole filter once per group of three output pixels, so
a layer reads it hundreds of times: IC's 16-channel 3x3 layers read their 2,304 bytes 342 times
per call. On a board whose every data read from flash pays the wait states
(Platform.flash_data_waits: no data cache in its timing model), each of those reads pays them
again. Copied into RAM just before the call (one read of the flash), the re-reads wait for
nothing.

RAM is what the user ships with, so a copy is made only where the arena does not grow: with
the plan made, each candidate, the largest saving first, has its filter's bytes put at the
start of its scratch, and keeps them if the arena's smallest layout is no larger than before.
Candidates are the dense DSP convolutions (a filter the kernel reads as one array) whose filter
is read at least MIN_READS times. The copy's own cost, one read of the filter from flash and a
write to RAM, is repaid after the first few groups of pixels.
"""

from __future__ import annotations

from collections.abc import Callable

from emu.compile.kernel_call import ConstArray, KernelCall
from emu.model.graph import Graph

PATHS = ("conv_2d/1x1-dsp", "conv_2d/im2col-dsp")
MIN_READS = 8  # groups of output pixels, each reading the whole filter
ALIGNMENT = 8  # the kernel's own scratch starts this aligned after the copy (emu/compile/arena.py)
PIXELS_PER_READ = 3  # output pixels per pass of the DSP convolution (conv_2d_dsp.c)


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
    return -(-p["batches"] * p["output_h"] * p["output_w"] // PIXELS_PER_READ)


def candidates(graph: Graph, calls: list[KernelCall]) -> list[int]:
    """The main subgraph's calls that may read a copy, the largest saving (bytes read from flash
    the copy spares) first."""
    found = [i for i, c in enumerate(calls) if c.path in PATHS and not c.filter_copy and _reads(c) >= MIN_READS]
    return sorted(found, key=lambda i: -(_reads(calls[i]) - 1) * filter_bytes(graph, calls[i]))


def add_copies(graph: Graph, calls: list[KernelCall], arena_bytes: Callable[[], int]) -> None:
    """Give each candidate of calls (the main subgraph's) a copy of its filter where
    arena_bytes(), the smallest layout's size with the calls as they are, does not grow."""
    limit = arena_bytes()
    for i in candidates(graph, calls):
        call = calls[i]
        room = copy_bytes(graph, call)
        call.filter_copy, call.scratch_bytes = room, call.scratch_bytes + room
        if arena_bytes() > limit:
            call.filter_copy, call.scratch_bytes = 0, call.scratch_bytes - room
