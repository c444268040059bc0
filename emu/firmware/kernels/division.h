/* DIV with broadcasting, float32, int8 and int32; FLOOR_DIV and FLOOR_MOD, float32 (the types
 * TFLM's kernels take). The broadcast is described as ADD's (elementwise.h).
 *
 * int8 DIV is TFLM's quantized division: the offset divisor, made positive (the dividend takes
 * its sign), is written 2^k * (1 + f) and its reciprocal 1 / (1 + f) taken in fixed point; the
 * offset dividend, shifted up by its headroom, is multiplied by it, then rescaled by
 * input1_scale / (input2_scale * output_scale) with the shifts taken back, offset and clamped.
 * float32 and int32 clamp the quotient to the fused activation's range; int32 truncates
 * toward zero as C does. FLOOR_DIV is floor() of the quotient taken in double; FLOOR_MOD is
 * fmodf() moved onto the divisor's sign when the two signs differ.
 */
#ifndef EMU_DIVISION_H
#define EMU_DIVISION_H

#include <stdint.h>

#include "elementwise.h"

/* int8 DIV's parameters are int8 MUL's: offsets, one multiplier and shift, activation. */
typedef emu_mul_s8_params emu_div_s8_params;

typedef struct {
    EMU_BROADCAST_FIELDS;
    int32_t act_min, act_max;
} emu_div_s32_params;

typedef struct {
    EMU_BROADCAST_FIELDS;
} emu_floor_div_params;

void emu_div_s8(const emu_div_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void emu_div_f32(const emu_binary_f32_params *p, const float *input1, const float *input2, float *output);
void emu_div_s32(const emu_div_s32_params *p, const int32_t *input1, const int32_t *input2, int32_t *output);
void emu_floor_div_f32(const emu_floor_div_params *p, const float *input1, const float *input2, float *output);
void emu_floor_mod_f32(const emu_floor_div_params *p, const float *input1, const float *input2, float *output);

#endif
