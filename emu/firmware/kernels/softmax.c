/* SOFTMAX; see softmax.h. */
#include "softmax.h"

#include <math.h>

#include "emu_quant.h"

#define SCALED_DIFF_INTEGER_BITS 5  /* Q5.26: differences down to -32 after scaling */
#define ACCUMULATION_INTEGER_BITS 12 /* Q12.19: room for 4096 terms of at most 1 */

/* exp(beta * scale * diff) in Q0 for a difference diff <= 0 that is not below diff_min. */
static int32_t scaled_exp(const emu_softmax_s8_params *p, int32_t diff)
{
    const int32_t scaled = emu_sat_rounding_doubling_high_mul(diff * (1 << p->input_left_shift),
                                                              p->input_multiplier);
    return emu_exp_on_negative_values(scaled, SCALED_DIFF_INTEGER_BITS);
}

void emu_softmax_s8(const emu_softmax_s8_params *p, const int8_t *input, int8_t *output)
{
    for (int32_t r = 0; r < p->rows; r++) {
        const int8_t *x = input + r * p->depth;
        int8_t *y = output + r * p->depth;
        int32_t max = INT8_MIN;
        for (int32_t c = 0; c < p->depth; c++) {
            max = x[c] > max ? x[c] : max;
        }
        int32_t sum = 0; /* Q12.19 */
        for (int32_t c = 0; c < p->depth; c++) {
            const int32_t diff = x[c] - max;
            if (diff >= p->diff_min) {
                sum += emu_rounding_divide_by_pot(scaled_exp(p, diff), ACCUMULATION_INTEGER_BITS);
            }
        }
        /* sum = 2^bits_over_unit * (1 + f) with f in [0, 1): 1/sum is 1/(1+f) shifted. The
         * sum is at least exp(0) = 1, so it is positive. */
        const int headroom_plus_one = emu_clz32((uint32_t)sum);
        const int bits_over_unit = ACCUMULATION_INTEGER_BITS - headroom_plus_one;
        const int32_t f = (int32_t)(((uint32_t)sum << headroom_plus_one) - (1u << 31));
        const int32_t reciprocal = emu_one_over_one_plus_x(f);
        for (int32_t c = 0; c < p->depth; c++) {
            const int32_t diff = x[c] - max;
            if (diff >= p->diff_min) {
                const int32_t prob = emu_rounding_divide_by_pot(
                    emu_sat_rounding_doubling_high_mul(reciprocal, scaled_exp(p, diff)),
                    bits_over_unit + 31 - 8);
                y[c] = (int8_t)emu_clamp_i32(prob + INT8_MIN, INT8_MIN, INT8_MAX);
            } else {
                y[c] = INT8_MIN;
            }
        }
    }
}

void emu_softmax_f32(const emu_softmax_f32_params *p, const float *input, float *output)
{
    for (int32_t r = 0; r < p->rows; r++) {
        const float *x = input + r * p->depth;
        float *y = output + r * p->depth;
        float max = x[0];
        for (int32_t c = 1; c < p->depth; c++) {
            max = x[c] > max ? x[c] : max;
        }
        float sum = 0.0f;
        for (int32_t c = 0; c < p->depth; c++) {
            y[c] = expf((x[c] - max) * p->beta);
            sum += y[c];
        }
        for (int32_t c = 0; c < p->depth; c++) {
            y[c] = y[c] / sum;
        }
    }
}
