/* Elementwise math; see unary_math.h. */
#include "unary_math.h"

#include <math.h>

#include "emu_quant.h"

/* x rounded to the nearest whole number, a half to the even one. Measured from floor(x), as
 * TFLM does, so that the signs of zeros agree: -0.25 gives +0.0 (floor -1, plus 1). */
static float round_half_to_even(float x)
{
    const float below = floorf(x);
    const float fraction = x - below;
    if (fraction < 0.5f || (fraction == 0.5f && fmodf(below, 2.0f) == 0.0f)) {
        return below;
    }
    return below + 1.0f;
}

#define EMU_UNARY_F32(name, expression)                                                  \
    void name(const emu_unary_math_f32_params *p, const float *input, float *output)       \
    {                                                                                      \
        for (int32_t i = 0; i < p->size; i++) {                                            \
            const float x = input[i];                                                      \
            output[i] = (expression);                                                      \
        }                                                                                  \
    }

EMU_UNARY_F32(emu_abs_f32, fabsf(x))
EMU_UNARY_F32(emu_neg_f32, -x)
EMU_UNARY_F32(emu_sqrt_f32, sqrtf(x))
EMU_UNARY_F32(emu_rsqrt_f32, 1.0f / sqrtf(x))
EMU_UNARY_F32(emu_exp_f32, expf(x))
EMU_UNARY_F32(emu_log_f32, logf(x))
EMU_UNARY_F32(emu_sin_f32, sinf(x))
EMU_UNARY_F32(emu_cos_f32, cosf(x))
EMU_UNARY_F32(emu_square_f32, x * x)
EMU_UNARY_F32(emu_floor_f32, floorf(x))
EMU_UNARY_F32(emu_ceil_f32, ceilf(x))
EMU_UNARY_F32(emu_round_half_even_f32, round_half_to_even(x))

static int32_t abs_quantized(const emu_abs_params *p, int32_t x, int32_t lo, int32_t hi)
{
    int32_t value = x - p->input_offset;
    value = value < 0 ? -value : value;
    if (p->rescale) {
        value = emu_multiply_by_quantized_multiplier(value, p->multiplier, p->shift);
    }
    return emu_clamp_i32(value + p->output_offset, lo, hi);
}

void emu_abs_s8(const emu_abs_params *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = (int8_t)abs_quantized(p, input[i], INT8_MIN, INT8_MAX);
    }
}

void emu_abs_s16(const emu_abs_params *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = (int16_t)abs_quantized(p, input[i], INT16_MIN, INT16_MAX);
    }
}

void emu_abs_s16_plain(const emu_unary_math_f32_params *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t x = input[i];
        output[i] = (int16_t)(uint16_t)(uint32_t)(x < 0 ? -x : x);
    }
}

/* The fixed-point 1/sqrt is applied to 1 with 20 bits of headroom, then rescaled with the
 * 20 bits taken back, as TFLM's kernel does. */
#define RSQRT_HEADROOM 20

static int32_t rsqrt_quantized(const emu_rsqrt_params *p, int32_t x, int32_t lo, int32_t hi)
{
    const int32_t value = x - p->input_offset;
    if (value <= 0) {
        return hi;
    }
    int32_t inv_multiplier;
    int inv_shift;
    emu_inv_sqrt_multiplier(value, &inv_multiplier, &inv_shift);
    const int32_t data = emu_multiply_by_quantized_multiplier(1, inv_multiplier, inv_shift + RSQRT_HEADROOM);
    const int32_t y = emu_multiply_by_quantized_multiplier(data, p->multiplier, p->shift - RSQRT_HEADROOM)
                      + p->output_offset;
    return emu_clamp_i32(y, lo, hi);
}

void emu_rsqrt_s8(const emu_rsqrt_params *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = (int8_t)rsqrt_quantized(p, input[i], INT8_MIN, INT8_MAX);
    }
}

void emu_rsqrt_s16(const emu_rsqrt_params *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = (int16_t)rsqrt_quantized(p, input[i], INT16_MIN, INT16_MAX);
    }
}
