/* L2_NORMALIZATION along the last dimension, int8 and float32.
 *
 * Each of `outer` rows of `depth` elements is divided by its L2 norm. float32 sums the
 * squares in order, takes the square root and divides by max(norm, 1e-6), as TFLM does.
 * int8, as TFLM's integer kernel: the sum of the squared offset inputs gives a fixed-point
 * 1/sqrt (emu_inv_sqrt_multiplier), and each offset input times it is written in the
 * fixed output quantization 1/128, zero point 0, whatever the output tensor says.
 */
#ifndef EMU_L2_NORMALIZATION_H
#define EMU_L2_NORMALIZATION_H

#include <stdint.h>

typedef struct {
    int32_t outer;
    int32_t depth;
    int32_t input_zero_point; /* int8 only */
} emu_l2_normalization_params;

void emu_l2_normalization_s8(const emu_l2_normalization_params *p, const int8_t *input, int8_t *output);
void emu_l2_normalization_f32(const emu_l2_normalization_params *p, const float *input, float *output);

#endif
