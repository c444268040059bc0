/* Elementwise activations: RELU, RELU6, LOGISTIC and TANH, int8, int16 and float32.
 *
 * The multipliers, shifts, clamp bounds and input radii are computed at compile time by
 * emu/compile/ops/activations.py, from the tensors' scales and zero points.
 */
#ifndef EMU_ACTIVATIONS_H
#define EMU_ACTIVATIONS_H

#include <stdint.h>

/* RELU on int8 (and int16): rescale to the output's quantization, then clamp at the output's zero. */
typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t output_zero_point;
    int32_t multiplier;
    int32_t shift;
    int32_t act_min, act_max;
} emu_relu_s8_params;

/* A clamp that keeps the input's quantization (RELU6 on int8 and int16). */
typedef struct {
    int32_t size;
    int32_t lo, hi;
} emu_relu6_s8_params;

/* RELU and RELU6 on float32: a clamp to [lo, hi]. */
typedef struct {
    int32_t size;
    float lo, hi;
} emu_relu_f32_params;

/* LOGISTIC and TANH on int8: the input is rescaled to Q4.27 fixed point; inputs at or
 * beyond the radius saturate the output. */
typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t input_range_radius;
    int32_t input_multiplier;
    int32_t input_left_shift;
} emu_sigmoid_s8_params;

/* LOGISTIC and TANH on int16 (zero points 0, output scale 2^-15): the input times
 * input_multiplier, rounded and shifted right by input_left_shift, reads a table of
 * sigmoid(i / 24) in Q0.16 with linear interpolation (tanh(x) = 2 sigmoid(2x) - 1). The table
 * and the rescale come from emu/compile/ops/activations.py. */
typedef struct {
    int32_t size;
    int32_t input_multiplier;
    int32_t input_left_shift;
    const uint16_t *sigmoid_table; /* 256 entries */
} emu_sigmoid_s16_params;

typedef struct {
    int32_t size;
} emu_unary_f32_params;

void emu_relu_s8(const emu_relu_s8_params *p, const int8_t *input, int8_t *output);
void emu_relu6_s8(const emu_relu6_s8_params *p, const int8_t *input, int8_t *output);
void emu_relu_s16(const emu_relu_s8_params *p, const int16_t *input, int16_t *output);
void emu_relu6_s16(const emu_relu6_s8_params *p, const int16_t *input, int16_t *output);
void emu_relu_f32(const emu_relu_f32_params *p, const float *input, float *output);
void emu_logistic_s8(const emu_sigmoid_s8_params *p, const int8_t *input, int8_t *output);
void emu_tanh_s8(const emu_sigmoid_s8_params *p, const int8_t *input, int8_t *output);
void emu_logistic_s16(const emu_sigmoid_s16_params *p, const int16_t *input, int16_t *output);
void emu_tanh_s16(const emu_sigmoid_s16_params *p, const int16_t *input, int16_t *output);
void emu_logistic_f32(const emu_unary_f32_params *p, const float *input, float *output);
void emu_tanh_f32(const emu_unary_f32_params *p, const float *input, float *output);

#endif
