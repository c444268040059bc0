/* PRELU, float32, int8 and int16 (int8 alpha): x where x >= 0, alpha * x elsewhere, alpha
 * broadcast over the input as ADD's second input is (elementwise.h's description: the input is
 * input 1, alpha input 2).
 *
 * The int8 and int16 multipliers and shifts come from emu/compile/ops/prelu.py. */
#ifndef EMU_PRELU_H
#define EMU_PRELU_H

#include <stdint.h>

#include "elementwise.h"

/* The offset input is rescaled by the identity multiplier where it is >= 0; elsewhere its
 * product with the offset alpha is rescaled by the alpha multiplier. */
typedef struct {
    EMU_BROADCAST_FIELDS;
    int32_t input_offset, alpha_offset, output_offset; /* minus the input's and alpha's zero points, the output's */
    int32_t identity_multiplier, identity_shift;
    int32_t alpha_multiplier, alpha_shift;
} emu_prelu_s8_params;

typedef struct {
    EMU_BROADCAST_FIELDS;
} emu_prelu_f32_params;

void emu_prelu_s8(const emu_prelu_s8_params *p, const int8_t *input, const int8_t *alpha, int8_t *output);
void emu_prelu_s16(const emu_prelu_s8_params *p, const int16_t *input, const int8_t *alpha, int16_t *output);
void emu_prelu_f32(const emu_prelu_f32_params *p, const float *input, const float *alpha, float *output);

#endif
