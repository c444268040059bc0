#ifndef EMU_DEPTHWISE_3X3_MVE_H
#define EMU_DEPTHWISE_3X3_MVE_H

#include "depthwise_conv_2d.h"

/* Depth multiplier 1, a 3x3 filter, output channels a multiple of 8: `block` is the filter
 * and the rescale arranged by emu/compile/ops/depthwise_conv_2d.py's three_by_three_mve_block
 * (p's folded_bias, multiplier and shift are not read); scratch: (2 dilation_h + 1) padded input
 * rows of ((output_w - 1) stride_w + 2 dilation_w + 1) x output_c bytes; dilation_h at most 4. */
void emu_depthwise_conv2d_3x3_s8_mve(const emu_depthwise_conv2d_s8_params *p, const int8_t *input,
                                     const int8_t *block, int8_t *output, void *scratch);

#endif
