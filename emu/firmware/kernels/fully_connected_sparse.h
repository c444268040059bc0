/* FULLY_CONNECTED, int8, with weights in the sparse-bitmap form (sparse_bitmap.h): the same
 * arithmetic as emu_fully_connected_s8 (fully_connected.h), skipping the zero weights, which
 * add nothing to the sum. Constants come from emu/compile/ops/fully_connected.py. */
#ifndef EMU_FULLY_CONNECTED_SPARSE_H
#define EMU_FULLY_CONNECTED_SPARSE_H

#include <stdint.h>

typedef struct {
    int32_t batches, depth, units;
    int16_t output_offset;
    int16_t act_min, act_max;
    const int32_t *folded_bias; /* bias[u] + input_offset * sum(weights[u]) */
    const int32_t *multiplier;
    const int8_t *shift;
    const uint8_t *bitmap; /* units x ceil(depth / 8) bytes */
    const int8_t *values;  /* the nonzero weights, unit by unit */
} emu_fully_connected_sparse_s8_params;

void emu_fully_connected_sparse_s8(const emu_fully_connected_sparse_s8_params *p, const int8_t *input,
                                   int8_t *output);

#endif
