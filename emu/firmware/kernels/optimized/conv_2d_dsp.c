/* CONV_2D, int8, with SMLAD: four output pixels of one output channel per pass.
 *
 * The arithmetic is that of conv_2d.c: the bias with the input offset folded in at compile
 * time, padded taps reading the input zero point, so each output is a plain dot product of
 * its window with its filter. Here the windows of four output pixels are first expanded to
 * int16 halves in scratch (emu_dsp.h's packed order; for every four bytes of the window,
 * each pixel's even and odd halves in turn), once for all output channels. The inner loop
 * then loads one filter word, expands it, and feeds it to four pixels: one load, two
 * SXTB16, four LDRD and eight SMLADs for sixteen multiply-accumulates, with every value in a
 * register. The rescale is emu_dsp.h's, which the compiler chooses these kernels for only
 * where it is exact. A channel whose shift is EMU_DSP_CONSTANT_SHIFT has one output for every
 * input, its folded bias, and no row in the filter: pruned channels cost no multiplies.
 *
 * Scratch: each output channel's rescale (EMU_DSP_RESCALE_BYTES), 8 x (window & ~3) bytes of
 * expanded windows, then window bytes for a gathered window of the general form.
 */
#include "conv_2d_dsp.h"

#include <stddef.h>
#include <string.h>

#include "emu_dsp.h"
#include "window.h"

#define PIXELS 4

/* Pixels waiting for their group to fill: where their outputs go, and the last len & 3
 * bytes of their windows. Everything a group reads of its inputs is copied (expanded or
 * here) before it writes any output, so the output may stream over the input
 * (emu/compile/overlap.py) even when a group spans two rows. */
typedef struct {
    int8_t *out[PIXELS];
    int8_t tail[PIXELS][4];
    int count;
} pending_group;

/* A window of len bytes joins the group: its first len & ~3 bytes expanded into the
 * pixel's place, the rest copied. */
static void join_group(pending_group *g, const int8_t *x, int32_t len, uint32_t *group, int8_t *out)
{
    uint32_t *dst = group + 2 * g->count;
    for (int32_t n = len >> 2; n > 0; --n, x += 4, dst += 2 * PIXELS) {
        const uint32_t a = emu_read_u32(x);
        dst[0] = emu_sxtb16(a);
        dst[1] = emu_sxtb16_ror8(a);
    }
    for (int32_t k = 0; k < (len & 3); ++k) {
        g->tail[g->count][k] = x[k];
    }
    g->out[g->count++] = out;
}

/* Four windows' words v[k..k+7] against the filter word at s + j; each pixel's two words in
 * one load. */
#define STEP(v, k, j)                                                       \
    do {                                                                    \
        const uint32_t wv = emu_read_u32(s + (j));                          \
        const uint32_t we = emu_sxtb16(wv), wo = emu_sxtb16_ror8(wv);       \
        uint32_t ve, vo;                                                    \
        EMU_LOAD_PAIR(v, (k), ve, vo);                                      \
        a0 = emu_smlad(ve, we, a0);                                         \
        a0 = emu_smlad(vo, wo, a0);                                         \
        EMU_LOAD_PAIR(v, (k) + 2, ve, vo);                                  \
        a1 = emu_smlad(ve, we, a1);                                         \
        a1 = emu_smlad(vo, wo, a1);                                         \
        EMU_LOAD_PAIR(v, (k) + 4, ve, vo);                                  \
        a2 = emu_smlad(ve, we, a2);                                         \
        a2 = emu_smlad(vo, wo, a2);                                         \
        EMU_LOAD_PAIR(v, (k) + 6, ve, vo);                                  \
        a3 = emu_smlad(ve, we, a3);                                         \
        a3 = emu_smlad(vo, wo, a3);                                         \
    } while (0)

/* Every output channel of a full group of four pixels, whose windows (len bytes each, laid
 * out like a filter row) are in group and g->tail. Inlined into two forms: `skip` (a constant
 * here) says whether some channels are constant, so layers without any pay no check;
 * `short_form` whether the rescale table is short (emu_dsp_rescale_short). */
