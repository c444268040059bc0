/* TRANSPOSE: the input's elements in the order of a permutation of its dimensions.
 *
 * The lowering describes the walk over the output in at most EMU_TRANSPOSE_MAX_RANK
 * dimensions (the output's shape with size-1 dimensions dropped and dimensions that stay
 * next to each other in the input merged, padded at the front with 1s): for each, its
 * extent and the input's step along it, in elements. The output is written in order.
 */
#ifndef EMU_TRANSPOSE_H
#define EMU_TRANSPOSE_H

#include <stdint.h>

#define EMU_TRANSPOSE_MAX_RANK 5

typedef struct {
    int32_t element;                          /* bytes per element: 1, 2 or 4 */
    int32_t dims[EMU_TRANSPOSE_MAX_RANK];     /* output extents, outermost first */
    int32_t strides[EMU_TRANSPOSE_MAX_RANK];  /* the input's step along each, in elements */
} emu_transpose_params;

void emu_transpose(const emu_transpose_params *p, const void *input, void *output);

#endif
