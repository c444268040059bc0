#ifndef EMU_CONV_2D_MVE_H
#define EMU_CONV_2D_MVE_H

#include "conv_2d.h"

void emu_conv2d_1x1_s8_mve(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                           int8_t *output);
void emu_conv2d_1x1_s8_mve_outer(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                                 int8_t *output);

void emu_conv2d_s8_mve(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter, int8_t *output,
                       void *scratch);

/* The same sums over a filter and rescale arranged by emu/compile/ops/conv_2d.py's across_block
 * (p's folded_bias, multiplier and shift are not read): 1x1, and any other filter through a
 * gathered window (scratch: the window). */
void emu_conv2d_1x1_s8_mve_arranged(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *block,
                                    int8_t *output);
void emu_conv2d_s8_mve_arranged(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *block,
                                int8_t *output, void *scratch);

#endif
