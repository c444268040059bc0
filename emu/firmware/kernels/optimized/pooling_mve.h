#ifndef EMU_POOLING_MVE_H
#define EMU_POOLING_MVE_H

#include "pooling.h"

void emu_average_pool_s8_mve(const emu_pool_params *p, const int8_t *input, int8_t *output);
void emu_max_pool_s8_mve(const emu_pool_params *p, const int8_t *input, int8_t *output);

#endif
