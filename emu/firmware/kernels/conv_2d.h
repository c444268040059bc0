/* CONV_2D: 2-D convolution over NHWC tensors, filter [out_c][filter_h][filter_w][in_c / groups].
 *
 * Everything that depends only on the model (padding, quantized multipliers, the bias with
 * the input offset folded in) is computed at compile time by
 * emu/compile/ops/conv_2d.py and arrives in the params struct.
 */
#ifndef EMU_CONV_2D_H
#define EMU_CONV_2D_H

#include <stdint.h>

typedef struct {
    /* geometry */
    int16_t batches, input_h, input_w, input_c;
    int16_t output_h, output_w, output_c;
    int16_t filter_h, filter_w, filter_c; /* filter_c = input_c / groups */
    int16_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
    /* quantization */
    int16_t input_offset;  /* -input zero point */
    int16_t output_offset; /* output zero point */
    int16_t act_min, act_max;
    /* the optimized DSP kernels only (conv_2d_dsp.c): how many pairs of output channels the
     * filter stores interleaved; 0 elsewhere, and for a filter that keeps the model's rows */
    int16_t filter_pairs;
    const int32_t *folded_bias;   /* bias[c] + input_offset * sum(filter[c]) */
    const int32_t *multiplier;    /* per output channel, also for per-tensor weights */
    const int8_t *shift;
} emu_conv2d_s8_params;

typedef struct {
    int16_t batches, input_h, input_w, input_c;
    int16_t output_h, output_w, output_c;
    int16_t filter_h, filter_w, filter_c;
    int16_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
    float act_min, act_max;
} emu_conv2d_f32_params;

/* int16 activations, int8 filter (zero points 0): TFLM's 16x8 convolution. The bias is given
 * as int64 whatever the model stored; accumulate_32 is set when the model's bias (or its
 * declared bias type) is int32, where TFLM sums in int32 and rescales with the 32-bit
 * multiply, else it sums in int64 and rescales with emu_multiply_by_quantized_multiplier_s64. */
typedef struct {
    int16_t batches, input_h, input_w, input_c;
    int16_t output_h, output_w, output_c;
    int16_t filter_h, filter_w, filter_c;
    int16_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
    int16_t act_min, act_max;
    int16_t accumulate_32;
    const int64_t *bias;
    const int32_t *multiplier;
    const int8_t *shift;
} emu_conv2d_s16_params;

/* Any filter; scratch holds two gathered windows (2 x filter_h * filter_w * input_c bytes). */
void emu_conv2d_s8(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                   int8_t *output, void *scratch);
/* 1x1 filters, one group. */
void emu_conv2d_1x1_s8(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                       int8_t *output);
/* int16: scratch holds one gathered window (2 x filter_h * filter_w * filter_c bytes). */
void emu_conv2d_s16(const emu_conv2d_s16_params *p, const int16_t *input, const int8_t *filter,
                    int16_t *output, void *scratch);
void emu_conv2d_f32(const emu_conv2d_f32_params *p, const float *input, const float *filter,
                    const float *bias, float *output);

#endif
