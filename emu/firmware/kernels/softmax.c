/* SOFTMAX; see softmax.h. */
#include "softmax.h"

#include <float.h>
#include <math.h>

#include "emu_quant.h"

#define SCALED_DIFF_INTEGER_BITS 5  /* Q5.26: differences down to -32 after scaling */
#define ACCUMULATION_INTEGER_BITS 12 /* Q12.19: room for 4096 terms of at most 1 */

/* A difference from the row maximum (<= 0) times beta * scale, in Q5.26. */
static int32_t scaled_diff(int32_t diff, int32_t multiplier, int32_t left_shift)
{
    return emu_sat_rounding_doubling_high_mul(diff * (1 << left_shift), multiplier);
}

/* exp(beta * scale * diff) in Q0 for a difference diff <= 0 that is not below diff_min. */
static int32_t scaled_exp(int32_t diff, int32_t multiplier, int32_t left_shift)
{
    return emu_exp_on_negative_values(scaled_diff(diff, multiplier, left_shift), SCALED_DIFF_INTEGER_BITS);
}

/* The largest of a row of int8 values. */
static int32_t row_max_s8(const int8_t *x, int32_t depth)
{
    int32_t max = INT8_MIN;
    for (int32_t c = 0; c < depth; c++) {
        max = x[c] > max ? x[c] : max;
    }
    return max;
}

/* The sum of a row's exponentials in Q12.19, as TFLM's int8 SOFTMAX and LOG_SOFTMAX take it:
 * differences below diff_min contribute nothing. */
static int32_t sum_of_exps_s8(const int8_t *x, int32_t depth, int32_t max, int32_t diff_min, int32_t multiplier,
                              int32_t left_shift)
{
    int32_t sum = 0;
    for (int32_t c = 0; c < depth; c++) {
        const int32_t diff = x[c] - max;
        if (diff >= diff_min) {
            sum += emu_rounding_divide_by_pot(scaled_exp(diff, multiplier, left_shift), ACCUMULATION_INTEGER_BITS);
        }
    }
    return sum;
}

/* TFLM's int8 SOFTMAX, whose output is int8 (scale 1/256) or int16 (scale 1/65536): the
 * probabilities in Q0.31 are rounded to the output's bits and offset by its minimum. */
#define SOFTMAX_FROM_S8(name, out_type, out_bits, out_min, out_max)                                  \
    void name(const emu_softmax_s8_params *p, const int8_t *input, out_type *output)               \
    {                                                                                                \
        for (int32_t r = 0; r < p->rows; r++) {                                                      \
            const int8_t *x = input + r * p->depth;                                                  \
            out_type *y = output + r * p->depth;                                                     \
            const int32_t max = row_max_s8(x, p->depth);                                             \
            const int32_t sum = sum_of_exps_s8(x, p->depth, max, p->diff_min, p->input_multiplier,   \
                                               p->input_left_shift); /* Q12.19 */                    \
            /* sum = 2^bits_over_unit * (1 + f) with f in [0, 1): 1/sum is 1/(1+f) shifted. The    \
             * sum is at least exp(0) = 1, so it is positive. */                                     \
            const int headroom_plus_one = emu_clz32((uint32_t)sum);                                  \
            const int bits_over_unit = ACCUMULATION_INTEGER_BITS - headroom_plus_one;                \
            const int32_t f = (int32_t)(((uint32_t)sum << headroom_plus_one) - (1u << 31));          \
            const int32_t reciprocal = emu_one_over_one_plus_x(f);                                   \
            for (int32_t c = 0; c < p->depth; c++) {                                                 \
                const int32_t diff = x[c] - max;                                                     \
                if (diff >= p->diff_min) {                                                           \
                    const int32_t prob = emu_rounding_divide_by_pot(                                 \
                        emu_sat_rounding_doubling_high_mul(reciprocal, scaled_exp(diff, p->input_multiplier, p->input_left_shift)),         \
                        bits_over_unit + 31 - (out_bits));                                           \
                    y[c] = (out_type)emu_clamp_i32(prob + (out_min), out_min, out_max);              \
                } else {                                                                             \
                    y[c] = (out_type)(out_min);                                                      \
                }                                                                                    \
            }                                                                                        \
        }                                                                                            \
    }

SOFTMAX_FROM_S8(emu_softmax_s8, int8_t, 8, INT8_MIN, INT8_MAX)
SOFTMAX_FROM_S8(emu_softmax_s8_s16, int16_t, 16, INT16_MIN, INT16_MAX)

