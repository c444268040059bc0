/* CONV_2D with sparse-bitmap filters; see conv_2d_sparse.h.
 *
 * Output pixels whose whole window is inside the image go two at a time: each nonzero
 * weight, found once in the bitmap, feeds both pixels' sums. Pixels whose window reaches
 * into the padding go one at a time and add zero_point * weight for the padded taps. */
#include "conv_2d_sparse.h"

#include "emu_quant.h"
#include "sparse_bitmap.h"

static inline int window_inside(const emu_conv2d_sparse_s8_params *p, int iy0, int ix0)
{
    return iy0 >= 0 && ix0 >= 0 && iy0 + (p->filter_h - 1) * p->dilation_h < p->input_h &&
           ix0 + (p->filter_w - 1) * p->dilation_w < p->input_w;
}

static void one_pixel(const emu_conv2d_sparse_s8_params *p, const emu_output_quant *q, const int8_t *image,
                      int iy0, int ix0, int8_t *out)
{
    const int tap_bytes = (p->input_c + 7) >> 3;
    const int32_t zero_point = -p->input_offset;
    const uint8_t *bitmap = p->bitmap;
    const int8_t *values = p->values;
    for (int oc = 0; oc < p->output_c; ++oc) {
        int32_t acc = p->folded_bias[oc], padded = 0;
        for (int fy = 0; fy < p->filter_h; ++fy) {
            const int iy = iy0 + fy * p->dilation_h;
            for (int fx = 0; fx < p->filter_w; ++fx) {
                const int ix = ix0 + fx * p->dilation_w;
                const int inside = iy >= 0 && iy < p->input_h && ix >= 0 && ix < p->input_w;
                const int8_t *x = inside ? image + ((int32_t)iy * p->input_w + ix) * p->input_c : image;
                for (int k = 0; k < tap_bytes; ++k) {
                    uint32_t bits = *bitmap++;
                    if (inside) {
                        acc = emu_sparse_dot_byte(bits, x + 8 * k, &values, acc);
                    } else {
                        for (; bits; bits &= bits - 1u) {
                            padded += *values++;
                        }
                    }
                }
            }
        }
        out[oc] = (int8_t)emu_output_s8(q, acc + padded * zero_point, q->multiplier[oc], q->shift[oc]);
    }
}

/* Two pixels whose windows are inside the image, their windows starting at x0 and x1. */
static void pixel_pair(const emu_conv2d_sparse_s8_params *p, const emu_output_quant *q, const int8_t *x0,
                       const int8_t *x1, int8_t *out0, int8_t *out1)
{
    const int tap_bytes = (p->input_c + 7) >> 3;
    const int32_t row_step = (int32_t)p->dilation_h * p->input_w * p->input_c;
    const int32_t tap_step = (int32_t)p->dilation_w * p->input_c;
    const uint8_t *bitmap = p->bitmap;
    const int8_t *v = p->values;
    for (int oc = 0; oc < p->output_c; ++oc) {
        int32_t a0 = p->folded_bias[oc], a1 = a0;
        for (int fy = 0; fy < p->filter_h; ++fy) {
            const int8_t *r0 = x0 + fy * row_step, *r1 = x1 + fy * row_step;
            for (int fx = 0; fx < p->filter_w; ++fx, r0 += tap_step, r1 += tap_step) {
                for (int k = 0; k < tap_bytes; ++k) {
                    uint32_t bits = *bitmap++;
                    while (bits) {
                        const int j = 8 * k + emu_lowest_bit(bits);
                        const int32_t w = *v++;
                        a0 += r0[j] * w;
                        a1 += r1[j] * w;
                        bits &= bits - 1u;
                    }
                }
            }
        }
        out0[oc] = (int8_t)emu_output_s8(q, a0, q->multiplier[oc], q->shift[oc]);
        out1[oc] = (int8_t)emu_output_s8(q, a1, q->multiplier[oc], q->shift[oc]);
    }
}

void emu_conv2d_sparse_s8(const emu_conv2d_sparse_s8_params *p, const int8_t *input, int8_t *output)
{
    const emu_output_quant q = {p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max};
    const int32_t image_bytes = (int32_t)p->input_h * p->input_w * p->input_c;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * image_bytes;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            int ox = 0;
            while (ox < p->output_w) {
                const int ix0 = ox * p->stride_w - p->pad_w, ix1 = ix0 + p->stride_w;
                int8_t *out = output + (((int32_t)b * p->output_h + oy) * p->output_w + ox) * p->output_c;
                if (ox + 1 < p->output_w && window_inside(p, iy0, ix0) && window_inside(p, iy0, ix1)) {
                    const int8_t *x0 = image + ((int32_t)iy0 * p->input_w + ix0) * p->input_c;
                    pixel_pair(p, &q, x0, x0 + (int32_t)p->stride_w * p->input_c, out, out + p->output_c);
                    ox += 2;
                } else {
                    one_pixel(p, &q, image, iy0, ix0, out);
                    ox += 1;
                }
            }
        }
    }
}
