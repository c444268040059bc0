/* PAD, PADV2 and MIRROR_PAD; see pad.h. */
#include "pad.h"

#include <string.h>

static void fill(const emu_pad_params *p, uint8_t *out, int32_t elements)
{
    if (p->element_bytes == 1) {
        memset(out, (int)(p->pad_bits & 0xffu), (size_t)elements);
        return;
    }
    for (int32_t i = 0; i < elements; i++) {
        for (int32_t b = 0; b < p->element_bytes; b++) {
            out[i * p->element_bytes + b] = (uint8_t)(p->pad_bits >> (8 * b));
        }
    }
}

/* Writes the output block of dimension d (and everything inside it) from the matching
 * input block. */
static void pad_dim(const emu_pad_params *p, int32_t d, const uint8_t *in, uint8_t *out)
{
    const int32_t esize = p->element_bytes;
    const int32_t out_step = p->output_step[d];
    fill(p, out, p->before[d] * out_step);
    out += p->before[d] * out_step * esize;
    if (d == p->rank - 1) {
        memcpy(out, in, (size_t)(p->input_shape[d] * esize));
        out += p->input_shape[d] * esize;
    } else {
        const int32_t in_step = p->input_step[d];
        for (int32_t i = 0; i < p->input_shape[d]; i++) {
            pad_dim(p, d + 1, in + i * in_step * esize, out);
            out += out_step * esize;
        }
    }
    fill(p, out, p->after[d] * out_step);
}

/* MIRROR_PAD: writes the middle blocks of dimension d (recursively padded inside) from the
 * input, then each border block as a copy of the middle block it mirrors, which by then holds
 * its own borders too. REFLECT skips the edge block, SYMMETRIC repeats it. */
static void mirror_dim(const emu_pad_params *p, int32_t d, const uint8_t *in, uint8_t *out)
{
    const int32_t n = p->input_shape[d];
    const size_t block = (size_t)p->output_step[d] * (size_t)p->element_bytes;
    const int32_t skip = p->mirror - 1;
    uint8_t *middle = out + (size_t)p->before[d] * block;
    if (d == p->rank - 1) {
        memcpy(middle, in, (size_t)n * block);
    } else {
        const size_t in_step = (size_t)p->input_step[d] * (size_t)p->element_bytes;
        for (int32_t i = 0; i < n; i++) {
            mirror_dim(p, d + 1, in + (size_t)i * in_step, middle + (size_t)i * block);
        }
    }
    for (int32_t k = 0; k < p->before[d]; k++) {
        memcpy(out + (size_t)k * block, middle + (size_t)(p->before[d] - 1 - k + skip) * block, block);
    }
    for (int32_t k = 0; k < p->after[d]; k++) {
        memcpy(middle + (size_t)(n + k) * block, middle + (size_t)(n - 1 - k - skip) * block, block);
    }
}

void emu_pad(const emu_pad_params *p, const void *input, void *output)
{
    if (p->mirror) {
        mirror_dim(p, 0, input, output);
    } else {
        pad_dim(p, 0, input, output);
    }
}

void emu_mirror_pad_at(const emu_mirror_pad_at_params *p, const void *input, const void *paddings, void *output)
{
    emu_pad_params pad = p->pad;
    const int32_t skip = pad.mirror - 1;
    for (int32_t d = 0; d < p->input_rank; d++) {
        int64_t before, after;
        if (p->paddings_bytes == 8) {
            before = ((const int64_t *)paddings)[2 * d];
            after = ((const int64_t *)paddings)[2 * d + 1];
        } else {
            before = ((const int32_t *)paddings)[2 * d];
            after = ((const int32_t *)paddings)[2 * d + 1];
        }
        const int64_t border = d < pad.rank ? p->border[d] : 0;
        const int64_t widest = d < pad.rank ? (int64_t)pad.input_shape[d] - skip : 0;
        if (before < 0 || after < 0 || before + after != border || before > widest || after > widest) {
            memset(output, 0, (size_t)p->output_bytes);
            return;
        }
        if (d < pad.rank) {
            pad.before[d] = (int32_t)before;
            pad.after[d] = (int32_t)after;
        }
    }
    mirror_dim(&pad, 0, input, output);
}
