/* CONV_2D with sparse-bitmap filters; see conv_2d_sparse.h.
 *
 * A channel's bitmap covers its whole window, [filter_h][filter_w][input_c], so a filter with
 * few input channels (the first layer of an image model) costs a bit per weight too. Once
 * per call the kernel lays out, in scratch, where each window position lies in the input
 * (its offset from the window's first byte, and its row and column in the filter). Output
 * pixels whose whole window is inside the image go two at a time: each nonzero weight, found
 * once in the bitmap, feeds both pixels' sums. Pixels whose window reaches into the padding
 * go one at a time and add zero_point * weight for the padded positions, as the dense
 * kernels do. */
#include "conv_2d_sparse.h"

#include "emu_quant.h"
#include "sparse_bitmap.h"

typedef struct {
    int32_t *offset;     /* position -> offset in the input from the window's first byte */
    uint8_t *row, *col;  /* position -> filter row and column */
} window_map;

static window_map map_window(const emu_conv2d_sparse_s8_params *p, void *scratch)
{
    const int32_t window = (int32_t)p->filter_h * p->filter_w * p->input_c;
    window_map m = {(int32_t *)scratch, (uint8_t *)scratch + 4 * window, (uint8_t *)scratch + 5 * window};
    int32_t pos = 0;
    for (int fy = 0; fy < p->filter_h; ++fy) {
        for (int fx = 0; fx < p->filter_w; ++fx) {
            const int32_t base = ((int32_t)fy * p->dilation_h * p->input_w + (int32_t)fx * p->dilation_w) * p->input_c;
            for (int c = 0; c < p->input_c; ++c, ++pos) {
                m.offset[pos] = base + c;
                m.row[pos] = (uint8_t)fy;
                m.col[pos] = (uint8_t)fx;
            }
        }
    }
    return m;
}

static inline int window_inside(const emu_conv2d_sparse_s8_params *p, int iy0, int ix0)
{
    return iy0 >= 0 && ix0 >= 0 && iy0 + (p->filter_h - 1) * p->dilation_h < p->input_h &&
           ix0 + (p->filter_w - 1) * p->dilation_w < p->input_w;
}

static void one_pixel(const emu_conv2d_sparse_s8_params *p, const emu_output_quant *q, const window_map *m,
                      const int8_t *image, int iy0, int ix0, int8_t *out)
{
    const int32_t window_bytes = ((int32_t)p->filter_h * p->filter_w * p->input_c + 7) >> 3;
    const int32_t zero_point = -p->input_offset;
    const int32_t origin = ((int32_t)iy0 * p->input_w + ix0) * p->input_c; /* may be negative */
    const uint8_t *bitmap = p->bitmap;
    const int8_t *v = p->values;
    for (int oc = 0; oc < p->output_c; ++oc) {
        int32_t acc = p->folded_bias[oc], padded = 0;
        for (int32_t k = 0; k < window_bytes; ++k) {
            for (uint32_t bits = *bitmap++; bits; bits &= bits - 1u) {
                const int32_t pos = 8 * k + emu_lowest_bit(bits);
                const int iy = iy0 + m->row[pos] * p->dilation_h, ix = ix0 + m->col[pos] * p->dilation_w;
                const int32_t w = *v++;
                if (iy >= 0 && iy < p->input_h && ix >= 0 && ix < p->input_w) {
                    acc += image[origin + m->offset[pos]] * w;
                } else {
                    padded += w;
                }
            }
        }
        out[oc] = (int8_t)emu_output_s8(q, acc + padded * zero_point, q->multiplier[oc], q->shift[oc]);
    }
}

/* Two pixels whose windows are inside the image, starting at x0 and x1. */
static void pixel_pair(const emu_conv2d_sparse_s8_params *p, const emu_output_quant *q, const int32_t *offset,
                       const int8_t *x0, const int8_t *x1, int8_t *out0, int8_t *out1)
{
    const int32_t window_bytes = ((int32_t)p->filter_h * p->filter_w * p->input_c + 7) >> 3;
    const uint8_t *bitmap = p->bitmap;
    const int8_t *v = p->values;
    for (int oc = 0; oc < p->output_c; ++oc) {
        int32_t a0 = p->folded_bias[oc], a1 = a0;
        const int32_t *off = offset;
        for (int32_t k = 0; k < window_bytes; ++k, off += 8) {
            for (uint32_t bits = *bitmap++; bits; bits &= bits - 1u) {
                const int32_t at = off[emu_lowest_bit(bits)];
                const int32_t w = *v++;
                a0 += x0[at] * w;
                a1 += x1[at] * w;
            }
        }
        out0[oc] = (int8_t)emu_output_s8(q, a0, q->multiplier[oc], q->shift[oc]);
        out1[oc] = (int8_t)emu_output_s8(q, a1, q->multiplier[oc], q->shift[oc]);
    }
}

void emu_conv2d_sparse_s8(const emu_conv2d_sparse_s8_params *p, const int8_t *input, int8_t *output,
                          void *scratch)
{
    const emu_output_quant q = {p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max};
    const window_map m = map_window(p, scratch);
    const int32_t image_bytes = (int32_t)p->input_h * p->input_w * p->input_c;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * image_bytes;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            int ox = 0;
            while (ox < p->output_w) {
                const int ix0 = ox * p->stride_w - p->pad_w;
                int8_t *out = output + (((int32_t)b * p->output_h + oy) * p->output_w + ox) * p->output_c;
                if (ox + 1 < p->output_w && window_inside(p, iy0, ix0) && window_inside(p, iy0, ix0 + p->stride_w)) {
                    const int8_t *x0 = image + ((int32_t)iy0 * p->input_w + ix0) * p->input_c;
                    pixel_pair(p, &q, m.offset, x0, x0 + (int32_t)p->stride_w * p->input_c, out, out + p->output_c);
                    ox += 2;
                } else {
                    one_pixel(p, &q, &m, image, iy0, ix0, out);
                    ox += 1;
                }
            }
        }
    }
}
