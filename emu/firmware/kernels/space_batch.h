/* SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND on rank-3 (N, H, C) and rank-4 (N, H, W, C)
 * tensors of any element type; emu/compile/ops/space_batch.py gives a rank-3 tensor a width
 * of 1 and a block width of 1, as TFLM does.
 *
 * SPACE_TO_BATCH_ND: output batch b takes input batch b % input_batch, shifted by
 * (b / input_batch) / block_w rows and (b / input_batch) % block_w columns; output pixel
 * (h, w) is input pixel (h * block_h + shift_h - pad_top, w * block_w + shift_w - pad_left),
 * or zero bytes where that lies in the padding (TFLM's kernel pads with bytes of 0, whatever
 * the zero point).
 * BATCH_TO_SPACE_ND: input pixel (b, h, w) goes to output batch b % output_batch at
 * (h * block_h + (b / output_batch) / block_w - crop_top,
 *  w * block_w + (b / output_batch) % block_w - crop_left), when that lies in the output.
 * A pixel is `pixel_bytes` (channels times element size), copied as it is.
 */
#ifndef EMU_SPACE_BATCH_H
#define EMU_SPACE_BATCH_H

#include <stdint.h>

typedef struct {
    int32_t input_batch, input_height, input_width;
    int32_t output_batch, output_height, output_width;
    int32_t block_height, block_width;
    int32_t top, left; /* paddings (SPACE_TO_BATCH_ND) or crops (BATCH_TO_SPACE_ND) */
    int32_t pixel_bytes;
} emu_space_batch_params;

void emu_space_to_batch(const emu_space_batch_params *p, const void *input, void *output);
void emu_batch_to_space(const emu_space_batch_params *p, const void *input, void *output);

#endif
