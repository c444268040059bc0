/* LEAKY_RELU; see leaky_relu.h. */
#include "leaky_relu.h"

#include "emu_quant.h"

/* One element: the output before it is clamped to the output type. */
static inline int32_t leaky_relu_value(const emu_leaky_relu_s8_params *p, int32_t negative_alpha,
                                       int32_t alpha_multiplier, int32_t input)
{
    const int32_t x = input - p->input_zero_point;
    if (x >= 0) {
        return p->output_zero_point + emu_multiply_by_quantized_multiplier(x, p->identity_multiplier, p->identity_shift);
    }
    const int32_t scaled = emu_multiply_by_quantized_multiplier(x, alpha_multiplier, p->alpha_shift);
    return p->output_zero_point + (negative_alpha ? -scaled : scaled);
}

void emu_leaky_relu_s8(const emu_leaky_relu_s8_params *p, const int8_t *input, int8_t *output)
{
    const int negative_alpha = p->alpha_multiplier < 0;
    const int32_t alpha_multiplier = negative_alpha ? -p->alpha_multiplier : p->alpha_multiplier;
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = (int8_t)emu_clamp_i32(leaky_relu_value(p, negative_alpha, alpha_multiplier, input[i]), -128, 127);
    }
}

void emu_leaky_relu_s16(const emu_leaky_relu_s8_params *p, const int16_t *input, int16_t *output)
{
    const int negative_alpha = p->alpha_multiplier < 0;
    const int32_t alpha_multiplier = negative_alpha ? -p->alpha_multiplier : p->alpha_multiplier;
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = (int16_t)emu_clamp_i32(leaky_relu_value(p, negative_alpha, alpha_multiplier, input[i]), -32768,
                                           32767);
    }
}

void emu_leaky_relu_f32(const emu_leaky_relu_f32_params *p, const float *input, float *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const float x = input[i];
        output[i] = x > 0.0f ? x : x * p->alpha;
    }
}
