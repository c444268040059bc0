/* BATCH_MATMUL, int8, with Helium (MVE): the API of emu_batch_matmul_s8 (batch_matmul.h) plus
 * scratch, the same integers where the compiler picks it (emu/compile/ops/batch_matmul.py). */
#ifndef EMU_BATCH_MATMUL_MVE_H
#define EMU_BATCH_MATMUL_MVE_H

#include "batch_matmul.h"

/* scratch: (rows + cols) x (4 + depth) bytes, as emu_batch_matmul_s8_dsp's */
void emu_batch_matmul_s8_mve(const emu_batch_matmul_int_params *p, const int8_t *lhs, const int8_t *rhs,
                             int8_t *output, void *scratch);

#endif
