/* HARD_SWISH, int8 and float32: x * relu6(x + 3) / 6.
 *
 * int8 works in 16-bit fixed point; the int16 multipliers and their exponents come from
 * emu/compile/ops/hard_swish.py. */
#ifndef EMU_HARD_SWISH_H
#define EMU_HARD_SWISH_H

#include <stdint.h>

typedef struct {
    int32_t size;
    int32_t input_zero_point;
    int32_t output_zero_point;
    int32_t output_multiplier, output_exponent;   /* high-resolution input -> output; exponent <= 0 */
    int32_t reluish_multiplier, reluish_exponent; /* high-resolution input -> [-3, 3] as [-2^15, 2^15] */
} emu_hard_swish_s8_params;

typedef struct {
    int32_t size;
} emu_hard_swish_f32_params;

void emu_hard_swish_s8(const emu_hard_swish_s8_params *p, const int8_t *input, int8_t *output);
void emu_hard_swish_f32(const emu_hard_swish_f32_params *p, const float *input, float *output);

#endif
