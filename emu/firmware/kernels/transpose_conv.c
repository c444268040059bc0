/* TRANSPOSE_CONV kernels, int8, int16 (16x8) and float32; see transpose_conv.h.
 *
 * int8 (TFLite quantization spec, per-channel symmetric weights): for each output, the int32
 * sum of (input + input_offset) * filter over the input pixels that reach it, plus the bias,
 * rescaled by the channel's multiplier, plus the output zero point, clamped to the fused
 * activation's range. int16: the same sum without offsets, exact in int64 (integer sums do
 * not depend on their order), plus the int64 bias, through the 64-bit rescale.
 */
#include "transpose_conv.h"

#include <stddef.h>

#include "emu_quant.h"

/* The shapes, copied out of the params struct before the loops: stores through the output
 * pointer may alias anything, so fields read in a loop would be reloaded after each store. */
struct geometry {
    EMU_TRANSPOSE_CONV_GEOMETRY;
};

#define geometry_of(p)                                                                                   \
    (struct geometry)                                                                                    \
    {                                                                                                    \
        (p)->batches, (p)->input_h, (p)->input_w, (p)->input_c, (p)->output_h, (p)->output_w,            \
            (p)->output_c, (p)->filter_h, (p)->filter_w, (p)->stride_h, (p)->stride_w, (p)->pad_h, (p)->pad_w \
    }

/* The input indices i (in [0, in_size)) with filter tap t = o + pad - i * stride in
 * [0, filter): i from ceil((o + pad - filter + 1) / stride) to floor((o + pad) / stride). */
static void reach(int32_t o, int32_t pad, int32_t stride, int32_t filter, int32_t in_size, int32_t *first,
                  int32_t *last)
{
    const int32_t top = o + pad;               /* i * stride <= top */
    const int32_t bottom = top - filter + 1;   /* i * stride >= bottom */
    int32_t lo = bottom <= 0 ? 0 : (bottom + stride - 1) / stride;
    int32_t hi = top < 0 ? -1 : top / stride;
    *first = lo;
    *last = hi < in_size - 1 ? hi : in_size - 1;
}

void emu_transpose_conv_s8(const emu_transpose_conv_s8_params *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, int8_t *output)
{
    const struct geometry g = geometry_of(p);
    const emu_output_quant q = {p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max};
    const int32_t filter_size = g.filter_h * g.filter_w * g.input_c;
    const int32_t image = g.input_h * g.input_w * g.input_c;
    const int32_t offset = p->input_offset;
    int8_t *out = output;
    for (int32_t b = 0; b < g.batches; ++b, input += image) {
        for (int32_t oy = 0; oy < g.output_h; ++oy) {
            int32_t iy0, iy1;
            reach(oy, g.pad_h, g.stride_h, g.filter_h, g.input_h, &iy0, &iy1);
            for (int32_t ox = 0; ox < g.output_w; ++ox, out += g.output_c) {
                int32_t ix0, ix1;
                reach(ox, g.pad_w, g.stride_w, g.filter_w, g.input_w, &ix0, &ix1);
                for (int32_t oc = 0; oc < g.output_c; ++oc) {
                    const int8_t *w_oc = filter + oc * filter_size;
                    int32_t acc = 0;
                    for (int32_t iy = iy0; iy <= iy1; ++iy) {
                        const int32_t fy = oy + g.pad_h - iy * g.stride_h;
                        for (int32_t ix = ix0; ix <= ix1; ++ix) {
                            const int32_t fx = ox + g.pad_w - ix * g.stride_w;
                            const int8_t *x = input + (iy * g.input_w + ix) * g.input_c;
                            const int8_t *w = w_oc + (fy * g.filter_w + fx) * g.input_c;
                            for (int32_t ic = 0; ic < g.input_c; ++ic) {
                                acc += (x[ic] + offset) * w[ic];
                            }
                        }
                    }
                    if (bias != NULL) {
                        acc += bias[oc];
                    }
                    out[oc] = (int8_t)emu_clamp_i32(
                        emu_multiply_by_quantized_multiplier(acc, q.multiplier[oc], q.shift[oc]) + q.offset, q.lo,
                        q.hi);
                }
            }
        }
    }
}

