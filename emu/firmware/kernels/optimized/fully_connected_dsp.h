/* FULLY_CONNECTED, int8, with the DSP extension: the API of emu_fully_connected_s8
 * (fully_connected.h), the same integers. */
#ifndef EMU_FULLY_CONNECTED_DSP_H
#define EMU_FULLY_CONNECTED_DSP_H

#include "fully_connected.h"

/* weights [units, depth] as the model stores them */
void emu_fully_connected_s8_dsp(const emu_fully_connected_s8_params *p, const int8_t *input,
                                const int8_t *weights, int8_t *output);

/* weights arranged at build time (emu/compile/ops/fully_connected.py, arranged_weights):
 * for each four units, for each four inputs, the four units' four weights (16 bytes); then
 * each of the four units' last depth % 4 weights; then the last units % 4 rows as stored. */
void emu_fully_connected_s8_dsp4(const emu_fully_connected_s8_params *p, const int8_t *input,
                                 const int8_t *weights, int8_t *output);

#endif
