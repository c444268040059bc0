/* L2_NORMALIZATION; see l2_normalization.h. */
#include "l2_normalization.h"

#include <math.h>

#include "emu_quant.h"

#define OUTPUT_FRACTION_BITS 7 /* the output's scale is 1/128 */

void emu_l2_normalization_s8(const emu_l2_normalization_params *p, const int8_t *input, int8_t *output)
{
    for (int32_t o = 0; o < p->outer; o++) {
        const int8_t *row = input + o * p->depth;
        int32_t sum = 0;
        for (int32_t c = 0; c < p->depth; c++) {
            const int32_t x = row[c] - p->input_zero_point;
            sum += x * x;
        }
        int32_t multiplier;
        int shift;
        emu_inv_sqrt_multiplier(sum, &multiplier, &shift);
        int8_t *out = output + o * p->depth;
        for (int32_t c = 0; c < p->depth; c++) {
            const int32_t x = row[c] - p->input_zero_point;
            const int32_t y = emu_multiply_by_quantized_multiplier(x, multiplier, shift + OUTPUT_FRACTION_BITS);
            out[c] = (int8_t)emu_clamp_i32(y, INT8_MIN, INT8_MAX);
        }
    }
}

void emu_l2_normalization_f32(const emu_l2_normalization_params *p, const float *input, float *output)
{
    const float epsilon = 1e-6f;
    for (int32_t o = 0; o < p->outer; o++) {
        const float *row = input + o * p->depth;
        float sum = 0.0f;
        for (int32_t c = 0; c < p->depth; c++) {
            sum += row[c] * row[c];
        }
        float norm = sqrtf(sum);
        norm = norm > epsilon ? norm : epsilon;
        float *out = output + o * p->depth;
        for (int32_t c = 0; c < p->depth; c++) {
            out[c] = row[c] / norm;
        }
    }
}
