/* STRIDED_SLICE: the elements of a slice of the input, copied as they are.
 *
 * The lowering (emu/compile/ops/strided_slice.py) resolves begin, end, strides and masks at
 * compile time into a walk over the output in at most EMU_STRIDED_SLICE_MAX_RANK dimensions:
 * the input offset of the first element read, and for each dimension its extent and the
 * input's step along it in elements (negative for a reversed axis). The output is written
 * in order.
 */
#ifndef EMU_STRIDED_SLICE_H
#define EMU_STRIDED_SLICE_H

#include <stdint.h>

#define EMU_STRIDED_SLICE_MAX_RANK 4

typedef struct {
    int32_t element;                              /* bytes per element: 1, 2 or 4 */
    int32_t offset;                               /* first element read, in elements */
    int32_t dims[EMU_STRIDED_SLICE_MAX_RANK];     /* output extents, outermost first */
    int32_t strides[EMU_STRIDED_SLICE_MAX_RANK];  /* the input's step along each, in elements */
} emu_strided_slice_params;

void emu_strided_slice(const emu_strided_slice_params *p, const void *input, void *output);

#endif
