/* MAXIMUM and MINIMUM, int8 and int16, with Helium (MVE): the APIs of maximum_minimum.h, the
 * same values. */
#ifndef EMU_MAXIMUM_MINIMUM_MVE_H
#define EMU_MAXIMUM_MINIMUM_MVE_H

#include "maximum_minimum.h"

void emu_maximum_s8_mve(const emu_maximum_minimum_params *p, const int8_t *input1, const int8_t *input2,
                        int8_t *output);
void emu_minimum_s8_mve(const emu_maximum_minimum_params *p, const int8_t *input1, const int8_t *input2,
                        int8_t *output);
void emu_maximum_s16_mve(const emu_maximum_minimum_params *p, const int16_t *input1, const int16_t *input2,
                         int16_t *output);
void emu_minimum_s16_mve(const emu_maximum_minimum_params *p, const int16_t *input1, const int16_t *input2,
                         int16_t *output);

#endif
