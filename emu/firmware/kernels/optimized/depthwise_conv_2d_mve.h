#ifndef EMU_DEPTHWISE_CONV_2D_MVE_H
#define EMU_DEPTHWISE_CONV_2D_MVE_H

#include "depthwise_conv_2d.h"

void emu_depthwise_conv2d_s8_mve(const emu_depthwise_conv2d_s8_params *p, const int8_t *input,
                                 const int8_t *filter, int8_t *output, void *scratch);

#endif
