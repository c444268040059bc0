/* LEAKY_RELU, int8, int16 and float32: x where x > 0, alpha * x elsewhere.
 *
 * The int8 and int16 multipliers and shifts come from emu/compile/ops/leaky_relu.py. */
#ifndef EMU_LEAKY_RELU_H
#define EMU_LEAKY_RELU_H

#include <stdint.h>

/* int8 and int16: the offset input is rescaled by the identity multiplier where it is >= 0 and by the
 * alpha multiplier elsewhere; a negative alpha multiplier stands for its magnitude, the
 * rescaled value negated. */
typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t output_zero_point;
    int32_t identity_multiplier, identity_shift;
    int32_t alpha_multiplier, alpha_shift;
} emu_leaky_relu_s8_params;

typedef struct {
    int32_t size;
    float alpha;
} emu_leaky_relu_f32_params;

void emu_leaky_relu_s8(const emu_leaky_relu_s8_params *p, const int8_t *input, int8_t *output);
void emu_leaky_relu_s16(const emu_leaky_relu_s8_params *p, const int16_t *input, int16_t *output);
void emu_leaky_relu_f32(const emu_leaky_relu_f32_params *p, const float *input, float *output);

#endif
