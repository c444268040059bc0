/* CONV_2D, int8, with SMLAD: two output pixels by two output channels per pass.
 *
 * The arithmetic is that of conv_2d.c: the bias with the input offset folded in at compile
 * time, padded taps reading the input zero point, so each output is a plain dot product of
 * its window with its filter. Here the two windows of a pixel pair are first expanded to
 * int16 halves in scratch (emu_dsp.h's packed order, interleaved: for every four bytes of
 * the window, pixel 0's even and odd halves, then pixel 1's), once for all output channels;
 * the inner loop then loads four window words and two filter words, expands the filter
 * words and issues eight SMLADs: sixteen multiply-accumulates. The rescale is emu_dsp.h's,
 * which the compiler chooses these kernels for only where it is exact.
 *
 * Scratch: each output channel's rescale (EMU_DSP_RESCALE_BYTES), 4 x (window & ~3) bytes of
 * expanded pairs, then 2 x window bytes for the gathered windows of the general form.
 */
#include "conv_2d_dsp.h"

#include <stddef.h>
#include <string.h>

#include "emu_dsp.h"

/* The first len & ~3 bytes of two windows, expanded and interleaved into pairs. */
static void expand_pair(const int8_t *x0, const int8_t *x1, int32_t len, uint32_t *pairs)
{
    for (int32_t n = len >> 2; n > 0; --n, x0 += 4, x1 += 4, pairs += 4) {
        const uint32_t a = emu_read_u32(x0), b = emu_read_u32(x1);
        pairs[0] = emu_sxtb16(a);
        pairs[1] = emu_sxtb16_ror8(a);
        pairs[2] = emu_sxtb16(b);
        pairs[3] = emu_sxtb16_ror8(b);
    }
}

/* Sixteen multiply-accumulates: the four window words at x[i..i+3] against the filter words
 * at s + j (channel oc) and t + j (channel oc1). */
#define QUAD(i, j)                                                                  \
    do {                                                                            \
        const uint32_t ws = emu_read_u32(s + (j)), wt = emu_read_u32(t + (j));      \
        const uint32_t se = emu_sxtb16(ws), te = emu_sxtb16(wt);                    \
        a00 = emu_smlad(x[(i)], se, a00);                                           \
        a10 = emu_smlad(x[(i) + 2], se, a10);                                       \
        a01 = emu_smlad(x[(i)], te, a01);                                           \
        a11 = emu_smlad(x[(i) + 2], te, a11);                                       \
        const uint32_t so = emu_sxtb16_ror8(ws), to = emu_sxtb16_ror8(wt);          \
        a00 = emu_smlad(x[(i) + 1], so, a00);                                       \
        a10 = emu_smlad(x[(i) + 3], so, a10);                                       \
        a01 = emu_smlad(x[(i) + 1], to, a01);                                       \
        a11 = emu_smlad(x[(i) + 3], to, a11);                                       \
    } while (0)

/* Every output channel of two pixels whose windows (len bytes each, laid out like a filter
 * row) are x0 and x1, expanded in pairs. A lone pixel passes x1 == x0 and out1 == out0; an
 * odd last channel pairs with itself. */
static void pixel_pair(const emu_conv2d_s8_params *p, const emu_dsp_rescale *rescale, const uint32_t *pairs,
                       const int8_t *x0, const int8_t *x1, int32_t len, const int8_t *filter,
                       int8_t *out0, int8_t *out1)
{
    const int32_t *bias = p->folded_bias;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int channels = p->output_c;
    const int32_t tail = len & 3;
    const uint32_t *pairs_end = pairs + (len >> 2) * 4;
    const int8_t *w0 = filter;
    for (int oc = 0; oc < channels; oc += 2, w0 += 2 * len) {
        const int oc1 = oc + 1 < channels ? oc + 1 : oc;
        const int8_t *w1 = oc1 == oc ? w0 : w0 + len;
        int32_t a00 = bias[oc], a01 = bias[oc1], a10 = a00, a11 = a01;
        const uint32_t *x = pairs;
        const int8_t *s = w0, *t = w1;
        /* two words of the window per pass, then the odd one */
        for (; x + 8 <= pairs_end; x += 8, s += 8, t += 8) {
            QUAD(0, 0);
            QUAD(4, 4);
        }
        if (x < pairs_end) {
            QUAD(0, 0);
        }
        for (int32_t k = len - tail; k < len; ++k) {
            const int32_t u = x0[k], v = x1[k], ws = w0[k], wt = w1[k];
            a00 += ws * u;
            a01 += wt * u;
            a10 += ws * v;
            a11 += wt * v;
        }
        const emu_dsp_rescale *r0 = rescale + oc, *r1 = rescale + oc1;
        const int32_t y00 = emu_dsp_output(r0, a00, offset, lo, hi), y10 = emu_dsp_output(r0, a10, offset, lo, hi);
        const int32_t y01 = emu_dsp_output(r1, a01, offset, lo, hi), y11 = emu_dsp_output(r1, a11, offset, lo, hi);
        out0[oc] = (int8_t)y00;
        out1[oc] = (int8_t)y10;
        out0[oc1] = (int8_t)y01;
        out1[oc1] = (int8_t)y11;
    }
}

