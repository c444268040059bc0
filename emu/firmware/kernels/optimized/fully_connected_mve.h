#ifndef EMU_FULLY_CONNECTED_MVE_H
#define EMU_FULLY_CONNECTED_MVE_H

#include "fully_connected.h"

void emu_fully_connected_s8_mve(const emu_fully_connected_s8_params *p, const int8_t *input,
                                const int8_t *weights, int8_t *output);

#endif
