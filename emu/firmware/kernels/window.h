/* The window of one output pixel of a convolution, gathered into one run laid out like a
 * filter: filter_h x filter_w taps of `channels` bytes, row by row. Taps in the padding read
 * the input zero point, which with the bias folded at compile time contributes nothing, as
 * in the reference arithmetic. Shared by the reference and the optimized kernels. */
#ifndef EMU_WINDOW_H
#define EMU_WINDOW_H

#include <stdint.h>
#include <string.h>

/* n bytes: a word at a time for the few bytes of a short row, where a call to memcpy would
 * cost more than the copy (the 4-byte memcpy is one LDR and one STR where the core allows
 * unaligned words, byte moves where it does not). */
static inline void emu_copy_bytes(int8_t *dst, const int8_t *src, int32_t n)
{
    if (n > 32) {
        memcpy(dst, src, (size_t)n);
        return;
    }
    for (; n >= 4; n -= 4, src += 4, dst += 4) {
        uint32_t v;
        memcpy(&v, src, sizeof v);
        memcpy(dst, &v, sizeof v);
    }
    for (; n > 0; --n) {
        *dst++ = *src++;
    }
}

/* image: one batch's NHWC input; (iy0, ix0): where the window's first tap would read. A row
 * of taps wholly inside the image, without dilation, is one copy. */
static inline void emu_gather_window(int8_t *run, const int8_t *image, int input_h, int input_w, int channels,
                                     int filter_h, int filter_w, int dilation_h, int dilation_w, int iy0,
                                     int ix0, int8_t zero_point)
{
    const int32_t row_bytes = (int32_t)filter_w * channels;
    const int row_fits = dilation_w == 1 && ix0 >= 0 && ix0 + filter_w <= input_w;
    for (int fy = 0; fy < filter_h; ++fy, run += row_bytes) {
        const int iy = iy0 + fy * dilation_h;
        if (iy < 0 || iy >= input_h) {
            memset(run, zero_point, (size_t)row_bytes);
            continue;
        }
        const int8_t *row = image + (int32_t)iy * input_w * channels;
        if (row_fits) {
            emu_copy_bytes(run, row + (int32_t)ix0 * channels, row_bytes);
            continue;
        }
        for (int fx = 0; fx < filter_w; ++fx) {
            const int ix = ix0 + fx * dilation_w;
            if (ix >= 0 && ix < input_w) {
                emu_copy_bytes(run + fx * channels, row + (int32_t)ix * channels, channels);
            } else {
                memset(run + fx * channels, zero_point, (size_t)channels);
            }
        }
    }
}

/* Where each tap of the window at (iy0, ix0) reads: its place in the image, or zero_row (a row
 * of the input zero point) in the padding. For kernels that read every tap in place. */
static inline void emu_list_taps(const int8_t **tap, const int8_t *image, const int8_t *zero_row, int input_h,
                                 int input_w, int channels, int filter_h, int filter_w, int dilation_h,
                                 int dilation_w, int iy0, int ix0)
{
    for (int fy = 0; fy < filter_h; ++fy) {
        const int iy = iy0 + fy * dilation_h;
        const int row_inside = iy >= 0 && iy < input_h;
        for (int fx = 0; fx < filter_w; ++fx) {
            const int ix = ix0 + fx * dilation_w;
            *tap++ = row_inside && ix >= 0 && ix < input_w ? image + ((int32_t)iy * input_w + ix) * channels
                                                           : zero_row;
        }
    }
}

#endif
