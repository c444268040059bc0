/* The 16x8 kernels (int16 activations, int8 weights) with the DSP extension: the APIs of
 * emu_fully_connected_s16 (fully_connected.h), emu_conv2d_s16 (conv_2d.h) and
 * emu_depthwise_conv2d_s16 (depthwise_conv_2d.h), the same integers. */
#ifndef EMU_INT16_DSP_H
#define EMU_INT16_DSP_H

#include "conv_2d.h"
#include "depthwise_conv_2d.h"
#include "fully_connected.h"

/* scratch: the packed input row, 2 x (depth & ~3) bytes */
void emu_fully_connected_s16_dsp(const emu_fully_connected_s16_params *p, const int16_t *input,
                                 const int8_t *weights, int16_t *output, void *scratch);

/* Any filter and grouping; scratch holds one gathered window and its packed form
 * (4 x filter_h * filter_w * filter_c bytes). */
void emu_conv2d_s16_dsp(const emu_conv2d_s16_params *p, const int16_t *input, const int8_t *filter,
                        int16_t *output, void *scratch);

/* 1x1 filters, one group: each input pixel is its own window; scratch holds its packed form
 * (2 x (input_c & ~3) bytes). */
void emu_conv2d_1x1_s16_dsp(const emu_conv2d_s16_params *p, const int16_t *input, const int8_t *filter,
                            int16_t *output, void *scratch);

/* Depth multiplier 1, at most EMU_S16_RUN taps (emu/compile/ops/depthwise_conv_2d.py). */
void emu_depthwise_conv2d_s16_dsp(const emu_depthwise_conv2d_s16_params *p, const int16_t *input,
                                  const int8_t *filter, int16_t *output);

/* Shared with the Helium forms (int16_mve.c). One group's channels of the window at (iy0, ix0)
 * into window, zeros in the padding. */
void emu_conv2d_s16_gather(const emu_conv2d_s16_params *p, const int16_t *image, int iy0, int ix0, int ic0,
                           int16_t *window);
/* [*first, *end): the taps of a filter dimension whose input index o + k * dilation is in [0, size). */
void emu_s16_taps_inside(int o, int taps, int dilation, int size, int *first, int *end);

#endif
