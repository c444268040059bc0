/* BATCH_MATMUL, int8, with the DSP extension: the API of emu_batch_matmul_s8 (batch_matmul.h)
 * plus scratch, the same integers. */
#ifndef EMU_BATCH_MATMUL_DSP_H
#define EMU_BATCH_MATMUL_DSP_H

#include "batch_matmul.h"

/* scratch: (rows + cols) x (4 + depth) bytes */
void emu_batch_matmul_s8_dsp(const emu_batch_matmul_int_params *p, const int8_t *lhs, const int8_t *rhs,
                             int8_t *output, void *scratch);

#endif
