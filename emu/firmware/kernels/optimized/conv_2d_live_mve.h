/* CONV_2D 1x1, int8, with Helium (MVE), for a layer some of whose output channels are
 * constants (pruned channels, emu/compile/constant_channels.py): only the other, live,
 * channels are computed. */
#ifndef EMU_CONV_2D_LIVE_MVE_H
#define EMU_CONV_2D_LIVE_MVE_H

#include <stdint.h>

typedef struct {
    int16_t batches, input_h, input_w, input_c;
    int16_t output_h, output_w, output_c;
    int16_t stride_h, stride_w;
    int16_t output_offset, act_min, act_max;
    int16_t live_c; /* live channels, a multiple of 4 (the last one repeated to make it up) */
    /* per live channel, in the filter's order: */
    const int32_t *folded_bias, *multiplier;
    const int8_t *shift;
    const uint32_t *channel;       /* its index among the output channels */
    const int8_t *constant_output; /* per output channel: the constant channels' value (0 for live ones) */
} emu_conv2d_1x1_live_s8_params;

/* filter: the live channels' rows, input_c bytes each. */
void emu_conv2d_1x1_live_s8_mve(const emu_conv2d_1x1_live_s8_params *p, const int8_t *input, const int8_t *filter,
                                int8_t *output);

#endif
