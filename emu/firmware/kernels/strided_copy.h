/* A strided copy: TRANSPOSE, STRIDED_SLICE, SLICE, REVERSE_V2, DEPTH_TO_SPACE and
 * SPACE_TO_DEPTH of an activation, the input's elements read along a walk worked out at build
 * time and written to the output in order.
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

#endif
