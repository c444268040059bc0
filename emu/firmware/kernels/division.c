/* DIV, FLOOR_DIV and FLOOR_MOD with broadcasting; see division.h. */
#include "division.h"

#include <math.h>

#include "elementwise_runs.h"
#include "emu_quant.h"

/* Redundant sign bits of x: how far it can be shifted left without overflow (31 for 0 and -1). */
static int leading_sign_bits(int32_t x)
{
    const uint32_t folded = (uint32_t)(x ^ (x >> 31));
    return folded ? emu_clz32(folded) - 1 : 31;
}

/* The quotient's last rounding shift as the TFLM interpreter computes it, exponents above 31
 * included (a tiny dividend over a large divisor when the scales' ratio is small): TFLM's
 * reference shifts the int32 by the whole exponent, which C leaves undefined, with a mask of
 * all ones; the x86 machines its interpreter runs on shift by the exponent modulo 32, and its
 * results are those, which emu reproduces on every core. */
static int32_t rounding_shift_as_tflm(int32_t x, int exponent)
{
    if (exponent <= 31) {
        return emu_rounding_divide_by_pot(x, exponent);
    }
    const int32_t threshold = -1 + (x < 0 ? 1 : 0);
    return (x >> (exponent & 31)) + (x > threshold ? 1 : 0);
}

static int32_t divide_s8(const emu_div_s8_params *p, int32_t a, int32_t b)
{
    int32_t dividend = p->input1_offset + a;
    int32_t divisor = p->input2_offset + b;
    if (divisor < 0) {
        dividend = -dividend;
        divisor = -divisor;
    }
    /* divisor = 2^(31 - lead) * (1 + f), f in [0, 1) in Q0. A divisor of 0 (an input at its
     * zero point) gives f = -1 and a reciprocal shift of -1, as in TFLM. */
    const int lead = divisor ? emu_clz32((uint32_t)divisor) : 32;
    const int reciprocal_shift = 31 - lead;
    const uint32_t normalized = lead < 32 ? (uint32_t)divisor << lead : 0u;
    const int32_t reciprocal = emu_one_over_one_plus_x((int32_t)(normalized - (1u << 31)));
    const int headroom = leading_sign_bits(dividend);
    const int32_t quotient =
        emu_sat_rounding_doubling_high_mul((int32_t)((uint32_t)dividend << headroom), reciprocal);
    const int exponent = headroom + reciprocal_shift - p->output_shift;
    const int32_t scaled = emu_sat_rounding_doubling_high_mul(quotient, p->output_multiplier);
    const int32_t result = rounding_shift_as_tflm(scaled, exponent) + p->output_offset;
    return emu_clamp_i32(result, p->act_min, p->act_max);
}

static void div_s8_run(const emu_div_s8_params *p, const int8_t *a, int32_t step_a, const int8_t *b,
                       int32_t step_b, int8_t *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        out[i] = (int8_t)divide_s8(p, a[i * step_a], b[i * step_b]);
    }
}

static void div_f32_run(const emu_binary_f32_params *p, const float *a, int32_t step_a, const float *b,
                        int32_t step_b, float *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        out[i] = emu_clamp_f32(a[i * step_a] / b[i * step_b], p->act_min, p->act_max);
    }
}

static void div_s32_run(const emu_div_s32_params *p, const int32_t *a, int32_t step_a, const int32_t *b,
                        int32_t step_b, int32_t *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        out[i] = emu_clamp_i32(a[i * step_a] / b[i * step_b], p->act_min, p->act_max);
    }
}

static void floor_div_f32_run(const emu_floor_div_params *p, const float *a, int32_t step_a, const float *b,
                              int32_t step_b, float *out, int32_t n)
{
    (void)p;
    for (int32_t i = 0; i < n; i++) {
        out[i] = (float)floor((double)a[i * step_a] / (double)b[i * step_b]);
    }
}

static void floor_mod_f32_run(const emu_floor_div_params *p, const float *a, int32_t step_a, const float *b,
                              int32_t step_b, float *out, int32_t n)
{
    (void)p;
    for (int32_t i = 0; i < n; i++) {
        const float divisor = b[i * step_b];
        const float truncated = fmodf(a[i * step_a], divisor);
        const int signs_differ = (divisor < 0.0f) != (truncated < 0.0f);
        out[i] = truncated != 0.0f && signs_differ ? truncated + divisor : truncated;
    }
}

void emu_div_s8(const emu_div_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, div_s8_run);
}

void emu_div_f32(const emu_binary_f32_params *p, const float *input1, const float *input2, float *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, div_f32_run);
}

void emu_div_s32(const emu_div_s32_params *p, const int32_t *input1, const int32_t *input2, int32_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, div_s32_run);
}

void emu_floor_div_f32(const emu_floor_div_params *p, const float *input1, const float *input2, float *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, floor_div_f32_run);
}

void emu_floor_mod_f32(const emu_floor_div_params *p, const float *input1, const float *input2, float *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, floor_mod_f32_run);
}
