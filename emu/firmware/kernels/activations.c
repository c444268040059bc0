/* Elementwise activations; see activations.h. */
#include "activations.h"

#include <math.h>

#include "emu_quant.h"

/* Fixed-point format of the rescaled LOGISTIC / TANH input: 4 integer bits cover
 * [-16, 16), beyond which both functions are saturated at int8 precision. */
#define SIGMOID_INPUT_INTEGER_BITS 4

void emu_relu_s8(const emu_relu_s8_params *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t x = (int32_t)input[i] - p->input_zero_point;
        const int32_t y = p->output_zero_point + emu_multiply_by_quantized_multiplier(x, p->multiplier, p->shift);
        output[i] = (int8_t)emu_clamp_i32(y, p->act_min, p->act_max);
    }
}

void emu_relu6_s8(const emu_relu6_s8_params *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = (int8_t)emu_clamp_i32(input[i], p->lo, p->hi);
    }
}

void emu_relu_f32(const emu_relu_f32_params *p, const float *input, float *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = emu_clamp_f32(input[i], p->lo, p->hi);
    }
}

/* The int8 output has scale 1/256 and zero point -128: Q0.31 -> Q0.8, shifted. */
void emu_logistic_s8(const emu_sigmoid_s8_params *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t x = (int32_t)input[i] - p->input_zero_point;
        if (x <= -p->input_range_radius) {
            output[i] = INT8_MIN;
        } else if (x >= p->input_range_radius) {
            output[i] = INT8_MAX;
        } else {
            const int32_t x_q4 = emu_multiply_by_quantized_multiplier(x, p->input_multiplier, p->input_left_shift);
            const int32_t y_q0 = emu_logistic_fixed(x_q4, SIGMOID_INPUT_INTEGER_BITS);
            const int32_t y = emu_rounding_divide_by_pot(y_q0, 31 - 8) + INT8_MIN;
            output[i] = (int8_t)emu_clamp_i32(y, INT8_MIN, INT8_MAX);
        }
    }
}

/* The int8 output has scale 1/128 and zero point 0: Q0.31 -> Q0.7. */
void emu_tanh_s8(const emu_sigmoid_s8_params *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t x = (int32_t)input[i] - p->input_zero_point;
        if (x <= -p->input_range_radius) {
            output[i] = INT8_MIN;
        } else if (x >= p->input_range_radius) {
            output[i] = INT8_MAX;
        } else {
            const int32_t x_q4 = emu_multiply_by_quantized_multiplier(x, p->input_multiplier, p->input_left_shift);
            const int32_t y_q0 = emu_tanh_fixed(x_q4, SIGMOID_INPUT_INTEGER_BITS);
            const int32_t y = emu_rounding_divide_by_pot(y_q0, 31 - 7);
            output[i] = (int8_t)emu_clamp_i32(y, INT8_MIN, INT8_MAX);
        }
    }
}

/* Past the upper cutoff 1/(1+exp(-x)) is 1.0f; below the lower one it equals exp(x) to
 * float precision, and exp(x) alone keeps the relative precision of tiny results. */
void emu_logistic_f32(const emu_unary_f32_params *p, const float *input, float *output)
{
    const float cutoff_upper = 16.619047164916992188f;
    const float cutoff_lower = -9.0f;
    for (int32_t i = 0; i < p->size; i++) {
        const float x = input[i];
        if (x > cutoff_upper) {
            output[i] = 1.0f;
        } else if (x < cutoff_lower) {
            output[i] = expf(x);
        } else {
            output[i] = 1.0f / (1.0f + expf(-x));
        }
    }
}

void emu_tanh_f32(const emu_unary_f32_params *p, const float *input, float *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = tanhf(input[i]);
    }
}
