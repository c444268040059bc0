/* TRANSPOSE_CONV: the transpose (gradient) of a 2-D convolution over NHWC tensors, filter
 * [output_c][filter_h][filter_w][input_c].
 *
 * Input pixel (iy, ix) adds input * filter[fy][fx] to output pixel
 * (iy * stride_h - pad_h + fy, ix * stride_w - pad_w + fx) where that lies inside the output.
 * The kernels gather rather than scatter: each output value sums the input pixels that reach
 * it, in the order TFLM's reference scatters them (input rows, then columns, then channels),
 * so float32 sums round as TFLM's do and no accumulator buffer is needed. The padding comes
 * from emu/compile/ops/transpose_conv.py, computed from the output's size as TFLM does.
 */
#ifndef EMU_TRANSPOSE_CONV_H
#define EMU_TRANSPOSE_CONV_H

#include <stdint.h>

#define EMU_TRANSPOSE_CONV_GEOMETRY                                     \
    int32_t batches, input_h, input_w, input_c;                         \
    int32_t output_h, output_w, output_c;                               \
    int32_t filter_h, filter_w, stride_h, stride_w, pad_h, pad_w

typedef struct {
    EMU_TRANSPOSE_CONV_GEOMETRY;
    int32_t input_offset;  /* -input zero point */
    int32_t output_offset; /* output zero point */
    int32_t act_min, act_max;
    const int32_t *multiplier; /* per output channel, also for per-tensor weights */
    const int8_t *shift;
} emu_transpose_conv_s8_params;

/* int16 activations, int8 filter, zero points 0 (TFLM's 16x8 kernel): the bias is int64,
 * zeros when the model has none. */
typedef struct {
    EMU_TRANSPOSE_CONV_GEOMETRY;
    int32_t act_min, act_max;
    const int64_t *bias;
    const int32_t *multiplier; /* per output channel, also for per-tensor weights */
    const int8_t *shift;
} emu_transpose_conv_s16_params;

typedef struct {
    EMU_TRANSPOSE_CONV_GEOMETRY;
    float act_min, act_max;
} emu_transpose_conv_f32_params;

/* bias may be NULL */
void emu_transpose_conv_s8(const emu_transpose_conv_s8_params *p, const int8_t *input, const int8_t *filter,
                           const int32_t *bias, int8_t *output);
void emu_transpose_conv_s16(const emu_transpose_conv_s16_params *p, const int16_t *input, const int8_t *filter,
                            int16_t *output);
void emu_transpose_conv_f32(const emu_transpose_conv_f32_params *p, const float *input, const float *filter,
                            const float *bias, float *output);

#endif