/* The exponentials are kept in the output row while the row's sum is taken, then scaled
 * in place by the reciprocal of the sum. */
void emu_softmax_s16(const emu_softmax_s16_params *p, const int16_t *input, int16_t *output)
{
    for (int32_t r = 0; r < p->rows; r++) {
        const int16_t *x = input + r * p->depth;
        int16_t *y = output + r * p->depth;
        int32_t max = INT16_MIN;
        for (int32_t c = 0; c < p->depth; c++) {
            max = x[c] > max ? x[c] : max;
        }
        int32_t sum = 0; /* Q16.15 */
        for (int32_t c = 0; c < p->depth; c++) {
            const int32_t scaled = emu_multiply_by_quantized_multiplier(x[c] - max, p->input_multiplier, p->input_shift);
            /* [-65535, 0] recentred on [-32768, 32767] */
            y[c] = emu_lut_s16((int16_t)emu_clamp_i32(scaled + 32767, INT16_MIN, INT16_MAX), p->exp_lut);
            sum += y[c];
        }
        /* the sum normalised to [1, 2) in Q1.14 ... minus 1, recentred on the table's range */
        const int headroom_plus_one = emu_clz32((uint32_t)sum);
        const int32_t shifted = (int32_t)((((int64_t)sum << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
        const int16_t centred = (int16_t)emu_clamp_i32(shifted - ((1 << 15) + (1 << 16)), INT16_MIN, INT16_MAX);
        const int32_t reciprocal = emu_lut_s16(centred, p->one_over_one_plus_x_lut); /* Q0.15 */
        const int right_shift = 31 - headroom_plus_one;
        const int64_t round = (int64_t)1 << (right_shift - 1);
        for (int32_t c = 0; c < p->depth; c++) {
            const int32_t prob = (int32_t)(((int64_t)y[c] * reciprocal + round) >> right_shift);
            y[c] = (int16_t)emu_clamp_i32(prob, 0, INT16_MAX);
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

#define LOG_OUTPUT_INTEGER_BITS 4 /* the int8 output, 16/256 a step: [-16, 0) */

void emu_log_softmax_s8(const emu_log_softmax_s8_params *p, const int8_t *input, int8_t *output)
{
    for (int32_t r = 0; r < p->rows; r++) {
        const int8_t *x = input + r * p->depth;
        int8_t *y = output + r * p->depth;
        const int32_t max = row_max_s8(x, p->depth);
        const int32_t sum = sum_of_exps_s8(x, p->depth, max, p->diff_min, p->input_multiplier, p->input_left_shift);
        const int32_t log_sum = emu_log_x_for_x_at_least_1(sum, ACCUMULATION_INTEGER_BITS, SCALED_DIFF_INTEGER_BITS);
        /* The log shifted by -2^31 in Q5.26 and mapped back onto input steps: differences at or
         * below it (or below diff_min) give the minimum. */
        const int32_t mapped = emu_multiply_by_quantized_multiplier(log_sum + INT32_MIN, p->reverse_scaling_divisor,
                                                                    p->reverse_scaling_shift);
        const int32_t cut_off = mapped > p->diff_min - 1 ? mapped : p->diff_min - 1;
        for (int32_t c = 0; c < p->depth; c++) {
            const int32_t diff = x[c] - max;
            if (diff > cut_off) {
                const int32_t value = emu_rounding_divide_by_pot(
                    scaled_diff(diff, p->input_multiplier, p->input_left_shift) - log_sum,
                    31 - SCALED_DIFF_INTEGER_BITS - LOG_OUTPUT_INTEGER_BITS) + INT8_MAX;
                y[c] = (int8_t)emu_clamp_i32(value, INT8_MIN, INT8_MAX);
            } else {
                y[c] = INT8_MIN;
            }
        }
    }
}

void emu_log_softmax_f32(const emu_log_softmax_f32_params *p, const float *input, float *output)
{
    for (int32_t r = 0; r < p->rows; r++) {
        const float *x = input + r * p->depth;
        float *y = output + r * p->depth;
        float max = -FLT_MAX;
        for (int32_t c = 0; c < p->depth; c++) {
            max = max < x[c] ? x[c] : max;
        }
        float sum = 0.0f;
        for (int32_t c = 0; c < p->depth; c++) {
            sum += expf(x[c] - max);
        }
        const float log_sum = logf(sum);
        for (int32_t c = 0; c < p->depth; c++) {
            y[c] = x[c] - max - log_sum;
        }
    }
}
