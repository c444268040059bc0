/* RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR; see resize.h. */
#include "resize.h"

#include <string.h>

void emu_resize_nearest(const emu_resize_nearest_params *p, const void *input, void *output)
{
    const int32_t row_bytes = p->input_w * p->pixel_bytes;
    const int32_t image_bytes = p->input_h * row_bytes;
    const uint8_t *image = (const uint8_t *)input;
    uint8_t *out = (uint8_t *)output;
    for (int32_t b = 0; b < p->batches; ++b, image += image_bytes) {
        for (int32_t y = 0; y < p->output_h; ++y) {
            const uint8_t *row = image + p->source_y[y] * row_bytes;
            for (int32_t x = 0; x < p->output_w; ++x, out += p->pixel_bytes) {
                memcpy(out, row + p->source_x[x] * p->pixel_bytes, (size_t)p->pixel_bytes);
            }
        }
    }
}

/* TFLM's integer path (ResizeBilinearInteger): weights in 1/1024ths, products summed in
 * 1/2^20ths, then divided by 2^20 rounding halves away from zero. The weights of a pixel's
 * four taps have absolute values summing to at most 2048 per axis, so the sum of int8 values
 * times them stays within 2^29 and int32 holds it exactly. */
void emu_resize_bilinear_s8(const emu_resize_bilinear_s8_params *p, const int8_t *input, int8_t *output)
{
    const int32_t c = p->channels;
    const int32_t row = p->input_w * c;
    const int32_t image = p->input_h * row;
    int8_t *out = output;
    for (int32_t b = 0; b < p->batches; ++b, input += image) {
        for (int32_t y = 0; y < p->output_h; ++y) {
            const int8_t *top = input + p->y0[y] * row, *bottom = input + p->y1[y] * row;
            const int32_t wy = p->weight_y[y], vy = 1024 - wy;
            for (int32_t x = 0; x < p->output_w; ++x) {
                const int32_t wx = p->weight_x[x], vx = 1024 - wx;
                const int32_t left = p->x0[x] * c, right = p->x1[x] * c;
                const int32_t w_tl = vy * vx, w_bl = wy * vx, w_tr = vy * wx, w_br = wy * wx;
                for (int32_t k = 0; k < c; ++k) {
                    const int32_t sum = top[left + k] * w_tl + bottom[left + k] * w_bl
                                      + top[right + k] * w_tr + bottom[right + k] * w_br;
                    *out++ = (int8_t)((sum + (sum > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20));
                }
            }
        }
    }
}

/* TFLM's float path, its products in its order, so every output rounds as TFLM's does. */
void emu_resize_bilinear_f32(const emu_resize_bilinear_f32_params *p, const float *input, float *output)
{
    const int32_t c = p->channels;
    const int32_t row = p->input_w * c;
    const int32_t image = p->input_h * row;
    float *out = output;
    for (int32_t b = 0; b < p->batches; ++b, input += image) {
        for (int32_t y = 0; y < p->output_h; ++y) {
            const float *top = input + p->y0[y] * row, *bottom = input + p->y1[y] * row;
            const float dy = p->fraction_y[y];
            for (int32_t x = 0; x < p->output_w; ++x) {
                const float dx = p->fraction_x[x];
                const int32_t left = p->x0[x] * c, right = p->x1[x] * c;
                for (int32_t k = 0; k < c; ++k) {
                    *out++ = top[left + k] * (1 - dy) * (1 - dx) + bottom[left + k] * dy * (1 - dx)
                           + top[right + k] * (1 - dy) * dx + bottom[right + k] * dy * dx;
                }
            }
        }
    }
}
