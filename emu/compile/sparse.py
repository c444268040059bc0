"""The sparse-bitmap form of pruned int8 filters (emu/firmware/kernels/sparse_bitmap.h).

Per output channel, a bitmap of its nonzero weights (a byte per 8 weights, least significant
bit first; a convolution's channel covers its whole window), and the nonzero weights one
after the other. Zero weights then cost one bit of flash and no multiply-accumulate. A bitmap rather
than a list of positions: at 80% zeros a position byte per nonzero weight would cost more
than the bitmap's bit per weight, and unstructured pruning leaves runs too short to encode.

The form is a candidate wherever it takes fewer bytes than the dense filter; whether a layer
takes it is the user's objective's choice (emu/compile/objective.py): finding a weight
through the bitmap costs several times a dense multiply-accumulate, more so against the DSP
and Helium kernels, so it saves flash far more often than it saves time.
"""

from __future__ import annotations

import numpy as np

from emu.compile.kernel_call import ConstArray
from emu.model.graph import Graph

FORMAT = "sparse-bitmap"


def encode(filters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """filters [channels, weights per channel] int8 -> (bitmap bytes, nonzero values)."""
    channels, inputs = filters.shape
    padded = np.zeros((channels, (inputs + 7) // 8 * 8), dtype=bool)
    padded[:, :inputs] = filters != 0
    bitmap = np.packbits(padded, axis=-1, bitorder="little").reshape(-1)
    values = filters[filters != 0]  # C order: channel by channel, as the kernels walk them
    return bitmap, values.astype(np.int8)


def written_at_run_time(graph: Graph, tensor: int) -> bool:
    """A filter that an operator writes (a DECODE or a widening DEQUANTIZE before its consumer)
    is already stored in a form of its own."""
    return tensor in graph.writers


def sparse_bytes(filters: np.ndarray) -> int | None:
    """Flash bytes of the sparse form of filters [channels, weights per channel], or None when
    it takes no fewer bytes than the dense filter."""
    bitmap, values = encode(filters)
    size = bitmap.nbytes + values.nbytes
    return size if size < filters.size else None


def sparse_params(graph: Graph, tensor: int, filters: np.ndarray) -> tuple[dict, int, int] | None:
    """The kernel's bitmap and values, their bytes and the nonzero weights, when the form takes
    fewer bytes than the dense filter (a filter written at run time has a form of its own)."""
    if written_at_run_time(graph, tensor):
        return None
    bitmap, values = encode(filters)
    size = bitmap.nbytes + values.nbytes
    if size >= filters.size:
        return None
    return {"bitmap": ConstArray("uint8_t", bitmap), "values": ConstArray("int8_t", values)}, size, values.size
