/* CONV_2D kernels, int8 and float32.
 *
 * int8 arithmetic (TFLite quantization spec): for each output, the int32 sum over the taps
 * that fall inside the image of filter * (input + input_offset), plus the bias, rescaled by
 * the channel's fixed-point multiplier, plus the output zero point, clamped to the fused
 * activation's range. Taps in the padding contribute nothing.
 *
 * The sum is regrouped as (bias + input_offset * sum(filter)) + sum(filter * input); the
 * first term is a compile-time constant per channel (folded_bias), exact in int32, so the
 * inner loops are plain multiply-accumulates. For a window that overlaps the padding the
 * padded taps must then take back their share of the folded term, input_offset * filter:
 * they add zero_point * filter instead, as if the padding held the input zero point.
 */
#include "conv_2d.h"

#include <stddef.h>
#include <string.h>

#include "emu_quant.h"
#include "window.h"

static inline emu_output_quant output_quant(const emu_conv2d_s8_params *p)
{
    emu_output_quant q = {p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max};
    return q;
}

/* ---- general form: any pixel, any groups --------------------------------------------- */

static void general_pixel(const emu_conv2d_s8_params *p, const int8_t *image, const int8_t *filter,
                         int iy0, int ix0, int8_t *out)
{
    const int fc = p->filter_c;
    const int filters_per_group = p->output_c / (p->input_c / fc);
    const int32_t zero_point = -p->input_offset;
    const emu_output_quant q = output_quant(p);
    const int8_t *w = filter;
    for (int oc = 0; oc < p->output_c; ++oc) {
        const int ic0 = (oc / filters_per_group) * fc;
        int32_t acc = p->folded_bias[oc];
        int32_t padded = 0; /* sum of the filter taps that fall in the padding */
        for (int fy = 0; fy < p->filter_h; ++fy) {
            const int iy = iy0 + fy * p->dilation_h;
            const int row_inside = iy >= 0 && iy < p->input_h;
            for (int fx = 0; fx < p->filter_w; ++fx, w += fc) {
                const int ix = ix0 + fx * p->dilation_w;
                if (row_inside && ix >= 0 && ix < p->input_w) {
                    const int8_t *x = image + ((int32_t)iy * p->input_w + ix) * p->input_c + ic0;
                    for (int k = 0; k < fc; ++k) {
                        acc += w[k] * x[k];
                    }
                } else {
                    for (int k = 0; k < fc; ++k) {
                        padded += w[k];
                    }
                }
            }
        }
        out[oc] = (int8_t)emu_output_s8(&q, acc + padded * zero_point, q.multiplier[oc], q.shift[oc]);
    }
}

/* ---- fast path: groups == 1 ---------------------------------------------------------- */

/* Two output pixels for every output channel, two channels at a time, each pixel's window
 * given as one run of len bytes laid out like a filter ([filter_h][filter_w][input_c]).
 * Each loaded byte feeds two multiply-accumulates. A lone pixel passes x1 == x0,
 * out1 == out0; an odd last channel pairs with itself. */
