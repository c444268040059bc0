/* DEPTHWISE_CONV_2D kernels, int8 and float32.
 *
 * int8 arithmetic (TFLite quantization spec): per output channel, the int32 sum over the
 * taps inside the image of filter * (input + input_offset), plus the bias, rescaled by the
 * channel's fixed-point multiplier, plus the output zero point, clamped. Padded taps
 * contribute nothing.
 *
 * As in conv_2d.c the constant part, bias + input_offset * sum(filter), is folded at
 * compile time (folded_bias), so interior windows are plain multiply-accumulates and border
 * windows add zero_point * filter for their padded taps to cancel that part of the fold.
 */
#include "depthwise_conv_2d.h"

#include "emu_quant.h"

static inline emu_output_quant output_quant(const emu_depthwise_conv2d_s8_params *p)
{
    emu_output_quant q = {p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max};
    return q;
}

/* ---- general form: any pixel ------------------------------------------------------------- */

static void border_pixel(const emu_depthwise_conv2d_s8_params *p, const int8_t *image,
                         const int8_t *filter, int iy0, int ix0, int8_t *out)
{
    const emu_output_quant q = output_quant(p);
    const int32_t zero_point = -p->input_offset;
    const int channels = p->output_c, dm = p->depth_multiplier;
    const int fh = p->filter_h, fw = p->filter_w, dh = p->dilation_h, dw = p->dilation_w;
    const int ih = p->input_h, iw = p->input_w, ic = p->input_c;
    for (int oc = 0; oc < channels; ++oc) {
        const int8_t *x = image + oc / dm;
        const int8_t *w = filter + oc;
        int32_t acc = p->folded_bias[oc];
        int32_t padded = 0; /* sum of the filter taps that fall in the padding */
        for (int fy = 0; fy < fh; ++fy) {
            const int iy = iy0 + fy * dh;
            const int row_inside = iy >= 0 && iy < ih;
            for (int fx = 0; fx < fw; ++fx, w += channels) {
                const int ix = ix0 + fx * dw;
                if (row_inside && ix >= 0 && ix < iw) {
                    acc += *w * x[((int32_t)iy * iw + ix) * ic];
                } else {
                    padded += *w;
                }
            }
        }
        out[oc] = (int8_t)emu_output_s8(&q, acc + padded * zero_point, q.multiplier[oc], q.shift[oc]);
    }
}

/* ---- fast path: windows inside the image ------------------------------------------------ */

/* Requantizes channels [oc, oc + 4), reading their parameters before the first store. */
static inline void store_four(const emu_output_quant *q, int32_t a0, int32_t a1, int32_t a2, int32_t a3,
                              int oc, int8_t *out)
{
    const int32_t *m = q->multiplier + oc;
    const int8_t *s = q->shift + oc;
    const int32_t y0 = emu_output_s8(q, a0, m[0], s[0]), y1 = emu_output_s8(q, a1, m[1], s[1]);
    const int32_t y2 = emu_output_s8(q, a2, m[2], s[2]), y3 = emu_output_s8(q, a3, m[3], s[3]);
    out[oc] = (int8_t)y0;
    out[oc + 1] = (int8_t)y1;
    out[oc + 2] = (int8_t)y2;
    out[oc + 3] = (int8_t)y3;
}

/* One interior pixel whose window starts at x. Four output channels walk the window
 * together: with depth multiplier 1 the lanes read four neighbouring input channels, with
 * a multiple of 4 they share one input channel. Other multipliers, and the last channels,
 * go one at a time. */
static void interior_pixel(const emu_depthwise_conv2d_s8_params *p, const int8_t *x,
                           const int8_t *filter, int8_t *out)
{
    const emu_output_quant q = output_quant(p);
    const int32_t *bias = p->folded_bias;
    const int channels = p->output_c, dm = p->depth_multiplier;
    const int fh = p->filter_h, fw = p->filter_w;
    const int32_t col_step = (int32_t)p->dilation_w * p->input_c;
    const int32_t row_step = (int32_t)p->dilation_h * p->input_w * p->input_c;
    /* after a row of taps, back to the row's start and one row down */
    const int32_t next_row = row_step - fw * col_step;
    const int lanes = dm == 1 || dm % 4 == 0 ? channels & ~3 : 0;
    int oc = 0;
    if (dm == 1) {
        for (; oc < lanes; oc += 4) {
            int32_t a0 = bias[oc], a1 = bias[oc + 1], a2 = bias[oc + 2], a3 = bias[oc + 3];
            const int8_t *xp = x + oc, *w = filter + oc;
            for (int fy = 0; fy < fh; ++fy, xp += next_row) {
                for (int fx = 0; fx < fw; ++fx, xp += col_step, w += channels) {
                    a0 += w[0] * xp[0];
                    a1 += w[1] * xp[1];
                    a2 += w[2] * xp[2];
                    a3 += w[3] * xp[3];
                }
            }
            store_four(&q, a0, a1, a2, a3, oc, out);
        }
    } else {
        for (; oc < lanes; oc += 4) {
            int32_t a0 = bias[oc], a1 = bias[oc + 1], a2 = bias[oc + 2], a3 = bias[oc + 3];
            const int8_t *xp = x + oc / dm, *w = filter + oc;
            for (int fy = 0; fy < fh; ++fy, xp += next_row) {
                for (int fx = 0; fx < fw; ++fx, xp += col_step, w += channels) {
                    const int32_t v = *xp;
                    a0 += w[0] * v;
                    a1 += w[1] * v;
                    a2 += w[2] * v;
                    a3 += w[3] * v;
                }
            }
            store_four(&q, a0, a1, a2, a3, oc, out);
        }
    }
    for (; oc < channels; ++oc) {
        int32_t acc = bias[oc];
        const int8_t *xp = x + oc / dm, *w = filter + oc;
        for (int fy = 0; fy < fh; ++fy, xp += next_row) {
            for (int fx = 0; fx < fw; ++fx, xp += col_step, w += channels) {
                acc += *w * *xp;
            }
        }
        out[oc] = (int8_t)emu_output_s8(&q, acc, q.multiplier[oc], q.shift[oc]);
    }
}