static inline __attribute__((always_inline)) void pixel_group_any(
    const emu_conv2d_s8_params *p, const emu_dsp_rescale *rescale, const uint32_t *group, const pending_group *g,
    int32_t len, const int8_t *filter, const int skip, const int short_form)
{
    int8_t *const *out = g->out;
    const int32_t *bias = p->folded_bias;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int full_range = lo == -128 && hi == 127;
    const int channels = p->output_c;
    const int32_t body = len & ~3;
    const uint32_t *group_end = group + (len >> 2) * 2 * PIXELS;
    const int8_t *w = filter;
    for (int oc = 0; oc < channels; ++oc) {
        const emu_dsp_rescale *r = rescale + oc;
        if (skip && r->constant) { /* the same output for every input, and no row in the filter */
            const int8_t k = (int8_t)bias[oc];
            out[0][oc] = k;
            out[1][oc] = k;
            out[2][oc] = k;
            out[3][oc] = k;
            continue;
        }
        int32_t a0 = bias[oc], a1 = a0, a2 = a0, a3 = a0;
        const uint32_t *v = group;
        const int8_t *s = w;
        for (; v + 4 * PIXELS <= group_end; v += 4 * PIXELS, s += 8) {
            STEP(v, 0, 0);
            STEP(v, 2 * PIXELS, 4);
        }
        if (v < group_end) {
            STEP(v, 0, 0);
        }
        for (int32_t k = body; k < len; ++k) {
            const int32_t wk = w[k];
            a0 += wk * g->tail[0][k - body];
            a1 += wk * g->tail[1][k - body];
            a2 += wk * g->tail[2][k - body];
            a3 += wk * g->tail[3][k - body];
        }
        int32_t y0, y1, y2, y3;
        if (short_form) {
            y0 = emu_dsp_output_short(r, a0);
            y1 = emu_dsp_output_short(r, a1);
            y2 = emu_dsp_output_short(r, a2);
            y3 = emu_dsp_output_short(r, a3);
            if (full_range) {
                y0 = emu_sat8(y0);
                y1 = emu_sat8(y1);
                y2 = emu_sat8(y2);
                y3 = emu_sat8(y3);
            } else {
                y0 = emu_clamp(y0, lo, hi);
                y1 = emu_clamp(y1, lo, hi);
                y2 = emu_clamp(y2, lo, hi);
                y3 = emu_clamp(y3, lo, hi);
            }
        } else if (full_range) {
            y0 = emu_dsp_output_full(r, a0, offset);
            y1 = emu_dsp_output_full(r, a1, offset);
            y2 = emu_dsp_output_full(r, a2, offset);
            y3 = emu_dsp_output_full(r, a3, offset);
        } else {
            y0 = emu_dsp_output(r, a0, offset, lo, hi);
            y1 = emu_dsp_output(r, a1, offset, lo, hi);
            y2 = emu_dsp_output(r, a2, offset, lo, hi);
            y3 = emu_dsp_output(r, a3, offset, lo, hi);
        }
        out[0][oc] = (int8_t)y0;
        out[1][oc] = (int8_t)y1;
        out[2][oc] = (int8_t)y2;
        out[3][oc] = (int8_t)y3;
        w += len;
    }
}

typedef void pixel_group_fn(const emu_conv2d_s8_params *p, const emu_dsp_rescale *rescale, const uint32_t *group,
                            const pending_group *g, int32_t len, const int8_t *filter, int short_form);

static void pixel_group(const emu_conv2d_s8_params *p, const emu_dsp_rescale *rescale, const uint32_t *group,
                        const pending_group *g, int32_t len, const int8_t *filter, int short_form)
{
    pixel_group_any(p, rescale, group, g, len, filter, 0, short_form);
}

static void pixel_group_skipping(const emu_conv2d_s8_params *p, const emu_dsp_rescale *rescale,
                                 const uint32_t *group, const pending_group *g, int32_t len, const int8_t *filter,
                                 int short_form)
{
    pixel_group_any(p, rescale, group, g, len, filter, 1, short_form);
}

/* What a layer's groups are computed with: the form of pixel_group (constant channels or not)
 * and whether the rescale table is short. */
typedef struct {
    pixel_group_fn *group;
    int short_form;
} group_form;

static group_form group_form_for(const emu_conv2d_s8_params *p, emu_dsp_rescale *rescale)
{
    const int skip = emu_dsp_rescale_table(p->multiplier, p->shift, p->output_c, rescale) > 0;
    const group_form form = {skip ? pixel_group_skipping : pixel_group,
                             emu_dsp_rescale_short(rescale, p->output_c, p->output_offset)};
    return form;
}