static void pixel_pair(const emu_conv2d_s8_params *p, const int8_t *x0, const int8_t *x1, int32_t len,
                       const int8_t *filter, int8_t *out0, int8_t *out1)
{
    const emu_output_quant q = output_quant(p);
    const int32_t *bias = p->folded_bias;
    const int channels = p->output_c;
    const int8_t *w0 = filter;
    for (int oc = 0; oc < channels; oc += 2, w0 += 2 * len) {
        const int oc1 = oc + 1 < channels ? oc + 1 : oc;
        const int8_t *w1 = oc1 == oc ? w0 : w0 + len;
        int32_t a00 = bias[oc], a01 = bias[oc1], a10 = a00, a11 = a01;
        const int8_t *u = x0, *v = x1, *s = w0, *t = w1;
        int32_t n = len;
        for (; n >= 4; n -= 4, u += 4, v += 4, s += 4, t += 4) {
            int32_t xu, xv, ws, wt;
            xu = u[0]; xv = v[0]; ws = s[0]; wt = t[0];
            a00 += ws * xu; a01 += wt * xu; a10 += ws * xv; a11 += wt * xv;
            xu = u[1]; xv = v[1]; ws = s[1]; wt = t[1];
            a00 += ws * xu; a01 += wt * xu; a10 += ws * xv; a11 += wt * xv;
            xu = u[2]; xv = v[2]; ws = s[2]; wt = t[2];
            a00 += ws * xu; a01 += wt * xu; a10 += ws * xv; a11 += wt * xv;
            xu = u[3]; xv = v[3]; ws = s[3]; wt = t[3];
            a00 += ws * xu; a01 += wt * xu; a10 += ws * xv; a11 += wt * xv;
        }
        for (; n > 0; --n) {
            const int32_t xu = *u++, xv = *v++, ws = *s++, wt = *t++;
            a00 += ws * xu; a01 += wt * xu; a10 += ws * xv; a11 += wt * xv;
        }
        const int32_t m0 = q.multiplier[oc], m1 = q.multiplier[oc1];
        const int s0 = q.shift[oc], s1 = q.shift[oc1];
        const int32_t y00 = emu_output_s8(&q, a00, m0, s0), y10 = emu_output_s8(&q, a10, m0, s0);
        const int32_t y01 = emu_output_s8(&q, a01, m1, s1), y11 = emu_output_s8(&q, a11, m1, s1);
        out0[oc] = (int8_t)y00;
        out1[oc] = (int8_t)y10;
        out0[oc1] = (int8_t)y01;
        out1[oc1] = (int8_t)y11;
    }
}

static void gather(const emu_conv2d_s8_params *p, const int8_t *image, int iy0, int ix0, int8_t *run)
{
    emu_gather_window(run, image, p->input_h, p->input_w, p->input_c, p->filter_h, p->filter_w, p->dilation_h,
                      p->dilation_w, iy0, ix0, (int8_t)-p->input_offset);
}

/* Any window: each pair of output pixels is gathered into two runs in scratch (2 x window
 * bytes), then goes through pixel_pair. Grouped convolutions use the general form. */
void emu_conv2d_s8(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                   int8_t *output, void *scratch)
{
    const int32_t image_size = (int32_t)p->input_h * p->input_w * p->input_c;
    const int32_t window = (int32_t)p->filter_h * p->filter_w * p->filter_c;
    const int grouped = p->filter_c != p->input_c;
    int8_t *runs[2] = {(int8_t *)scratch, (int8_t *)scratch + window};
    int8_t *pending_out = NULL; /* a gathered pixel (runs[0]) waiting for a partner */
    int8_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            for (int ox = 0; ox < p->output_w; ++ox, out += p->output_c) {
                const int ix0 = ox * p->stride_w - p->pad_w;
                if (grouped) {
                    general_pixel(p, image, filter, iy0, ix0, out);
                } else if (pending_out == NULL) {
                    gather(p, image, iy0, ix0, runs[0]);
                    pending_out = out;
                } else {
                    gather(p, image, iy0, ix0, runs[1]);
                    pixel_pair(p, runs[0], runs[1], window, filter, pending_out, out);
                    pending_out = NULL;
                }
            }
        }
    }
    if (pending_out != NULL) {
        pixel_pair(p, runs[0], runs[0], window, filter, pending_out, pending_out);
    }
}

/* 1x1 filters never pad, and each output pixel's window is already one run of input_c
 * bytes in the input: pixels pair up directly, across rows too. */
void emu_conv2d_1x1_s8(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                       int8_t *output)
{
    const int32_t ic = p->input_c;
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
                    pixel_pair(p, pending_x, x, ic, filter, pending_out, out);
                    pending_x = NULL;
                }
            }
        }
    }
    if (pending_x != NULL) {
        pixel_pair(p, pending_x, pending_x, ic, filter, pending_out, pending_out);
    }
}

