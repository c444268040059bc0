#ifndef EMU_ELEMENTWISE_MVE_H
#define EMU_ELEMENTWISE_MVE_H

#include "elementwise.h"

void emu_add_s8_mve(const emu_add_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void emu_sub_s8_mve(const emu_add_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void emu_mul_s8_mve(const emu_mul_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);

#endif
