/* SPLIT, SPLIT_V, UNPACK and PACK; see chunks.h. */
#include "chunks.h"

#include <string.h>

void emu_split(const emu_chunks_params *p, const void *input, void *const *outputs)
{
    const uint8_t *in = input;
    for (int32_t o = 0; o < p->outer; o++) {
        for (int32_t k = 0; k < p->count; k++) {
            memcpy((uint8_t *)outputs[k] + o * p->bytes[k], in, (size_t)p->bytes[k]);
            in += p->bytes[k];
        }
    }
}

void emu_pack(const emu_chunks_params *p, const void *const *inputs, void *output)
{
    uint8_t *out = output;
    for (int32_t o = 0; o < p->outer; o++) {
        for (int32_t k = 0; k < p->count; k++) {
            memcpy(out, (const uint8_t *)inputs[k] + o * p->bytes[k], (size_t)p->bytes[k]);
            out += p->bytes[k];
        }
    }
}
