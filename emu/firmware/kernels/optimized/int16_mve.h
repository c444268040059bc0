/* The 16x8 kernels (int16 activations, int8 weights) with Helium (MVE): the APIs of
 * emu_fully_connected_s16 (fully_connected.h), emu_conv2d_s16 (conv_2d.h) and
 * emu_depthwise_conv2d_s16 (depthwise_conv_2d.h), the same integers. */
#ifndef EMU_INT16_MVE_H
#define EMU_INT16_MVE_H

#include "conv_2d.h"
#include "depthwise_conv_2d.h"
#include "fully_connected.h"

void emu_fully_connected_s16_mve(const emu_fully_connected_s16_params *p, const int16_t *input,
                                 const int8_t *weights, int16_t *output);
/* scratch: one gathered window (2 x filter_h * filter_w * filter_c bytes) */
void emu_conv2d_s16_mve(const emu_conv2d_s16_params *p, const int16_t *input, const int8_t *filter,
                        int16_t *output, void *scratch);
/* 1x1 filters, one group */
void emu_conv2d_1x1_s16_mve(const emu_conv2d_s16_params *p, const int16_t *input, const int8_t *filter,
                            int16_t *output);
/* depth multiplier 1, at most EMU_S16_RUN taps */
void emu_depthwise_conv2d_s16_mve(const emu_depthwise_conv2d_s16_params *p, const int16_t *input,
                                  const int8_t *filter, int16_t *output);

#endif
