"""How far ahead of its output a row-streaming kernel's input must start to share memory.

A kernel that computes output rows in order (y = 0, 1, ...) and, for row y, reads input
rows from first_row(y) = max(0, y * stride - pad_top) on, never needs an input row again
once a later output row no longer covers it. So the output may be written over the input
as long as output row y (its last byte) stays below the first input row it still needs:

    (y + 1) * out_row_bytes <= lead + first_row(y) * in_row_bytes     for every y,

lead being where the input starts relative to the output. The smallest such lead lets a
layer whose output is larger than its input (micro_speech's depthwise convolution: 1,960
bytes in, 4,000 out) take max(lead + input, output) bytes instead of input + output.
"""

from __future__ import annotations

import numpy as np


def row_streaming_lead(in_rows: int, in_row_bytes: int, out_rows: int, out_row_bytes: int,
                       stride: int, pad_top: int) -> int:
    lead = 0
    for y in range(out_rows):
        first_row = max(0, min(in_rows, y * stride - pad_top))
        lead = max(lead, (y + 1) * out_row_bytes - first_row * in_row_bytes)
    return lead


def nhwc_streaming_lead(x, y, stride_h: int, pad_top: int) -> int | None:
    """input_lead for a kernel over NHWC tensors x -> y that writes output pixels in order;
    None (no sharing) for batches, whose images the formula above does not cover."""
    if len(x.shape) != 4 or len(y.shape) != 4 or x.shape[0] != 1 or y.shape[0] != 1:
        return None
    _, in_h, in_w, in_c = x.shape
    _, out_h, out_w, out_c = y.shape
    in_item, out_item = np.dtype(x.dtype).itemsize, np.dtype(y.dtype).itemsize
    return row_streaming_lead(in_h, in_w * in_c * in_item, out_h, out_w * out_c * out_item, stride_h, pad_top)
