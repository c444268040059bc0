/* A strided copy: TRANSPOSE, STRIDED_SLICE, SLICE, REVERSE_V2, DEPTH_TO_SPACE and
 * SPACE_TO_DEPTH of an activation, and BROADCAST_TO, FILL and ZEROS_LIKE (a step of 0 repeats
 * an element), the input's elements read along a walk worked out at build time and written
 * to the output in order.
 *
 * The lowerings (emu/compile/ops/transpose.py, strided_slice.py, slice.py, reverse_v2.py,
 * depth_to_space.py) describe the walk over the
 * output in at most EMU_STRIDED_COPY_MAX_RANK dimensions (size-1 dimensions dropped, and
 * dimensions that stay next to each other in the input merged, padded at the front with 1s):
 * the input offset of the first element read, and for each dimension its extent and the
 * input's step along it, in elements (negative for a reversed axis).
 */
#ifndef EMU_STRIDED_COPY_H
#define EMU_STRIDED_COPY_H

#include <stdint.h>

#define EMU_STRIDED_COPY_MAX_RANK 5

typedef struct {
    int32_t element;                              /* bytes per element: 1, 2, 4 or 8 */
    int32_t offset;                               /* first element read, in elements */
    int32_t dims[EMU_STRIDED_COPY_MAX_RANK];      /* output extents, outermost first */
    int32_t strides[EMU_STRIDED_COPY_MAX_RANK];   /* the input's step along each, in elements */
} emu_strided_copy_params;

void emu_strided_copy(const emu_strided_copy_params *p, const void *input, void *output);

/* The same walk from an offset read at run time (SLICE with a begin computed by the model):
 * `walk.offset` plus, for each of the input's `rank` dimensions, begin[d] clamped to
 * [0, limits[d]] (the last start that keeps the box inside the input) times steps[d]. */
typedef struct {
    emu_strided_copy_params walk;
    int32_t rank;
    int32_t steps[EMU_STRIDED_COPY_MAX_RANK];   /* elements per step along each input dimension */
    int32_t limits[EMU_STRIDED_COPY_MAX_RANK];
    int32_t begin_bytes;                        /* 4: int32 begin, 8: int64 */
} emu_strided_copy_at_params;

void emu_strided_copy_at(const emu_strided_copy_at_params *p, const void *input, const void *begin, void *output);

/* REVERSE_V2 with axes read at run time (`count` int32 values, negative ones counted from
 * the end): as in TFLM, the axes must be in range, distinct and neighbours once sorted, and the
 * reversal is then a walk of three dimensions (the dimensions before the axes, the axes as one
 * reversed dimension, the dimensions after). Axes TFLM refuses (it fails the invocation) give
 * an output of zeros. */
#define EMU_STRIDED_COPY_REVERSE_MAX_RANK 6

typedef struct {
    int32_t element;                                   /* bytes per element: 1, 2, 4 or 8 */
    int32_t rank;
    int32_t dims[EMU_STRIDED_COPY_REVERSE_MAX_RANK];
    int32_t count;                                     /* axes */
    int32_t elements;
} emu_strided_copy_reversed_params;

void emu_strided_copy_reversed(const emu_strided_copy_reversed_params *p, const void *input, const int32_t *axes,
                               void *output);

#endif
