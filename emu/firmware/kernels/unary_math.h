/* Elementwise math: ABS, NEG, SQRT, RSQRT, EXP, LOG, SIN, COS, SQUARE, FLOOR, CEIL and ROUND
 * on float32, ABS and RSQRT on int8 and int16 (the types TFLM's kernels take).
 *
 * float32 applies the C library's function to each element, as TFLM does; ROUND takes halves
 * to the even neighbour (tf.round's rounding, which TFLM's kernel computes from floor()). The integer
 * forms' multipliers and shifts come from emu/compile/ops/unary_math.py.
 */
#ifndef EMU_UNARY_MATH_H
#define EMU_UNARY_MATH_H

#include <stdint.h>

typedef struct {
    int32_t size;
} emu_unary_math_f32_params;

/* ABS on int8 and int16: |x - input zero point|, rescaled by input_scale / output_scale
 * only when the two scales differ, plus the output zero point, clamped. */
typedef struct {
    int32_t size;
    int32_t input_offset, output_offset;
    int32_t multiplier, shift;
    int32_t rescale; /* 0 when the scales are equal */
} emu_abs_params;

/* RSQRT on int8 and int16: 1 / sqrt(x - input zero point) in fixed point, times
 * 1 / (sqrt(input_scale) * output_scale), plus the output zero point, clamped. An input at
 * the zero point gives the largest output (TFLM's choice); one below it, which TFLM refuses
 * at run time, gives it too. */
typedef struct {
    int32_t size;
    int32_t input_offset, output_offset;
    int32_t multiplier, shift;
} emu_rsqrt_params;

void emu_abs_f32(const emu_unary_math_f32_params *p, const float *input, float *output);
void emu_neg_f32(const emu_unary_math_f32_params *p, const float *input, float *output);
void emu_sqrt_f32(const emu_unary_math_f32_params *p, const float *input, float *output);
void emu_rsqrt_f32(const emu_unary_math_f32_params *p, const float *input, float *output);
void emu_exp_f32(const emu_unary_math_f32_params *p, const float *input, float *output);
void emu_log_f32(const emu_unary_math_f32_params *p, const float *input, float *output);
void emu_sin_f32(const emu_unary_math_f32_params *p, const float *input, float *output);
void emu_cos_f32(const emu_unary_math_f32_params *p, const float *input, float *output);
void emu_square_f32(const emu_unary_math_f32_params *p, const float *input, float *output);
void emu_floor_f32(const emu_unary_math_f32_params *p, const float *input, float *output);
void emu_ceil_f32(const emu_unary_math_f32_params *p, const float *input, float *output);
void emu_round_half_even_f32(const emu_unary_math_f32_params *p, const float *input, float *output);

void emu_abs_s8(const emu_abs_params *p, const int8_t *input, int8_t *output);
void emu_abs_s16(const emu_abs_params *p, const int16_t *input, int16_t *output);
/* int16 ABS of an unquantized tensor: the plain absolute value (-32768 stays -32768). */
void emu_abs_s16_plain(const emu_unary_math_f32_params *p, const int16_t *input, int16_t *output);
void emu_rsqrt_s8(const emu_rsqrt_params *p, const int8_t *input, int8_t *output);
void emu_rsqrt_s16(const emu_rsqrt_params *p, const int16_t *input, int16_t *output);

#endif