/* 1x1 filters never pad, and each output pixel's window is already one run of input_c
 * bytes in the input: pixels pair up directly, across rows too. */
void emu_conv2d_1x1_s8_dsp(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                           int8_t *output, void *scratch)
{
    emu_dsp_rescale *rescale = (emu_dsp_rescale *)scratch;
    uint32_t *pairs = (uint32_t *)((uint8_t *)scratch + EMU_DSP_RESCALE_BYTES * p->output_c);
    const int32_t ic = p->input_c;
    emu_dsp_rescale_table(p->multiplier, p->shift, p->output_c, rescale);
    const int32_t step_x = p->stride_w * ic;
    const int32_t step_y = (int32_t)p->stride_h * p->input_w * ic;
    const int32_t image_size = (int32_t)p->input_h * p->input_w * ic;
    const int8_t *pending_x = NULL;
    int8_t *pending_out = NULL;
    int8_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *row = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy, row += step_y) {
            const int8_t *x = row;
            for (int ox = 0; ox < p->output_w; ++ox, x += step_x, out += p->output_c) {
                if (pending_x == NULL) {
                    pending_x = x;
                    pending_out = out;
                } else {
                    expand_pair(pending_x, x, ic, pairs);
                    pixel_pair(p, rescale, pairs, pending_x, x, ic, filter, pending_out, out);
                    pending_x = NULL;
                }
            }
        }
    }
    if (pending_x != NULL) {
        expand_pair(pending_x, pending_x, ic, pairs);
        pixel_pair(p, rescale, pairs, pending_x, pending_x, ic, filter, pending_out, pending_out);
    }
}

/* Copies the window of the output pixel at (iy0, ix0) into one run laid out like a filter;
 * taps in the padding read the input zero point (see conv_2d.c). */
static void gather_window(const emu_conv2d_s8_params *p, const int8_t *image, int iy0, int ix0, int8_t *run)
{
    const int ic = p->input_c;
    const int8_t zero_point = (int8_t)-p->input_offset;
    for (int fy = 0; fy < p->filter_h; ++fy) {
        const int iy = iy0 + fy * p->dilation_h;
        const int row_inside = iy >= 0 && iy < p->input_h;
        for (int fx = 0; fx < p->filter_w; ++fx, run += ic) {
            const int ix = ix0 + fx * p->dilation_w;
            if (row_inside && ix >= 0 && ix < p->input_w) {
                memcpy(run, image + ((int32_t)iy * p->input_w + ix) * ic, (size_t)ic);
            } else {
                memset(run, zero_point, (size_t)ic);
            }
        }
    }
}

void emu_conv2d_s8_dsp(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                       int8_t *output, void *scratch)
{
    const int32_t image_size = (int32_t)p->input_h * p->input_w * p->input_c;
    const int32_t window = (int32_t)p->filter_h * p->filter_w * p->input_c;
    emu_dsp_rescale *rescale = (emu_dsp_rescale *)scratch;
    uint32_t *pairs = (uint32_t *)((uint8_t *)scratch + EMU_DSP_RESCALE_BYTES * p->output_c);
    int8_t *runs = (int8_t *)pairs + 4 * (window & ~3);
    emu_dsp_rescale_table(p->multiplier, p->shift, p->output_c, rescale);
    int8_t *run0 = runs, *run1 = runs + window;
    int8_t *pending_out = NULL; /* a gathered pixel (run0) waiting for a partner */
    int8_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            for (int ox = 0; ox < p->output_w; ++ox, out += p->output_c) {
                const int ix0 = ox * p->stride_w - p->pad_w;
                if (pending_out == NULL) {
                    gather_window(p, image, iy0, ix0, run0);
                    pending_out = out;
                } else {
                    gather_window(p, image, iy0, ix0, run1);
                    expand_pair(run0, run1, window, pairs);
                    pixel_pair(p, rescale, pairs, run0, run1, window, filter, pending_out, out);
                    pending_out = NULL;
                }
            }
        }
    }
    if (pending_out != NULL) {
        expand_pair(run0, run0, window, pairs);
        pixel_pair(p, rescale, pairs, run0, run0, window, filter, pending_out, pending_out);
    }
}
