/* FULLY_CONNECTED, int8, with the DSP extension: the API of emu_fully_connected_s8
 * (fully_connected.h), the same integers. */
#ifndef EMU_FULLY_CONNECTED_DSP_H
#define EMU_FULLY_CONNECTED_DSP_H

#include "fully_connected.h"

void emu_fully_connected_s8_dsp(const emu_fully_connected_s8_params *p, const int8_t *input,
                                const int8_t *weights, int8_t *output);

#endif
