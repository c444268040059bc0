/* DEPTHWISE_CONV_2D, int8, depth multiplier 1 or a multiple of 4, with SXTB16 and
 * SMLABB / SMLATT / SMLATB: four output channels per tap in four multiplies.
 *
 * The arithmetic is that of depthwise_conv_2d.c (bias with the input offset folded in at
 * compile time). For each output pixel the kernel first lists where each tap of its window
 * reads: a pixel of the image, or, for a tap in the padding, a row of the input zero point,
 * which with the folded bias contributes nothing, as in the reference arithmetic. Border
 * pixels then cost what interior ones do; along a row of interior pixels the list just moves
 * one stride on. Each tap's four filter bytes are loaded as one word and expanded to int16
 * halves (bytes 0 and 2, bytes 1 and 3). With depth multiplier 1 the four input bytes are
 * too, and bottom and top halves multiply into four accumulators; with a multiple of 4 the
 * four output channels share one input byte, which multiplies each half. The rescale is
 * emu_dsp.h's, which the compiler chooses this kernel for only where it is exact.
 *
 * Scratch: each output channel's rescale (EMU_DSP_RESCALE_BYTES), one pointer per tap (room
 * for 8-byte pointers, so the host build fits too), then input_c bytes of the input zero
 * point.
 */
#include "depthwise_conv_2d_dsp.h"

#include <stddef.h>
#include <string.h>

#include "emu_dsp.h"

/* Requantizes four accumulators into out[0..3]. */
static inline void store_four(const emu_dsp_rescale *r, int full_range, int32_t offset, int32_t lo, int32_t hi,
                              int32_t a0, int32_t a1, int32_t a2, int32_t a3, int8_t *out)
{
    int32_t y0, y1, y2, y3;
    if (full_range) {
        y0 = emu_dsp_output_full(r, a0, offset);
        y1 = emu_dsp_output_full(r + 1, a1, offset);
        y2 = emu_dsp_output_full(r + 2, a2, offset);
        y3 = emu_dsp_output_full(r + 3, a3, offset);
    } else {
        y0 = emu_dsp_output(r, a0, offset, lo, hi);
        y1 = emu_dsp_output(r + 1, a1, offset, lo, hi);
        y2 = emu_dsp_output(r + 2, a2, offset, lo, hi);
        y3 = emu_dsp_output(r + 3, a3, offset, lo, hi);
    }
    out[0] = (int8_t)y0;
    out[1] = (int8_t)y1;
    out[2] = (int8_t)y2;
    out[3] = (int8_t)y3;
}

void emu_depthwise_conv2d_s8_dsp(const emu_depthwise_conv2d_s8_params *p, const int8_t *input,
                                 const int8_t *filter, int8_t *output, void *scratch)
{
    const int32_t *bias = p->folded_bias;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int full_range = lo == -128 && hi == 127;
    const int channels = p->output_c, lanes = channels & ~3, dm = p->depth_multiplier;
    const int in_channels = p->input_c;
    const int fh = p->filter_h, fw = p->filter_w, taps = fh * fw;
    const int ih = p->input_h, iw = p->input_w;
    const int32_t image_size = (int32_t)ih * iw * in_channels;
    emu_dsp_rescale *rescale = (emu_dsp_rescale *)scratch;
    const int8_t **tap = (const int8_t **)((uint8_t *)scratch + EMU_DSP_RESCALE_BYTES * channels);
    const int8_t **tap_end = tap + taps;
    int8_t *zero_row = (int8_t *)tap + 8 * taps;
    const int32_t tap_step = (int32_t)p->stride_w * in_channels; /* one output pixel to the right */
    memset(zero_row, (int8_t)-p->input_offset, (size_t)in_channels);
    emu_dsp_rescale_table(p->multiplier, p->shift, channels, rescale);
    int8_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            const int row_inner = oy >= p->inner_y0 && oy < p->inner_y1;
            int listed_inner = 0; /* the tap list is that of the previous pixel, which saw no padding */
            for (int ox = 0; ox < p->output_w; ++ox, out += channels) {
                const int ix0 = ox * p->stride_w - p->pad_w;
                const int inner = row_inner && ox >= p->inner_x0 && ox < p->inner_x1;
                if (inner && listed_inner) {
                    for (const int8_t **t = tap; t < tap_end; ++t) {
                        *t += tap_step;
                    }
                } else {
                    int t = 0;
                    for (int fy = 0; fy < fh; ++fy) {
                        const int iy = iy0 + fy * p->dilation_h;
                        const int row_inside = iy >= 0 && iy < ih;
                        for (int fx = 0; fx < fw; ++fx) {
                            const int ix = ix0 + fx * p->dilation_w;
                            tap[t++] = row_inside && ix >= 0 && ix < iw
                                           ? image + ((int32_t)iy * iw + ix) * in_channels : zero_row;
                        }
                    }
                }
                listed_inner = inner;
                int oc = 0;
                if (dm == 1) {
                    for (; oc < lanes; oc += 4) {
                        int32_t a0 = bias[oc], a1 = bias[oc + 1], a2 = bias[oc + 2], a3 = bias[oc + 3];
                        const int8_t *w = filter + oc;
                        for (const int8_t **t = tap; t < tap_end; ++t, w += channels) {
                            const uint32_t xv = emu_read_u32(*t + oc), wv = emu_read_u32(w);
                            const uint32_t xe = emu_sxtb16(xv), we = emu_sxtb16(wv);
                            const uint32_t xo = emu_sxtb16_ror8(xv), wo = emu_sxtb16_ror8(wv);
                            a0 = emu_smlabb(xe, we, a0);
                            a2 = emu_smlatt(xe, we, a2);
                            a1 = emu_smlabb(xo, wo, a1);
                            a3 = emu_smlatt(xo, wo, a3);
                        }
                        store_four(rescale + oc, full_range, offset, lo, hi, a0, a1, a2, a3, out + oc);
                    }
                } else {
                    /* dm is a multiple of 4: output channels oc..oc+3 read input channel oc / dm */
                    for (; oc < lanes; oc += 4) {
                        int32_t a0 = bias[oc], a1 = bias[oc + 1], a2 = bias[oc + 2], a3 = bias[oc + 3];
                        const int8_t *w = filter + oc;
                        const int ic = oc / dm;
                        for (const int8_t **t = tap; t < tap_end; ++t, w += channels) {
                            const uint32_t x = (uint32_t)(int32_t)(*t)[ic], wv = emu_read_u32(w);
                            const uint32_t we = emu_sxtb16(wv), wo = emu_sxtb16_ror8(wv);
                            a0 = emu_smlabb(we, x, a0);
                            a2 = emu_smlatb(we, x, a2);
                            a1 = emu_smlabb(wo, x, a1);
                            a3 = emu_smlatb(wo, x, a3);
                        }
                        store_four(rescale + oc, full_range, offset, lo, hi, a0, a1, a2, a3, out + oc);
                    }
                }
                for (; oc < channels; ++oc) {
                    int32_t acc = bias[oc];
                    const int8_t *w = filter + oc;
                    const int ic = oc / dm;
                    for (const int8_t **t = tap; t < tap_end; ++t, w += channels) {
                        acc += *w * (*t)[ic];
                    }
                    out[oc] = (int8_t)(full_range ? emu_dsp_output_full(rescale + oc, acc, offset)
                                                  : emu_dsp_output(rescale + oc, acc, offset, lo, hi));
                }
            }
        }
    }
}