/* A short group repeats its last pixel (copies of its expanded window and tail), whose
 * outputs are then written twice with the same values. */
static void finish_group(const emu_conv2d_s8_params *p, const emu_dsp_rescale *rescale, uint32_t *group,
                         pending_group *g, int32_t len, const int8_t *filter, group_form form)
{
    const int last = g->count - 1;
    for (int k = g->count; k < PIXELS; ++k) {
        for (int32_t n = 0; n < (len >> 2); ++n) {
            group[n * 2 * PIXELS + 2 * k] = group[n * 2 * PIXELS + 2 * last];
            group[n * 2 * PIXELS + 2 * k + 1] = group[n * 2 * PIXELS + 2 * last + 1];
        }
        memcpy(g->tail[k], g->tail[last], sizeof g->tail[k]);
        g->out[k] = g->out[last];
    }
    form.group(p, rescale, group, g, len, filter, form.short_form);
    g->count = 0;
}

/* 1x1 filters never pad, and each output pixel's window is already one run of input_c
 * bytes in the input: pixels group directly, across rows too. */
void emu_conv2d_1x1_s8_dsp(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                           int8_t *output, void *scratch)
{
    emu_dsp_rescale *rescale = (emu_dsp_rescale *)scratch;
    uint32_t *group = (uint32_t *)((uint8_t *)scratch + EMU_DSP_RESCALE_BYTES * p->output_c);
    const int32_t ic = p->input_c;
    const int32_t step_x = p->stride_w * ic;
    const int32_t step_y = (int32_t)p->stride_h * p->input_w * ic;
    const int32_t image_size = (int32_t)p->input_h * p->input_w * ic;
    pending_group g = {{NULL}, {{0}}, 0};
    int8_t *out = output;
    const group_form form = group_form_for(p, rescale);
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *row = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy, row += step_y) {
            const int8_t *x = row;
            for (int ox = 0; ox < p->output_w; ++ox, x += step_x, out += p->output_c) {
                join_group(&g, x, ic, group, out);
                if (g.count == PIXELS) {
                    finish_group(p, rescale, group, &g, ic, filter, form);
                }
            }
        }
    }
    if (g.count) {
        finish_group(p, rescale, group, &g, ic, filter, form);
    }
}

/* The general form; each filter row is row bytes, the window (window <= row) followed by
 * zeros: the gathered window is read as row bytes, and what lies past it in scratch is
 * multiplied by those zeros. */
static void conv_im2col(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter, int8_t *output,
                        void *scratch, int32_t row)
{
    const int32_t image_size = (int32_t)p->input_h * p->input_w * p->input_c;
    emu_dsp_rescale *rescale = (emu_dsp_rescale *)scratch;
    uint32_t *group = (uint32_t *)((uint8_t *)scratch + EMU_DSP_RESCALE_BYTES * p->output_c);
    int8_t *runs = (int8_t *)group + 2 * PIXELS * (row & ~3); /* one gathered window */
    pending_group g = {{NULL}, {{0}}, 0};
    int8_t *out = output;
    const group_form form = group_form_for(p, rescale);
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            for (int ox = 0; ox < p->output_w; ++ox, out += p->output_c) {
                emu_gather_window(runs, image, p->input_h, p->input_w, p->input_c, p->filter_h, p->filter_w,
                                  p->dilation_h, p->dilation_w, iy0, ox * p->stride_w - p->pad_w,
                                  (int8_t)-p->input_offset);
                join_group(&g, runs, row, group, out);
                if (g.count == PIXELS) {
                    finish_group(p, rescale, group, &g, row, filter, form);
                }
            }
        }
    }
    if (g.count) {
        finish_group(p, rescale, group, &g, row, filter, form);
    }
}

void emu_conv2d_s8_dsp(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                       int8_t *output, void *scratch)
{
    conv_im2col(p, input, filter, output, scratch, (int32_t)p->filter_h * p->filter_w * p->input_c);
}

void emu_conv2d_padded_s8_dsp(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                              int8_t *output, void *scratch)
{
    conv_im2col(p, input, filter, output, scratch, ((int32_t)p->filter_h * p->filter_w * p->input_c + 3) & ~3);
}
