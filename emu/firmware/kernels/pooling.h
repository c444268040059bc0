/* AVERAGE_POOL_2D, MAX_POOL_2D and L2_POOL_2D (float32) over NHWC tensors, channel by channel. Model-dependent
 * constants come from emu/compile/ops/pooling.py. Pooling does not rescale: the int8 (and
 * int16) output shares the input's scale and zero point.
 */
#ifndef EMU_POOLING_H
#define EMU_POOLING_H

#include <stdint.h>

typedef struct {
    int16_t batches, input_h, input_w, channels;
    int16_t output_h, output_w;
    int16_t filter_h, filter_w, stride_h, stride_w, pad_h, pad_w;
    int16_t act_min, act_max;       /* int8 and int16 kernels */
    float act_min_f32, act_max_f32; /* float32 kernels */
} emu_pool_params;

void emu_average_pool_s8(const emu_pool_params *p, const int8_t *input, int8_t *output);
void emu_max_pool_s8(const emu_pool_params *p, const int8_t *input, int8_t *output);
void emu_average_pool_s16(const emu_pool_params *p, const int16_t *input, int16_t *output);
void emu_max_pool_s16(const emu_pool_params *p, const int16_t *input, int16_t *output);
void emu_average_pool_f32(const emu_pool_params *p, const float *input, float *output);
void emu_max_pool_f32(const emu_pool_params *p, const float *input, float *output);
void emu_l2_pool_f32(const emu_pool_params *p, const float *input, float *output);

#endif
