/* GATHER: slices of the input picked by run-time indices along one axis (embeddings).
 *
 * Seen from the axis, the input is `batches` x `outer` blocks of `axis_size` slices of
 * `slice_bytes` each; batch b has `coords` indices (int32), and the output is, for each
 * batch and outer block, the slices those indices name, in order. Bytes are copied as they
 * are, as TFLM's kernel does. An index outside [0, axis_size) reads outside the input in
 * TFLM (undefined); here it gives a slice of zeros.
 */
#ifndef EMU_GATHER_H
#define EMU_GATHER_H

#include <stdint.h>

typedef struct {
    int32_t batches;      /* the product of the first batch_dims dimensions */
    int32_t outer;        /* the product of the dimensions between those and the axis */
    int32_t axis_size;
    int32_t coords;       /* indices per batch */
    int32_t slice_bytes;  /* the product of the dimensions after the axis, in bytes */
} emu_gather_params;

void emu_gather(const emu_gather_params *p, const void *input, const int32_t *indices, void *output);

#endif
