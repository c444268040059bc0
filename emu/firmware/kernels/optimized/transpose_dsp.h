/* TRANSPOSE of int8 with the DSP cores' word operations: the strided copy's walk
 * (strided_copy.h) whose two innermost dimensions are a plane transpose, the input contiguous
 * along the second-innermost (step 1) and strided along the innermost. The same bytes as
 * emu_strided_copy. */
#ifndef EMU_TRANSPOSE_DSP_H
#define EMU_TRANSPOSE_DSP_H

#include <stdint.h>

#include "strided_copy.h"

/* p->element is 1, p->strides[3] is 1 (emu/compile/ops/transpose.py's optimize checks both) */
void emu_transpose_s8_dsp(const emu_strided_copy_params *p, const int8_t *input, int8_t *output);

#endif