void emu_depthwise_conv2d_s8(const emu_depthwise_conv2d_s8_params *p, const int8_t *input,
                             const int8_t *filter, int8_t *output)
{
    const int32_t image_size = (int32_t)p->input_h * p->input_w * p->input_c;
    int8_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            const int row_inner = oy >= p->inner_y0 && oy < p->inner_y1;
            for (int ox = 0; ox < p->output_w; ++ox, out += p->output_c) {
                const int ix0 = ox * p->stride_w - p->pad_w;
                if (row_inner && ox >= p->inner_x0 && ox < p->inner_x1) {
                    interior_pixel(p, image + ((int32_t)iy0 * p->input_w + ix0) * p->input_c, filter, out);
                } else {
                    border_pixel(p, image, filter, iy0, ix0, out);
                }
            }
        }
    }
}

/* ---- int16 activations, int8 filter: the reference loop order, a 64-bit sum ------------- */

void emu_depthwise_conv2d_s16(const emu_depthwise_conv2d_s16_params *p, const int16_t *input,
                              const int8_t *filter, int16_t *output)
{
    const int32_t image_size = (int32_t)p->input_h * p->input_w * p->input_c;
    int16_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int16_t *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            for (int ox = 0; ox < p->output_w; ++ox) {
                const int ix0 = ox * p->stride_w - p->pad_w;
                for (int oc = 0; oc < p->output_c; ++oc) {
                    const int ic = oc / p->depth_multiplier;
                    int64_t acc = p->bias[oc];
                    for (int fy = 0; fy < p->filter_h; ++fy) {
                        const int iy = iy0 + fy * p->dilation_h;
                        if (iy < 0 || iy >= p->input_h) {
                            continue;
                        }
                        int32_t row = 0; /* one filter row: filter_w <= 256 products of at most 2^22 (checked at compile time) */
                        for (int fx = 0; fx < p->filter_w; ++fx) {
                            const int ix = ix0 + fx * p->dilation_w;
                            if (ix < 0 || ix >= p->input_w) {
                                continue;
                            }
                            row += (int32_t)image[((int32_t)iy * p->input_w + ix) * p->input_c + ic] *
                                   filter[(fy * p->filter_w + fx) * p->output_c + oc];
                        }
                        acc += row;
                    }
                    const int32_t y = emu_multiply_by_quantized_multiplier_s64(acc, p->multiplier[oc], p->shift[oc]);
                    *out++ = (int16_t)emu_clamp_i32(y, p->act_min, p->act_max);
                }
            }
        }
    }
}

/* ---- float32: the reference loop order ------------------------------------------------- */

void emu_depthwise_conv2d_f32(const emu_depthwise_conv2d_f32_params *p, const float *input,
                              const float *filter, const float *bias, float *output)
{
    const int32_t image_size = (int32_t)p->input_h * p->input_w * p->input_c;
    float *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const float *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            for (int ox = 0; ox < p->output_w; ++ox) {
                const int ix0 = ox * p->stride_w - p->pad_w;
                for (int oc = 0; oc < p->output_c; ++oc) {
                    const int ic = oc / p->depth_multiplier;
                    float total = 0.0f;
                    for (int fy = 0; fy < p->filter_h; ++fy) {
                        const int iy = iy0 + fy * p->dilation_h;
                        for (int fx = 0; fx < p->filter_w; ++fx) {
                            const int ix = ix0 + fx * p->dilation_w;
                            if (iy < 0 || iy >= p->input_h || ix < 0 || ix >= p->input_w) {
                                continue;
                            }
                            total += image[((int32_t)iy * p->input_w + ix) * p->input_c + ic] *
                                     filter[(fy * p->filter_w + fx) * p->output_c + oc];
                        }
                    }
                    *out++ = emu_clamp_f32(total + (bias ? bias[oc] : 0.0f), p->act_min, p->act_max);
                }
            }
        }
    }
}
