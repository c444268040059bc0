/* SOFTMAX over the last dimension, int8 and float32.
 *
 * int8: differences from the row maximum are rescaled by beta * input scale into Q5.26
 * fixed point, exponentiated, summed in Q12.19, and divided through a fixed-point
 * reciprocal. The output quantization is fixed: scale 1/256, zero point -128. The
 * multiplier, shift and cut-off come from emu/compile/ops/softmax.py.
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

typedef struct {
    int32_t rows, depth;
    float beta;
} emu_softmax_f32_params;

void emu_softmax_s8(const emu_softmax_s8_params *p, const int8_t *input, int8_t *output);
void emu_softmax_f32(const emu_softmax_f32_params *p, const float *input, float *output);

#endif
