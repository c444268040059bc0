/* SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND; see space_batch.h. */
#include "space_batch.h"

#include <string.h>

static size_t pixel_offset(int32_t b, int32_t h, int32_t w, int32_t height, int32_t width, int32_t pixel_bytes)
{
    return (((size_t)b * (size_t)height + (size_t)h) * (size_t)width + (size_t)w) * (size_t)pixel_bytes;
}

void emu_space_to_batch(const emu_space_batch_params *p, const void *input, void *output)
{
    const uint8_t *in = input;
    uint8_t *out = output;
    const size_t pixel = (size_t)p->pixel_bytes;
    for (int32_t b = 0; b < p->output_batch; b++) {
        const int32_t source_batch = b % p->input_batch;
        const int32_t shift_h = (b / p->input_batch) / p->block_width;
        const int32_t shift_w = (b / p->input_batch) % p->block_width;
        for (int32_t h = 0; h < p->output_height; h++) {
            const int32_t in_h = h * p->block_height + shift_h - p->top;
            for (int32_t w = 0; w < p->output_width; w++) {
                const int32_t in_w = w * p->block_width + shift_w - p->left;
                if (in_h < 0 || in_h >= p->input_height || in_w < 0 || in_w >= p->input_width) {
                    memset(out, 0, pixel);
                } else {
                    memcpy(out, in + pixel_offset(source_batch, in_h, in_w, p->input_height, p->input_width,
                                                  p->pixel_bytes), pixel);
                }
                out += pixel;
            }
        }
    }
}

void emu_batch_to_space(const emu_space_batch_params *p, const void *input, void *output)
{
    const uint8_t *in = input;
    uint8_t *out = output;
    const size_t pixel = (size_t)p->pixel_bytes;
    for (int32_t b = 0; b < p->input_batch; b++) {
        const int32_t target_batch = b % p->output_batch;
        const int32_t spatial = b / p->output_batch;
        for (int32_t h = 0; h < p->input_height; h++) {
            const int32_t out_h = h * p->block_height + spatial / p->block_width - p->top;
            if (out_h < 0 || out_h >= p->output_height) {
                continue;
            }
            for (int32_t w = 0; w < p->input_width; w++) {
                const int32_t out_w = w * p->block_width + spatial % p->block_width - p->left;
                if (out_w < 0 || out_w >= p->output_width) {
                    continue;
                }
                memcpy(out + pixel_offset(target_batch, out_h, out_w, p->output_height, p->output_width,
                                          p->pixel_bytes),
                       in + pixel_offset(b, h, w, p->input_height, p->input_width, p->pixel_bytes), pixel);
            }
        }
    }
}
