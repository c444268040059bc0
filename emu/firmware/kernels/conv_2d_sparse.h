/* CONV_2D, int8, one group, with filters in the sparse-bitmap form (sparse_bitmap.h), one
 * bitmap per output channel over its whole window [filter_h][filter_w][input_c]: the same
 * arithmetic as emu_conv2d_s8 (conv_2d.h), skipping zero weights. Window positions in the
 * padding give back their share of the folded bias as the dense kernels do
 * (zero_point * weight). Constants come from emu/compile/ops/conv_2d.py. */
#ifndef EMU_CONV_2D_SPARSE_H
#define EMU_CONV_2D_SPARSE_H

#include <stdint.h>

typedef struct {
    int16_t batches, input_h, input_w, input_c;
    int16_t output_h, output_w, output_c;
    int16_t filter_h, filter_w;
    int16_t stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
    int16_t input_offset;  /* -input zero point */
    int16_t output_offset; /* output zero point */
    int16_t act_min, act_max;
    const int32_t *folded_bias;
    const int32_t *multiplier;
    const int8_t *shift;
    const uint8_t *bitmap; /* output_c x ceil(filter_h * filter_w * input_c / 8) bytes */
    const int8_t *values;  /* the nonzero weights, channel by channel */
} emu_conv2d_sparse_s8_params;

/* scratch: 6 bytes per window position (filter_h * filter_w * input_c), 4-byte aligned. */
void emu_conv2d_sparse_s8(const emu_conv2d_sparse_s8_params *p, const int8_t *input, int8_t *output,
                          void *scratch);

#endif
