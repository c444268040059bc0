/* int8 ADD, SUB and MUL with the DSP extension: the API of emu_add_s8, emu_sub_s8 and emu_mul_s8
 * (elementwise.h), the same integers. emu/compile/ops/elementwise.py chooses them only
 * where emu_dsp.h's rescale is exact for every element. */
#ifndef EMU_ELEMENTWISE_DSP_H
#define EMU_ELEMENTWISE_DSP_H

#include "elementwise.h"

void emu_add_s8_dsp(const emu_add_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void emu_sub_s8_dsp(const emu_add_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);
/* ADD or SUB (whichever built `tables`) with each input's rescaled values read from tables
 * of 256 int32 each, input 1's then input 2's, indexed by value + 128 (elementwise_dsp.c). */
void emu_add_s8_table_dsp(const emu_add_s8_params *p, const int8_t *input1, const int8_t *input2,
                          int8_t *output, const int32_t *tables);
void emu_mul_s8_dsp(const emu_mul_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output);

#endif
