/* BATCH_MATMUL, int8, with the DSP extension: the API of emu_batch_matmul_s8 (batch_matmul.h)
 * plus scratch, the same integers. */
#ifndef EMU_BATCH_MATMUL_DSP_H
#define EMU_BATCH_MATMUL_DSP_H

#include "batch_matmul.h"

/* count runs of n elements, element k of run r at src[r * run_step + k * step], copied to dst
 * one after another; each run's sum into sums[r]. The lhs rows and rhs columns of one batch,
 * for this kernel and the Helium one (batch_matmul_mve.c). */
void emu_batch_matmul_runs(const int8_t *src, int32_t count, int32_t n, int32_t run_step, int32_t step, int8_t *dst,
                           int32_t *sums);

/* scratch: (rows + cols) x (4 + depth) bytes */
void emu_batch_matmul_s8_dsp(const emu_batch_matmul_int_params *p, const int8_t *lhs, const int8_t *rhs,
                             int8_t *output, void *scratch);

#endif
