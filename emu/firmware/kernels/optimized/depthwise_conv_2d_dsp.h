/* DEPTHWISE_CONV_2D, int8, depth multiplier 1 or a multiple of 4, or one input channel, with the DSP
 * extension: the API of
 * emu_depthwise_conv2d_s8 (depthwise_conv_2d.h) plus scratch of
 * emu/compile/ops/depthwise_conv_2d.py's dsp_scratch_bytes; the same integers. */
#ifndef EMU_DEPTHWISE_CONV_2D_DSP_H
#define EMU_DEPTHWISE_CONV_2D_DSP_H

#include "depthwise_conv_2d.h"

void emu_depthwise_conv2d_s8_dsp(const emu_depthwise_conv2d_s8_params *p, const int8_t *input,
                                 const int8_t *filter, int8_t *output, void *scratch);
/* One input channel, any depth multiplier, with the filter arranged by
 * emu/compile/ops/depthwise_conv_2d.py's one_channel_filter. */
void emu_depthwise_conv2d_1ch_s8_dsp(const emu_depthwise_conv2d_s8_params *p, const int8_t *input,
                                     const int8_t *filter, int8_t *output, void *scratch);
/* Depth multiplier 1 and a 3x3 filter, arranged by emu/compile/ops/depthwise_conv_2d.py's
 * three_by_three_filter. */
void emu_depthwise_conv2d_3x3_s8_dsp(const emu_depthwise_conv2d_s8_params *p, const int8_t *input,
                                     const int8_t *filter, int8_t *output, void *scratch);

#endif
