/* RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR over NHWC tensors.
 *
 * Where each output row and column samples the input depends only on the shapes and the
 * options (align_corners, half_pixel_centers), so emu/compile/ops/resize.py computes it at
 * compile time, with TFLM's float32 or fixed-point arithmetic, into tables in flash: the
 * kernels only copy or blend.
 */
#ifndef EMU_RESIZE_H
#define EMU_RESIZE_H

#include <stdint.h>

typedef struct {
    int32_t batches, input_h, input_w, output_h, output_w;
    int32_t pixel_bytes;       /* channels * element size: one pixel, copied whole */
    const int32_t *source_y;   /* per output row, the input row it copies */
    const int32_t *source_x;   /* per output column, the input column */
} emu_resize_nearest_params;

/* Bilinear: output(y, x) blends input rows y0[y], y1[y] and columns x0[x], x1[x]. */
typedef struct {
    int32_t batches, input_h, input_w, output_h, output_w, channels;
    const int32_t *y0, *y1, *x0, *x1;
    const int16_t *weight_y;   /* int8: the distance past y0 in 1/1024ths (may be negative) */
    const int16_t *weight_x;
} emu_resize_bilinear_s8_params;

typedef struct {
    int32_t batches, input_h, input_w, output_h, output_w, channels;
    const int32_t *y0, *y1, *x0, *x1;
    const float *fraction_y;   /* float32: the distance past y0 (may be negative) */
    const float *fraction_x;
} emu_resize_bilinear_f32_params;

void emu_resize_nearest(const emu_resize_nearest_params *p, const void *input, void *output);
void emu_resize_bilinear_s8(const emu_resize_bilinear_s8_params *p, const int8_t *input, int8_t *output);
void emu_resize_bilinear_f32(const emu_resize_bilinear_f32_params *p, const float *input, float *output);

#endif
