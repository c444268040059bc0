/* DEPTHWISE_CONV_2D, int8, 3x3, depth multiplier 1, stride 1 across, by channel rows (depthwise_rows_dsp.c):
 * the API of emu_depthwise_conv2d_s8 with a filter arranged by the compiler and scratch. */
#ifndef EMU_DEPTHWISE_ROWS_DSP_H
#define EMU_DEPTHWISE_ROWS_DSP_H

#include "depthwise_conv_2d.h"

void emu_depthwise_conv2d_3x3_rows_s8_dsp(const emu_depthwise_conv2d_s8_params *p, const int8_t *input,
                                          const int8_t *filter, int8_t *output, void *scratch);

#endif
