/* DEPTHWISE_CONV_2D: each input channel ic is convolved with depth_multiplier filters of its
 * own, giving output channels ic * depth_multiplier + m. NHWC tensors; filter
 * [1][filter_h][filter_w][output_c]. Model-dependent constants come from
 * emu/compile/ops/depthwise_conv_2d.py.
 */
#ifndef EMU_DEPTHWISE_CONV_2D_H
#define EMU_DEPTHWISE_CONV_2D_H

#include <stdint.h>

typedef struct {
    int16_t batches, input_h, input_w, input_c;
    int16_t output_h, output_w, output_c;
    int16_t filter_h, filter_w, depth_multiplier;
    int16_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
    /* Output pixels [inner_y0, inner_y1) x [inner_x0, inner_x1) see no padding. */
    int16_t inner_y0, inner_y1, inner_x0, inner_x1;
    int16_t input_offset;  /* -input zero point */
    int16_t output_offset; /* output zero point */
    int16_t act_min, act_max;
    const int32_t *folded_bias;   /* bias[c] + input_offset * sum(filter[.][.][c]) */
    const int32_t *multiplier;    /* per channel, also for per-tensor weights */
    const int8_t *shift;
} emu_depthwise_conv2d_s8_params;

typedef struct {
    int16_t batches, input_h, input_w, input_c;
    int16_t output_h, output_w, output_c;
    int16_t filter_h, filter_w, depth_multiplier;
    int16_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
    float act_min, act_max;
} emu_depthwise_conv2d_f32_params;

/* int16 activations, int8 filter (zero points 0): TFLM's 16x8 kernel, whose bias is int64
 * and whose sum is rescaled with emu_multiply_by_quantized_multiplier_s64. */
typedef struct {
    int16_t batches, input_h, input_w, input_c;
    int16_t output_h, output_w, output_c;
    int16_t filter_h, filter_w, depth_multiplier;
    int16_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
    int16_t act_min, act_max;
    const int64_t *bias;
    const int32_t *multiplier;
    const int8_t *shift;
} emu_depthwise_conv2d_s16_params;

void emu_depthwise_conv2d_s8(const emu_depthwise_conv2d_s8_params *p, const int8_t *input,
                             const int8_t *filter, int8_t *output);
void emu_depthwise_conv2d_s16(const emu_depthwise_conv2d_s16_params *p, const int16_t *input,
                              const int8_t *filter, int16_t *output);
void emu_depthwise_conv2d_f32(const emu_depthwise_conv2d_f32_params *p, const float *input,
                              const float *filter, const float *bias, float *output);

#endif
