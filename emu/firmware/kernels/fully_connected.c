/* FULLY_CONNECTED kernels, int8 and float32.
 *
 * int8 arithmetic (TFLite quantization spec): sum_d weights * (input + input_offset) in
 * int32, plus the bias, rescaled by the fixed-point multiplier, plus the output zero point,
 * clamped. Weights are symmetric (zero point 0). No input element is ever missing, so
 * bias + input_offset * sum(weights) is folded at compile time exactly, and the loop is a
 * plain dot product.
 */
#include "fully_connected.h"

#include "emu_quant.h"

/* acc += {w0.x, w1.x}: two units against one input row, so each input byte loaded feeds
 * two multiply-accumulates. */
static inline void dot_1x2(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n, int32_t acc[2])
{
    int32_t a0 = acc[0], a1 = acc[1];
    for (; n >= 4; n -= 4) {
        int32_t v;
        v = x[0]; a0 += w0[0] * v; a1 += w1[0] * v;
        v = x[1]; a0 += w0[1] * v; a1 += w1[1] * v;
        v = x[2]; a0 += w0[2] * v; a1 += w1[2] * v;
        v = x[3]; a0 += w0[3] * v; a1 += w1[3] * v;
        x += 4; w0 += 4; w1 += 4;
    }
    for (; n > 0; --n) {
        int32_t v = *x++;
        a0 += *w0++ * v;
        a1 += *w1++ * v;
    }
    acc[0] = a0;
    acc[1] = a1;
}

void emu_fully_connected_s8(const emu_fully_connected_s8_params *p, const int8_t *input,
                            const int8_t *weights, int8_t *output)
{
    /* copied out of *p: stores through int8_t pointers could alias it */
    const emu_output_quant q = {p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max};
    const int32_t *bias = p->folded_bias;
    const int32_t batches = p->batches, depth = p->depth, units = p->units;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = input + b * depth;
        int8_t *out = output + b * units;
        for (int32_t u = 0; u < units; u += 2) {
            /* an odd last unit pairs with itself */
            const int32_t u1 = u + 1 < units ? u + 1 : u;
            int32_t acc[2] = {bias[u], bias[u1]};
            dot_1x2(x, weights + u * depth, weights + u1 * depth, depth, acc);
            const int32_t y0 = emu_output_s8(&q, acc[0], q.multiplier[u], q.shift[u]);
            const int32_t y1 = emu_output_s8(&q, acc[1], q.multiplier[u1], q.shift[u1]);
            out[u] = (int8_t)y0;
            out[u1] = (int8_t)y1;
        }
    }
}

/* int16 input, int8 weights: each unit's dot product exact in int64, plus the bias, rescaled
 * as TFLM does for the bias's type. */
void emu_fully_connected_s16(const emu_fully_connected_s16_params *p, const int16_t *input,
                             const int8_t *weights, int16_t *output)
{
    for (int32_t b = 0; b < p->batches; ++b, input += p->depth, output += p->units) {
        const int8_t *w = weights;
        for (int32_t u = 0; u < p->units; ++u, w += p->depth) {
            const int64_t acc = p->bias[u] + emu_dot_s16_s8(input, w, p->depth);
            const int32_t y = emu_rescale_s16(acc, p->accumulate_32, p->multiplier[u], p->shift[u]);
            output[u] = (int16_t)emu_clamp_i32(y, p->act_min, p->act_max);
        }
    }
}

/* float32: the reference order, so sums round as they do in TFLM */
void emu_fully_connected_f32(const emu_fully_connected_f32_params *p, const float *input,
                             const float *weights, const float *bias, float *output)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        const float *x = input + b * p->depth;
        const float *w = weights;
        for (int32_t u = 0; u < p->units; ++u) {
            float total = 0.0f;
            for (int32_t d = 0; d < p->depth; ++d) {
                total += x[d] * *w++;
            }
            *output++ = emu_clamp_f32(total + (bias ? bias[u] : 0.0f), p->act_min, p->act_max);
        }
    }
}