/* ---- int16 activations, int8 filter ----------------------------------------------------
 *
 * TFLM's 16x8 kernel: zero points are 0, so a padded tap contributes nothing and there is no
 * offset to fold. Each output pixel's window (one group's channels) is gathered once into
 * scratch, zeros in the padding, and every output channel of the group is then one dot
 * product over it, exact in int64 (emu_dot_s16_s8). */

static void gather_s16(const emu_conv2d_s16_params *p, const int16_t *image, int iy0, int ix0, int ic0,
                       int16_t *window)
{
    const int fc = p->filter_c;
    for (int fy = 0; fy < p->filter_h; ++fy) {
        const int iy = iy0 + fy * p->dilation_h;
        for (int fx = 0; fx < p->filter_w; ++fx, window += fc) {
            const int ix = ix0 + fx * p->dilation_w;
            if (iy < 0 || iy >= p->input_h || ix < 0 || ix >= p->input_w) {
                for (int k = 0; k < fc; ++k) {
                    window[k] = 0;
                }
            } else {
                const int16_t *x = image + ((int32_t)iy * p->input_w + ix) * p->input_c + ic0;
                for (int k = 0; k < fc; ++k) {
                    window[k] = x[k];
                }
            }
        }
    }
}

void emu_conv2d_s16(const emu_conv2d_s16_params *p, const int16_t *input, const int8_t *filter,
                    int16_t *output, void *scratch)
{
    const int fc = p->filter_c;
    const int groups = p->input_c / fc;
    const int filters_per_group = p->output_c / groups;
    const int32_t image_size = (int32_t)p->input_h * p->input_w * p->input_c;
    const int32_t window_size = (int32_t)p->filter_h * p->filter_w * fc;
    int16_t *window = (int16_t *)scratch;
    int16_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int16_t *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            for (int ox = 0; ox < p->output_w; ++ox, out += p->output_c) {
                const int ix0 = ox * p->stride_w - p->pad_w;
                for (int g = 0; g < groups; ++g) {
                    gather_s16(p, image, iy0, ix0, g * fc, window);
                    const int oc_end = (g + 1) * filters_per_group;
                    for (int oc = g * filters_per_group; oc < oc_end; ++oc) {
                        const int64_t acc = p->bias[oc] + emu_dot_s16_s8(window, filter + oc * window_size, window_size);
                        const int32_t y = emu_rescale_s16(acc, p->accumulate_32, p->multiplier[oc], p->shift[oc]);
                        out[oc] = (int16_t)emu_clamp_i32(y, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}

/* ---- float32: the reference loop order, so sums round as they do in TFLM --------------- */

void emu_conv2d_f32(const emu_conv2d_f32_params *p, const float *input, const float *filter,
                    const float *bias, float *output)
{
    const int fc = p->filter_c;
    const int filters_per_group = p->output_c / (p->input_c / fc);
    const int32_t image_size = (int32_t)p->input_h * p->input_w * p->input_c;
    const int32_t filter_size = (int32_t)p->filter_h * p->filter_w * fc;
    float *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const float *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            for (int ox = 0; ox < p->output_w; ++ox) {
                const int ix0 = ox * p->stride_w - p->pad_w;
                for (int oc = 0; oc < p->output_c; ++oc) {
                    const int ic0 = (oc / filters_per_group) * fc;
                    const float *w = filter + oc * filter_size;
                    float total = 0.0f;
                    for (int fy = 0; fy < p->filter_h; ++fy) {
                        const int iy = iy0 + fy * p->dilation_h;
                        for (int fx = 0; fx < p->filter_w; ++fx, w += fc) {
                            const int ix = ix0 + fx * p->dilation_w;
                            if (iy < 0 || iy >= p->input_h || ix < 0 || ix >= p->input_w) {
                                continue;
                            }
                            const float *x = image + ((int32_t)iy * p->input_w + ix) * p->input_c + ic0;
                            for (int k = 0; k < fc; ++k) {
                                total += x[k] * w[k];
                            }
                        }
                    }
                    *out++ = emu_clamp_f32(total + (bias ? bias[oc] : 0.0f), p->act_min, p->act_max);
                }
            }
        }
    }
}
