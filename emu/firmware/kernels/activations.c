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

/* int16 RELU and RELU6: int8's arithmetic on int16 values (TFLM's int16 RELU takes zero points 0). */
void emu_relu_s16(const emu_relu_s8_params *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t x = (int32_t)input[i] - p->input_zero_point;
        const int32_t y = p->output_zero_point + emu_multiply_by_quantized_multiplier(x, p->multiplier, p->shift);
        output[i] = (int16_t)emu_clamp_i32(y, p->act_min, p->act_max);
    }
}

void emu_relu6_s16(const emu_relu6_s8_params *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = (int16_t)emu_clamp_i32(input[i], p->lo, p->hi);
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

/* The int16 input on the table's scale: 2^9 steps (LOGISTIC) or 2^8 (TANH, at twice the
 * argument) per entry, each entry 1/24. */
static inline int32_t sigmoid_s16_input(const emu_sigmoid_s16_params *p, int16_t x)
{
    const int32_t round = p->input_left_shift > 0 ? 1 << (p->input_left_shift - 1) : 0;
    return (x * p->input_multiplier + round) >> p->input_left_shift;
}

void emu_logistic_s16(const emu_sigmoid_s16_params *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t x = sigmoid_s16_input(p, input[i]);
        const uint32_t magnitude = (uint32_t)(x < 0 ? -x : x);
        const uint32_t entry = magnitude >> 9;
        uint32_t y; /* sigmoid(|x|) in Q0.25 */
        if (entry >= 255) {
            y = 0x7FFFu << 10;
        } else {
            const uint32_t a = p->sigmoid_table[entry], b = p->sigmoid_table[entry + 1];
            y = (a << 9) + (magnitude & 0x1ff) * (b - a);
        }
        /* sigmoid(-x) = 1 - sigmoid(x); round to Q0.15 */
        y = x >= 0 ? y + (1u << 9) : (1u << 25) - y + (1u << 9) - 1u;
        output[i] = (int16_t)(y >> 10);
    }
}

void emu_tanh_s16(const emu_sigmoid_s16_params *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const int32_t x = sigmoid_s16_input(p, input[i]);
        const uint32_t magnitude = (uint32_t)(x < 0 ? -x : x);
        const uint32_t entry = magnitude >> 8;
        int32_t y; /* sigmoid(2|x|) in Q0.24 */
        if (entry >= 255) {
            y = 0xFFFF << 8;
        } else {
            const uint32_t a = p->sigmoid_table[entry], b = p->sigmoid_table[entry + 1];
            y = (int32_t)((a << 8) + (magnitude & 0xff) * (b - a));
        }
        /* 2 sigmoid - 1, odd in x; round to Q0.15 */
        y = x >= 0 ? y - (1 << 23) + (1 << 7) : -y + (1 << 23) + (1 << 7) - 1;
        output[i] = (int16_t)(y >> 8);
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
