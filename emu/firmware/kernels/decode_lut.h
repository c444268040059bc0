/* DECODE of lookup-table compressed weights, as TFLM's compressor writes them: one index of
 * `bitwidth` bits per element (1 to 7, packed most significant bit first, in the tensor's
 * storage order), each naming an entry of its channel's value table. Consecutive runs of
 * `run` elements share a table; the tables repeat every `channels` runs (a channel axis 0
 * gives run = elements per channel, the last axis gives run = 1, one table for the whole
 * tensor gives channels = 1). Constants come from emu/compile/ops/decode.py. */
#ifndef EMU_DECODE_LUT_H
#define EMU_DECODE_LUT_H

#include <stdint.h>

typedef struct {
    int32_t size;     /* elements to decode */
    int32_t bitwidth; /* bits per index */
    int32_t run;      /* consecutive elements that read one table */
    int32_t channels; /* tables */
    int32_t stride;   /* entries per table */
    const int8_t *tables;
} emu_decode_lut_params;

/* One-byte values (int8, uint8 by their bits). */
void emu_decode_lut_8(const emu_decode_lut_params *p, const uint8_t *indices, int8_t *output);

#endif
