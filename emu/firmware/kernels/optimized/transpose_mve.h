/* TRANSPOSE of int8 with Helium (MVE): the walks emu_transpose_s8_dsp takes (transpose_dsp.h),
 * the same bytes as emu_strided_copy. */
#ifndef EMU_TRANSPOSE_MVE_H
#define EMU_TRANSPOSE_MVE_H

#include <stdint.h>

#include "strided_copy.h"

/* p->element is 1, p->strides[3] is 1 (emu/compile/ops/transpose.py's helium checks both) */
void emu_transpose_s8_mve(const emu_strided_copy_params *p, const int8_t *input, int8_t *output);

#endif
