/* SQUARED_DIFFERENCE with broadcasting; see squared_difference.h. */
#include "squared_difference.h"

#include "elementwise_runs.h"
#include "emu_quant.h"

/* One element before the clamp: each rescaled input is at most 2^14 (int8, shifted by 7) or
 * 2^15 (int16) in magnitude, so the square fits int32. */
static inline int32_t squared_difference_value(const emu_squared_difference_s8_params *p, int32_t a, int32_t b)
{
    const int32_t x = (p->input1_offset + a) * (1 << p->left_shift);
    const int32_t y = (p->input2_offset + b) * (1 << p->left_shift);
    const int32_t difference = emu_multiply_by_quantized_multiplier(x, p->input1_multiplier, p->input1_shift) -
                               emu_multiply_by_quantized_multiplier(y, p->input2_multiplier, p->input2_shift);
    return emu_multiply_by_quantized_multiplier(difference * difference, p->output_multiplier, p->output_shift) +
           p->output_offset;
}

static void squared_difference_s8_run(const emu_squared_difference_s8_params *p, const int8_t *a, int32_t step_a,
                                      const int8_t *b, int32_t step_b, int8_t *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        out[i] = (int8_t)emu_clamp_i32(squared_difference_value(p, a[i * step_a], b[i * step_b]), -128, 127);
    }
}

static void squared_difference_s16_run(const emu_squared_difference_s8_params *p, const int16_t *a, int32_t step_a,
                                       const int16_t *b, int32_t step_b, int16_t *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        out[i] = (int16_t)emu_clamp_i32(squared_difference_value(p, a[i * step_a], b[i * step_b]), -32768, 32767);
    }
}

static void squared_difference_f32_run(const emu_squared_difference_f32_params *p, const float *a, int32_t step_a,
                                       const float *b, int32_t step_b, float *out, int32_t n)
{
    (void)p;
    for (int32_t i = 0; i < n; i++) {
        const float difference = a[i * step_a] - b[i * step_b];
        out[i] = difference * difference;
    }
}

/* In uint32, where the difference and its square wrap, as TFLM's int32 arithmetic does on its targets. */
static void squared_difference_s32_run(const emu_squared_difference_f32_params *p, const int32_t *a,
                                       int32_t step_a, const int32_t *b, int32_t step_b, int32_t *out, int32_t n)
{
    (void)p;
    for (int32_t i = 0; i < n; i++) {
        const uint32_t difference = (uint32_t)a[i * step_a] - (uint32_t)b[i * step_b];
        out[i] = (int32_t)(difference * difference);
    }
}

void emu_squared_difference_s8(const emu_squared_difference_s8_params *p, const int8_t *input1,
                               const int8_t *input2, int8_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, squared_difference_s8_run);
}

void emu_squared_difference_s16(const emu_squared_difference_s8_params *p, const int16_t *input1,
                                const int16_t *input2, int16_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, squared_difference_s16_run);
}

void emu_squared_difference_f32(const emu_squared_difference_f32_params *p, const float *input1,
                                const float *input2, float *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, squared_difference_f32_run);
}

void emu_squared_difference_s32(const emu_squared_difference_f32_params *p, const int32_t *input1,
                                const int32_t *input2, int32_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, squared_difference_s32_run);
}
