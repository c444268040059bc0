/* LEAKY_RELU; see leaky_relu.h. */
#include "leaky_relu.h"

#include "emu_quant.h"

void emu_leaky_relu_s8(const emu_leaky_relu_s8_params *p, const int8_t *input, int8_t *output)
{
    const int negative_alpha = p->alpha_multiplier < 0;
    const int32_t alpha_multiplier = negative_alpha ? -p->alpha_multiplier : p->alpha_multiplier;
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t x = (int32_t)input[i] - p->input_zero_point;
        int32_t y = p->output_zero_point;
        if (x >= 0) {
            y += emu_multiply_by_quantized_multiplier(x, p->identity_multiplier, p->identity_shift);
        } else {
            const int32_t scaled = emu_multiply_by_quantized_multiplier(x, alpha_multiplier, p->alpha_shift);
            y += negative_alpha ? -scaled : scaled;
        }
        output[i] = (int8_t)emu_clamp_i32(y, -128, 127);
    }
}

void emu_leaky_relu_f32(const emu_leaky_relu_f32_params *p, const float *input, float *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const float x = input[i];
        output[i] = x > 0.0f ? x : x * p->alpha;
    }
}
