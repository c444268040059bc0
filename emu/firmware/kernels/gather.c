/* GATHER, GATHER_ND and EMBEDDING_LOOKUP; see gather.h. */
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

void emu_gather_nd(const emu_gather_nd_params *p, const void *input, const int32_t *indices, void *output)
{
    const size_t slice_bytes = (size_t)p->slice_elements * (size_t)p->element_bytes;
    for (int32_t t = 0; t < p->slices; t++) {
        const int32_t *coords = indices + t * p->depth;
        int64_t from = 0;
        for (int32_t j = 0; j < p->depth; j++) {
            from += (int64_t)coords[j] * p->strides[j];
        }
        const int inside = from >= 0 && from + p->slice_elements <= p->input_elements;
        if (p->dequantize) {
            const int8_t *in = (const int8_t *)input + (inside ? from : 0);
            float *out = (float *)output + (size_t)t * (size_t)p->slice_elements;
            for (int32_t i = 0; i < p->slice_elements; i++) {
                out[i] = inside ? (float)in[i] * p->scale : 0.0f;
            }
        } else {
            uint8_t *out = (uint8_t *)output + (size_t)t * slice_bytes;
            if (inside) {
                memcpy(out, (const uint8_t *)input + (size_t)from * (size_t)p->element_bytes, slice_bytes);
            } else {
                memset(out, 0, slice_bytes);
            }
        }
    }
}
