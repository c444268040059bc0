/* HARD_SWISH; see hard_swish.h.
 *
 * The int8 path is TFLM's reference arithmetic, in int16 throughout: every intermediate
 * is truncated to 16 bits as TFLM's int16 variables truncate it, so the rounding and
 * saturation are the same. */
#include "hard_swish.h"

#define HIRES_INPUT_SHIFT 7

/* gemmlowp's saturating rounding doubling high multiply, on int16. */
static inline int16_t rounding_doubling_high_mul_s16(int16_t a, int16_t b)
{
    if (a == b && a == INT16_MIN) {
        return INT16_MAX;
    }
    const int32_t ab = (int32_t)a * (int32_t)b;
    const int16_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return (int16_t)((ab + nudge) / (1 << 15));
}

/* The same without rounding: the product's high half, truncated toward zero. */
static inline int16_t doubling_high_mul_s16(int16_t a, int16_t b)
{
    if (a == b && a == INT16_MIN) {
        return INT16_MAX;
    }
    return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

/* gemmlowp's rounding right shift on int16 (the mask, threshold and sum all int16). */
static inline int16_t rounding_divide_by_pot_s16(int16_t x, int exponent)
{
    const int16_t mask = (int16_t)((1LL << exponent) - 1);
    const int16_t remainder = (int16_t)(x & mask);
    const int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
    return (int16_t)((x >> exponent) + (remainder > threshold ? 1 : 0));
}

static inline int16_t saturating_left_shift_s16(int16_t x, int amount)
{
    const int64_t shifted = (int64_t)x * ((int64_t)1 << amount);
    return (int16_t)(shifted > INT16_MAX ? INT16_MAX : shifted < INT16_MIN ? INT16_MIN : shifted);
}

void emu_hard_swish_s8(const emu_hard_swish_s8_params *p, const int8_t *input, int8_t *output)
{
    const int16_t output_multiplier = (int16_t)p->output_multiplier;
    const int16_t reluish_multiplier = (int16_t)p->reluish_multiplier;
    const int reluish_exponent = p->reluish_exponent;
    for (int32_t i = 0; i < p->size; i++) {
        const int16_t hires = (int16_t)((int16_t)(input[i] - p->input_zero_point) * (1 << HIRES_INPUT_SHIFT));
        const int16_t on_output_scale = rounding_doubling_high_mul_s16(hires, output_multiplier);
        /* x on the relu-ish scale, saturating at +-3: a left shift is split around the
         * multiply so that only its last bit can saturate */
        int16_t reluish = hires;
        if (reluish_exponent > 0) {
            reluish = saturating_left_shift_s16(reluish, reluish_exponent - 1);
        }
        reluish = rounding_doubling_high_mul_s16(reluish, reluish_multiplier);
        if (reluish_exponent > 0) {
            reluish = saturating_left_shift_s16(reluish, 1);
        } else if (reluish_exponent < 0) {
            reluish = rounding_divide_by_pot_s16(reluish, -reluish_exponent);
        }
        /* [-1, 1] to [0, 1]: relu6(x + 3) / 6 */
        reluish = (int16_t)(((int32_t)reluish + (1 << 15)) >> 1);
        const int16_t product = doubling_high_mul_s16(reluish, on_output_scale);
        int16_t y = rounding_divide_by_pot_s16(product, -p->output_exponent);
        y = (int16_t)(y + p->output_zero_point);
        output[i] = (int8_t)(y > 127 ? 127 : y < -128 ? -128 : y);
    }
}

void emu_hard_swish_f32(const emu_hard_swish_f32_params *p, const float *input, float *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const float x = input[i];
        float relu6 = x + 3.0f;
        relu6 = relu6 > 6.0f ? 6.0f : (relu6 < 0.0f ? 0.0f : relu6);
        output[i] = x * relu6 / 6.0f;
    }
}
