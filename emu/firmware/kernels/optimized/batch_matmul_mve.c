/* BATCH_MATMUL, int8, with Helium (MVE).
 *
 * The sums are batch_matmul_dsp.c's, expanded the same way: sum(l x r) + rhs_offset x sum(l)
 * + lhs_offset x sum(r) + depth x lhs_offset x rhs_offset, over the lhs rows and rhs columns
 * that emu_batch_matmul_runs copies into scratch as contiguous runs with their sums. The plain
 * int8 dot products are VMLADAVA over sixteen bytes at a time, four columns per pass sharing
 * each load of the row (emu_mve_dot_four, as the FULLY_CONNECTED kernel's four units); the
 * four sums are rescaled together by emu_mve.h, a last cols % 4 columns one at a time with
 * emu_dsp.h's scalar form of the same rescale. The compiler picks this kernel only where that
 * rescale is exact for every sum the operands can give (and where the DSP kernel's bound on
 * the partial sums holds).
 */
#include "batch_matmul_mve.h"

#if defined(__ARM_FEATURE_MVE)

#include "batch_matmul_dsp.h"
#include "emu_dsp.h"
#include "emu_mve.h"

void emu_batch_matmul_s8_mve(const emu_batch_matmul_int_params *p, const int8_t *lhs, const int8_t *rhs,
                             int8_t *output, void *scratch)
{
    const int32_t rows = p->rows, cols = p->cols, depth = p->depth, grouped = cols & ~3;
    const int32_t lo = p->lhs_offset, ro = p->rhs_offset, zero = p->output_offset, constant = depth * lo * ro;
    const emu_dsp_rescale scalar = emu_dsp_rescale_for(p->multiplier, (int)p->shift);
    const int32x4_t multiplier = vdupq_n_s32(p->multiplier), shift = vdupq_n_s32(p->shift);
    const int32x4_t low = vdupq_n_s32(-128), high = vdupq_n_s32(127);
    int32_t *row_sums = (int32_t *)scratch, *col_sums = row_sums + rows;
    int8_t *row_runs = (int8_t *)(col_sums + cols), *col_runs = row_runs + rows * depth;
    int8_t *out = output;
    for (int32_t b0 = 0; b0 < p->batches[0]; ++b0) {
        for (int32_t b1 = 0; b1 < p->batches[1]; ++b1) {
            for (int32_t b2 = 0; b2 < p->batches[2]; ++b2) {
                const int8_t *l = lhs + b0 * p->lhs_batch_step[0] + b1 * p->lhs_batch_step[1] +
                                  b2 * p->lhs_batch_step[2];
                const int8_t *r = rhs + b0 * p->rhs_batch_step[0] + b1 * p->rhs_batch_step[1] +
                                  b2 * p->rhs_batch_step[2];
                emu_batch_matmul_runs(l, rows, depth, p->lhs_row_step, p->lhs_depth_step, row_runs, row_sums);
                emu_batch_matmul_runs(r, cols, depth, p->rhs_col_step, p->rhs_depth_step, col_runs, col_sums);
                for (int32_t i = 0; i < rows; ++i, out += cols) {
                    const int32_t row_part = constant + ro * row_sums[i];
                    const int8_t *row = row_runs + i * depth;
                    for (int32_t j = 0; j < grouped; j += 4) {
                        const int32x4_t parts = vaddq_n_s32(vmulq_n_s32(vldrwq_s32(col_sums + j), lo), row_part);
                        const int32x4_t acc = emu_mve_dot_four(row, col_runs + j * depth, depth, parts);
                        vstrbq_s32(out + j, emu_mve_output_lanes(acc, multiplier, shift, zero, low, high));
                    }
                    for (int32_t j = grouped; j < cols; ++j) {
                        const int32_t acc = emu_mve_dot(row, col_runs + j * depth, depth, row_part + lo * col_sums[j]);
                        out[j] = (int8_t)emu_dsp_output(&scalar, acc, zero, -128, 127);
                    }
                }
            }
        }
    }
}

#else
typedef int emu_batch_matmul_mve_needs_helium; /* the host build has no MVE: nothing to compile */
#endif
