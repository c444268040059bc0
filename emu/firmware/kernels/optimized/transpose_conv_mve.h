/* TRANSPOSE_CONV, int8, with Helium (MVE): the API of emu_transpose_conv_s8 (transpose_conv.h)
 * plus scratch, the same integers where the compiler picks it
 * (emu/compile/ops/transpose_conv.py). */
#ifndef EMU_TRANSPOSE_CONV_MVE_H
#define EMU_TRANSPOSE_CONV_MVE_H

#include "transpose_conv.h"

/* bias may be NULL; scratch: output_c x filter_h x filter_w int32 values */
void emu_transpose_conv_s8_mve(const emu_transpose_conv_s8_params *p, const int8_t *input, const int8_t *filter,
                               const int32_t *bias, int8_t *output, void *scratch);

#endif
