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

/* GATHER_ND and EMBEDDING_LOOKUP: slices of the input named by tuples of run-time int32
 * coordinates into its leading dimensions (EMBEDDING_LOOKUP: one coordinate, the row).
 *
 * Tuple t starts at element sum_j indices[t * depth + j] * strides[j] of the input, and its
 * slice (the `slice_elements` elements from there) is the output's t-th. As in TFLM's
 * kernels, only that flat position is checked: a slice reaching outside the input makes TFLM
 * fail the invocation; here it gives a slice of zeros. With `dequantize`, int8 values become
 * float32 as value * scale (EMBEDDING_LOOKUP of int8 rows into a float32 output). */
#define EMU_GATHER_ND_MAX_DEPTH 5

typedef struct {
    int32_t slices;                            /* index tuples */
    int32_t depth;                             /* coordinates per tuple, 0 to EMU_GATHER_ND_MAX_DEPTH */
    int32_t strides[EMU_GATHER_ND_MAX_DEPTH];  /* input elements per step of each coordinate */
    int32_t slice_elements;
    int32_t input_elements;
    int32_t element_bytes;                     /* of the input */
    int32_t dequantize;                        /* 1: int8 input, float32 output */
    float scale;
} emu_gather_nd_params;

void emu_gather_nd(const emu_gather_nd_params *p, const void *input, const int32_t *indices, void *output);

#endif
