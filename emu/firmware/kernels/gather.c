/* GATHER; see gather.h. */
#include "gather.h"

#include <string.h>

void emu_gather(const emu_gather_params *p, const void *input, const int32_t *indices, void *output)
{
    const uint8_t *in = input;
    uint8_t *out = output;
    const size_t slice = (size_t)p->slice_bytes;
    for (int32_t b = 0; b < p->batches; b++) {
        const int32_t *batch_indices = indices + b * p->coords;
        for (int32_t o = 0; o < p->outer; o++) {
            const uint8_t *block = in + ((size_t)b * (size_t)p->outer + (size_t)o) * (size_t)p->axis_size * slice;
            for (int32_t c = 0; c < p->coords; c++) {
                const int32_t index = batch_indices[c];
                if (index >= 0 && index < p->axis_size) {
                    memcpy(out, block + (size_t)index * slice, slice);
                } else {
                    memset(out, 0, slice);
                }
                out += slice;
            }
        }
    }
}
