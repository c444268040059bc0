/* SQUARED_DIFFERENCE with broadcasting, int8, int16, int32 and float32: (a - b)^2.
 *
 * int8: both offset inputs are shifted left for headroom and rescaled to a common scale, as
 * ADD's are (elementwise.h); their difference is squared and rescaled to the output. The
 * broadcast is described as ADD's. int16 takes the same parameters (no left shift); int32 (the
 * stored values, no quantization) takes float32's, which are the broadcast's alone. */
#ifndef EMU_SQUARED_DIFFERENCE_H
#define EMU_SQUARED_DIFFERENCE_H

#include <stdint.h>

#include "elementwise.h"

typedef struct {
    EMU_BROADCAST_FIELDS;
    int32_t input1_offset, input2_offset; /* minus the zero points */
    int32_t left_shift;
    int32_t input1_multiplier, input1_shift;
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t output_offset;
} emu_squared_difference_s8_params;

typedef struct {
    EMU_BROADCAST_FIELDS;
} emu_squared_difference_f32_params;

void emu_squared_difference_s8(const emu_squared_difference_s8_params *p, const int8_t *input1,
                               const int8_t *input2, int8_t *output);
void emu_squared_difference_s16(const emu_squared_difference_s8_params *p, const int16_t *input1,
                                const int16_t *input2, int16_t *output);
void emu_squared_difference_f32(const emu_squared_difference_f32_params *p, const float *input1,
                                const float *input2, float *output);
void emu_squared_difference_s32(const emu_squared_difference_f32_params *p, const int32_t *input1,
                                const int32_t *input2, int32_t *output);

#endif
