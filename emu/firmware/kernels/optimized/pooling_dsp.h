/* AVERAGE_POOL_2D and MAX_POOL_2D, int8, with the DSP extension: the API of
 * emu_average_pool_s8 and emu_max_pool_s8 (pooling.h), the same integers.
 * emu/compile/ops/pooling.py chooses the average only for windows of at most 256 pixels. */
#ifndef EMU_POOLING_DSP_H
#define EMU_POOLING_DSP_H

#include "pooling.h"

void emu_average_pool_s8_dsp(const emu_pool_params *p, const int8_t *input, int8_t *output);
void emu_max_pool_s8_dsp(const emu_pool_params *p, const int8_t *input, int8_t *output);

#endif
