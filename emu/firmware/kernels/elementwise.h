/* ADD, SUB and MUL with broadcasting, int8, int16, int32 and float32.
 *
 * Broadcasting is described at compile time by emu/compile/ops/elementwise.py: the output
 * shape with adjacent dimensions merged where both inputs allow it, and for each input
 * the element stride along every output dimension (0 where that input is broadcast).
 * Same-shape operands merge into a single dimension and run as one flat loop.
 */
#ifndef EMU_ELEMENTWISE_H
#define EMU_ELEMENTWISE_H

#include <stdint.h>

#define EMU_BROADCAST_MAX_RANK 6

/* The broadcast description every params struct below starts with. */
#define EMU_BROADCAST_FIELDS                  \
    int32_t rank;                             \
    int32_t shape[EMU_BROADCAST_MAX_RANK];    \
    int32_t stride1[EMU_BROADCAST_MAX_RANK];  \
    int32_t stride2[EMU_BROADCAST_MAX_RANK]

/* int8 ADD: both inputs are shifted left by left_shift for headroom, rescaled to a common
 * scale (twice the larger input scale), summed, and rescaled to the output. int8 SUB takes
 * the same parameters and subtracts the second rescaled input instead; so do int16 ADD and
 * SUB (emu_add_s16, emu_sub_s16), with a left shift of 15. */
typedef struct {
    EMU_BROADCAST_FIELDS;
    int32_t input1_offset, input2_offset; /* minus the zero points */
    int32_t left_shift;
    int32_t input1_multiplier, input1_shift;
    int32_t input2_multiplier, input2_shift;
    int32_t output_multiplier, output_shift;
    int32_t output_offset;
    int32_t act_min, act_max;
} emu_add_s8_params;

/* int8 MUL: the product of the offset inputs rescaled by in1_scale * in2_scale / out_scale;
 * int16 MUL (emu_mul_s16) too. */
typedef struct {
    EMU_BROADCAST_FIELDS;
    int32_t input1_offset, input2_offset;
    int32_t output_multiplier, output_shift;
    int32_t output_offset;
    int32_t act_min, act_max;
} emu_mul_s8_params;

typedef struct {
    EMU_BROADCAST_FIELDS;
    float act_min, act_max;
} emu_binary_f32_params;

/* int32 ADD, SUB and MUL: TFLM computes on the stored integers (no quantization) and clamps to
 * act_min..act_max: the fused activation's range for SUB and MUL, the whole int32 range for ADD
 * whatever the activation says. A result past the int32 range wraps, as on TFLM's targets. */
typedef struct {
    EMU_BROADCAST_FIELDS;
    int32_t act_min, act_max;
} emu_binary_s32_params;

void emu_add_s8(const emu_add_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void emu_sub_s8(const emu_add_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void emu_add_s16(const emu_add_s8_params *p, const int16_t *input1, const int16_t *input2, int16_t *output);
void emu_sub_s16(const emu_add_s8_params *p, const int16_t *input1, const int16_t *input2, int16_t *output);
void emu_mul_s8(const emu_mul_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void emu_mul_s16(const emu_mul_s8_params *p, const int16_t *input1, const int16_t *input2, int16_t *output);
void emu_add_f32(const emu_binary_f32_params *p, const float *input1, const float *input2, float *output);
void emu_sub_f32(const emu_binary_f32_params *p, const float *input1, const float *input2, float *output);
void emu_mul_f32(const emu_binary_f32_params *p, const float *input1, const float *input2, float *output);
void emu_add_s32(const emu_binary_s32_params *p, const int32_t *input1, const int32_t *input2, int32_t *output);
void emu_sub_s32(const emu_binary_s32_params *p, const int32_t *input1, const int32_t *input2, int32_t *output);
void emu_mul_s32(const emu_binary_s32_params *p, const int32_t *input1, const int32_t *input2, int32_t *output);

#endif
