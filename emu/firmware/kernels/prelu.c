/* PRELU; see prelu.h. */
#include "prelu.h"

#include "elementwise_runs.h"
#include "emu_quant.h"

/* One element: the output before it is clamped to the output type. */
static inline int32_t prelu_value(const emu_prelu_s8_params *p, int32_t input, int32_t alpha)
{
    const int32_t x = p->input_offset + input;
    const int32_t scaled = x >= 0
        ? emu_multiply_by_quantized_multiplier(x, p->identity_multiplier, p->identity_shift)
        : emu_multiply_by_quantized_multiplier(x * (p->alpha_offset + alpha), p->alpha_multiplier, p->alpha_shift);
    return p->output_offset + scaled;
}

static void prelu_s8_run(const emu_prelu_s8_params *p, const int8_t *x, int32_t step_x, const int8_t *alpha,
                         int32_t step_alpha, int8_t *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        out[i] = (int8_t)emu_clamp_i32(prelu_value(p, x[i * step_x], alpha[i * step_alpha]), -128, 127);
    }
}

static void prelu_s16_run(const emu_prelu_s8_params *p, const int16_t *x, int32_t step_x, const int8_t *alpha,
                          int32_t step_alpha, int16_t *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        out[i] = (int16_t)emu_clamp_i32(prelu_value(p, x[i * step_x], alpha[i * step_alpha]), -32768, 32767);
    }
}

static void prelu_f32_run(const emu_prelu_f32_params *p, const float *x, int32_t step_x, const float *alpha,
                          int32_t step_alpha, float *out, int32_t n)
{
    (void)p;
    for (int32_t i = 0; i < n; i++) {
        const float v = x[i * step_x];
        out[i] = v >= 0.0f ? v : v * alpha[i * step_alpha];
    }
}

void emu_prelu_s8(const emu_prelu_s8_params *p, const int8_t *input, const int8_t *alpha, int8_t *output)
{
    FOR_EACH_RUN(p, p, input, alpha, output, prelu_s8_run);
}

void emu_prelu_s16(const emu_prelu_s8_params *p, const int16_t *input, const int8_t *alpha, int16_t *output)
{
    FOR_EACH_RUN(p, p, input, alpha, output, prelu_s16_run);
}

void emu_prelu_f32(const emu_prelu_f32_params *p, const float *input, const float *alpha, float *output)
{
    FOR_EACH_RUN(p, p, input, alpha, output, prelu_f32_run);
}