void emu_transpose_conv_s16(const emu_transpose_conv_s16_params *p, const int16_t *input, const int8_t *filter,
                            int16_t *output)
{
    const struct geometry g = geometry_of(p);
    const int32_t filter_size = g.filter_h * g.filter_w * g.input_c;
    const int32_t image = g.input_h * g.input_w * g.input_c;
    int16_t *out = output;
    for (int32_t b = 0; b < g.batches; ++b, input += image) {
        for (int32_t oy = 0; oy < g.output_h; ++oy) {
            int32_t iy0, iy1;
            reach(oy, g.pad_h, g.stride_h, g.filter_h, g.input_h, &iy0, &iy1);
            for (int32_t ox = 0; ox < g.output_w; ++ox, out += g.output_c) {
                int32_t ix0, ix1;
                reach(ox, g.pad_w, g.stride_w, g.filter_w, g.input_w, &ix0, &ix1);
                for (int32_t oc = 0; oc < g.output_c; ++oc) {
                    const int8_t *w_oc = filter + oc * filter_size;
                    int64_t acc = p->bias[oc];
                    for (int32_t iy = iy0; iy <= iy1; ++iy) {
                        const int32_t fy = oy + g.pad_h - iy * g.stride_h;
                        for (int32_t ix = ix0; ix <= ix1; ++ix) {
                            const int32_t fx = ox + g.pad_w - ix * g.stride_w;
                            acc += emu_dot_s16_s8(input + (iy * g.input_w + ix) * g.input_c,
                                                  w_oc + (fy * g.filter_w + fx) * g.input_c, g.input_c);
                        }
                    }
                    out[oc] = (int16_t)emu_clamp_i32(
                        emu_multiply_by_quantized_multiplier_s64(acc, p->multiplier[oc], p->shift[oc]), p->act_min,
                        p->act_max);
                }
            }
        }
    }
}

void emu_transpose_conv_f32(const emu_transpose_conv_f32_params *p, const float *input, const float *filter,
                            const float *bias, float *output)
{
    const struct geometry g = geometry_of(p);
    const int32_t filter_size = g.filter_h * g.filter_w * g.input_c;
    const int32_t image = g.input_h * g.input_w * g.input_c;
    float *out = output;
    for (int32_t b = 0; b < g.batches; ++b, input += image) {
        for (int32_t oy = 0; oy < g.output_h; ++oy) {
            int32_t iy0, iy1;
            reach(oy, g.pad_h, g.stride_h, g.filter_h, g.input_h, &iy0, &iy1);
            for (int32_t ox = 0; ox < g.output_w; ++ox, out += g.output_c) {
                int32_t ix0, ix1;
                reach(ox, g.pad_w, g.stride_w, g.filter_w, g.input_w, &ix0, &ix1);
                for (int32_t oc = 0; oc < g.output_c; ++oc) {
                    const float *w_oc = filter + oc * filter_size;
                    float acc = 0.0f;
                    for (int32_t iy = iy0; iy <= iy1; ++iy) {
                        const int32_t fy = oy + g.pad_h - iy * g.stride_h;
                        for (int32_t ix = ix0; ix <= ix1; ++ix) {
                            const int32_t fx = ox + g.pad_w - ix * g.stride_w;
                            const float *x = input + (iy * g.input_w + ix) * g.input_c;
                            const float *w = w_oc + (fy * g.filter_w + fx) * g.input_c;
                            for (int32_t ic = 0; ic < g.input_c; ++ic) {
                                acc += x[ic] * w[ic];
                            }
                        }
                    }
                    if (bias != NULL) {
                        acc += bias[oc];
                    }
                    out[oc] = emu_clamp_f32(acc, p->act_min, p->act_max);
                }
            }
        }
    }
}
