/* FULLY_CONNECTED with sparse-bitmap weights; see fully_connected_sparse.h. */
#include "fully_connected_sparse.h"

#include "emu_quant.h"
#include "sparse_bitmap.h"

void emu_fully_connected_sparse_s8(const emu_fully_connected_sparse_s8_params *p, const int8_t *input,
                                   int8_t *output)
{
    const emu_output_quant q = {p->multiplier, p->shift, p->output_offset, p->act_min, p->act_max};
    const int32_t depth = p->depth, units = p->units, row_bytes = (depth + 7) >> 3;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = input + b * depth;
        const uint8_t *bitmap = p->bitmap;
        const int8_t *values = p->values;
        for (int32_t u = 0; u < units; ++u) {
            int32_t acc = p->folded_bias[u];
            for (int32_t k = 0; k < row_bytes; ++k) {
                const uint32_t bits = *bitmap++;
                if (bits) {
                    acc = emu_sparse_dot_byte(bits, x + 8 * k, &values, acc);
                }
            }
            *output++ = (int8_t)emu_output_s8(&q, acc, q.multiplier[u], q.shift[u]);
        }
    }
}
