"""The lead that lets a row-streaming output overlap its input, against a simulation."""

import itertools

import numpy as np

from emu.compile.overlap import row_streaming_lead


def clobbers(lead, in_h, in_w, in_c, out_h, out_w, out_c, stride, pad_top, pad_left, filter_h, filter_w):
    """Run a convolution's loop nest over a shared byte buffer, pixel by pixel: read the
    input window of output pixel (y, x), then write its out_c bytes. True if any read
    finds an input byte that an output write already replaced."""
    overwritten = np.zeros(lead + in_h * in_w * in_c + out_h * out_w * out_c, bool)
    for y in range(out_h):
        for x in range(out_w):
            for fy in range(filter_h):
                for fx in range(filter_w):
                    r, c = y * stride - pad_top + fy, x * stride - pad_left + fx
                    if 0 <= r < in_h and 0 <= c < in_w:
                        start = lead + (r * in_w + c) * in_c
                        if overwritten[start:start + in_c].any():
                            return True
            start = (y * out_w + x) * out_c
            overwritten[start:start + out_c] = True
    return False


def test_micro_speech_depthwise_layer_by_hand():
    # 49x40x1 in, 25x20x8 out, 10x8 filter, stride 2, SAME: pad_top = (24*2 + 10 - 49) // 2 = 4.
    # Row 24 (the last) ends at 25*160 = 4000 bytes and needs input rows from 44 on,
    # which start 44*40 = 1760 bytes into the input: lead >= 4000 - 1760 = 2240.
    assert row_streaming_lead(49, 40, 25, 160, 2, 4) == 2240


def test_the_lead_never_lets_an_output_clobber_an_input_still_needed():
    for in_h, stride, filter_h, in_c, out_c in itertools.product((5, 8, 13), (1, 2), (1, 3, 4), (1, 3), (1, 4, 8)):
        in_w, filter_w = 6, 3
        pad_top, pad_left = (filter_h - 1) // 2, 1
        out_h, out_w = (in_h + stride - 1) // stride, (in_w + stride - 1) // stride
        lead = row_streaming_lead(in_h, in_w * in_c, out_h, out_w * out_c, stride, pad_top)
        assert not clobbers(lead, in_h, in_w, in_c, out_h, out_w, out_c, stride, pad_top, pad_left,
                            filter_h, filter_w)


def test_sharing_saves_memory_when_the_output_outgrows_the_input():
    # the micro_speech case: 1,960 + 4,000 bytes apart, max(2240 + 1960, 4000) = 4,200 shared
    lead = row_streaming_lead(49, 40, 25, 160, 2, 4)
    assert max(lead + 1960, 4000) == 4200 < 1960 + 4000
