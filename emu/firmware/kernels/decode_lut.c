/* DECODE of lookup-table compressed weights; see decode_lut.h. The indices are read through
 * a bit buffer refilled a byte at a time, so any width from 1 to 7 bits takes the same loop;
 * the common 4-bit case has a loop of its own that takes two indices from each byte. */
#include "decode_lut.h"

static void decode_nibbles(const emu_decode_lut_params *p, const uint8_t *in, int8_t *out)
{
    const int8_t *table = p->tables;
    int32_t channel = 0, left = p->run;
    for (int32_t i = 0; i < p->size; i++) {
        const uint32_t byte = in[i >> 1];
        const uint32_t index = (i & 1) ? (byte & 0x0fu) : (byte >> 4);
        out[i] = table[index];
        if (--left == 0) {
            left = p->run;
            if (++channel == p->channels) {
                channel = 0;
                table = p->tables;
            } else {
                table += p->stride;
            }
        }
    }
}

void emu_decode_lut_8(const emu_decode_lut_params *p, const uint8_t *indices, int8_t *output)
{
    if (p->bitwidth == 4) {
        decode_nibbles(p, indices, output);
        return;
    }
    const int32_t bits = p->bitwidth;
    const uint32_t mask = (1u << bits) - 1u;
    const int8_t *table = p->tables;
    uint32_t buffer = 0;
    int32_t held = 0; /* bits of buffer not yet used */
    int32_t channel = 0, left = p->run;
    for (int32_t i = 0; i < p->size; i++) {
        if (held < bits) {
            buffer = (buffer << 8) | *indices++;
            held += 8;
        }
        held -= bits;
        output[i] = table[(buffer >> held) & mask];
        if (--left == 0) {
            left = p->run;
            if (++channel == p->channels) {
                channel = 0;
                table = p->tables;
            } else {
                table += p->stride;
            }
        }
    }
}
