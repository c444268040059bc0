/* CONV_2D, int8, with the DSP extension: the API of emu_conv2d_s8 (conv_2d.h), the same
 * integers. Both take scratch of emu/compile/ops/conv_2d.py's dsp_scratch_bytes. */
#ifndef EMU_CONV_2D_DSP_H
#define EMU_CONV_2D_DSP_H

#include "conv_2d.h"

/* 1x1 filters, one group. */
void emu_conv2d_1x1_s8_dsp(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                           int8_t *output, void *scratch);
/* Any filter, one group: windows gathered (im2col) four pixels at a time. */
void emu_conv2d_s8_dsp(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                       int8_t *output, void *scratch);
/* The same with each filter row padded with zeros to a whole number of words
 * (emu/compile/ops/conv_2d.py's padded_rows): no window ends in a partial word. */
void emu_conv2d_padded_s8_dsp(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                              int8_t *output, void *scratch);

#endif
