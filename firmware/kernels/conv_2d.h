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

/* emu_multiply_by_quantized_multiplier(acc, multiplier, shift), the same integers in fewer
 * instructions; shared by the int8 convolution and fully connected kernels, where it runs
 * once per output. It relies on two facts: the multiplier is in [0, 2^31) (quantize_multiplier
 * never makes INT32_MIN), so the doubling high multiply never saturates, and for either sign
 * its division by 2^31 rounding halves away (with the -2^30 + 1 nudge for negative products)
 * equals floor((product + 2^30) / 2^31), one 64-bit add and shift. The rounding right shift
 * compares the remainder with its threshold instead of adding a bias, so it cannot overflow.
 * Right shifts of negative values are arithmetic on every compiler emu supports. */
static inline int32_t emu_conv_rescale(int32_t acc, int32_t multiplier, int shift)
{
    const int left = shift & ~(shift >> 31);     /* max(shift, 0) */
    const int right = left - shift;              /* max(-shift, 0) */
    const int64_t product = (int64_t)(int32_t)((uint32_t)acc << left) * multiplier;
    const int32_t high = (int32_t)((product + (1LL << 30)) >> 31);
    const int32_t mask = (int32_t)((1u << right) - 1u);
    const int32_t threshold = (mask >> 1) + (high < 0);
    return (high >> right) + ((high & mask) > threshold);
}

/* An int8 output's fixed-point parameters, one multiplier and shift per channel. Kernels
 * copy them out of their params struct before looping: stores through int8_t pointers may
 * alias anything, so fields read in a loop would be reloaded after every output written. */
typedef struct {
    const int32_t *multiplier;
    const int8_t *shift;
    int32_t offset, lo, hi;
} emu_output_quant;

/* Accumulator -> int8 output value, for a channel's multiplier and shift. Kernels read a
 * channel's multiplier and shift once and requantize all its outputs before storing any. */
static inline int32_t emu_requantize_s8(const emu_output_quant *q, int32_t acc, int32_t multiplier, int shift)
{
    acc = emu_conv_rescale(acc, multiplier, shift) + q->offset;
    acc = acc < q->lo ? q->lo : acc;
    return acc > q->hi ? q->hi : acc;
}

/* Any filter; scratch holds two gathered windows (2 x filter_h * filter_w * input_c bytes). */
void emu_conv2d_s8(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                   int8_t *output, void *scratch);
/* 1x1 filters, one group. */
void emu_conv2d_1x1_s8(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                       int8_t *output);
void emu_conv2d_f32(const emu_conv2d_f32_params *p, const float *input, const float *filter,
                    const float *bias, float *output);

#endif
