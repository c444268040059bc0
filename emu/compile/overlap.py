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


def row_streaming_lead(in_rows: int, in_row_bytes: int, out_rows: int, out_row_bytes: int,
                       stride: int, pad_top: int) -> int:
    lead = 0
    for y in range(out_rows):
        first_row = max(0, min(in_rows, y * stride - pad_top))
        lead = max(lead, (y + 1) * out_row_bytes - first_row * in_row_bytes)
    return lead
