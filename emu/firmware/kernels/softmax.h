/* SOFTMAX over the last dimension, int8, int16 and float32; LOG_SOFTMAX, int8 and float32.
 *
 * int8: differences from the row maximum are rescaled by beta * input scale into Q5.26
 * fixed point, exponentiated, summed in Q12.19, and divided through a fixed-point
 * reciprocal. The output quantization is fixed: int8 with scale 1/256 and zero point -128,
 * or int16 with scale 1/65536 and zero point -32768 (emu_softmax_s8_s16). The multiplier,
 * shift and cut-off come from emu/compile/ops/softmax.py.
 */
#ifndef EMU_SOFTMAX_H
#define EMU_SOFTMAX_H

#include <stdint.h>

typedef struct {
    int32_t rows, depth;
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t diff_min; /* differences below this contribute exp() = 0 */
} emu_softmax_s8_params;

/* int16 (TFLM's 16-bit softmax): differences from the row maximum are rescaled so that
 * [-65535, 0] stands for [-10, 0], exponentiated through a 513-entry table with linear
 * interpolation, summed, and divided through a table of 1 / (1 + x). The output has scale
 * 1/32768 and zero point 0. Both tables are built at compile time as TFLM builds them at
 * Prepare (emu/compile/quant.py, lut_int16). */
typedef struct {
    int32_t rows, depth;
    int32_t input_multiplier;
    int32_t input_shift;
    const int16_t *exp_lut;
    const int16_t *one_over_one_plus_x_lut;
} emu_softmax_s16_params;

typedef struct {
    int32_t rows, depth;
    float beta;
} emu_softmax_f32_params;

/* int8 LOG_SOFTMAX: the sum of exponentials as int8 SOFTMAX takes it (beta 1), its fixed-point
 * log in Q5.26, and each output the difference (x - max) - log(sum) in steps of 16/256 from
 * 127. Differences at or below a cut-off (the log mapped back onto input steps by the
 * multiplier's inverse, reverse_scaling_divisor * 2^reverse_scaling_shift) give -128. */
typedef struct {
    int32_t rows, depth;
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t reverse_scaling_divisor;
    int32_t reverse_scaling_shift; /* not positive */
    int32_t diff_min;
} emu_log_softmax_s8_params;

/* float32 LOG_SOFTMAX: (x - max) - log(sum of exp(x - max)), by row. */
typedef struct {
    int32_t rows, depth;
} emu_log_softmax_f32_params;

void emu_softmax_s8(const emu_softmax_s8_params *p, const int8_t *input, int8_t *output);
void emu_softmax_s8_s16(const emu_softmax_s8_params *p, const int8_t *input, int16_t *output);
void emu_softmax_s16(const emu_softmax_s16_params *p, const int16_t *input, int16_t *output);
void emu_softmax_f32(const emu_softmax_f32_params *p, const float *input, float *output);
void emu_log_softmax_s8(const emu_log_softmax_s8_params *p, const int8_t *input, int8_t *output);
void emu_log_softmax_f32(const emu_log_softmax_f32_params *p, const float *input, float *output);

#endif
