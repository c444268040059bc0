/* BATCH_MATMUL, int8, with SMLAD.
 *
 * The reference sums (l + lhs_offset) x (r + rhs_offset) over the depth in int32. Expanded,
 * that is sum(l x r) + rhs_offset x sum(l) + lhs_offset x sum(r) + depth x lhs_offset x
 * rhs_offset: one plain int8 dot product per output (dot_s8_dsp.h, four bytes per pair of
 * SMLADs) plus a sum per lhs row and per rhs column. For each output batch, every lhs row and
 * rhs column is first copied into scratch as a contiguous run of depth bytes (whatever the
 * adjoint flags made their steps), with its sum. The compiler bounds the depth so that no
 * partial sum leaves int32 (emu/compile/ops/batch_matmul.py); the rescale is the reference's.
 */
#include "batch_matmul_dsp.h"

#include "dot_s8_dsp.h"
#include "emu_quant.h"

void emu_batch_matmul_runs(const int8_t *src, int32_t count, int32_t n, int32_t run_step, int32_t step, int8_t *dst,
                    int32_t *sums)
{
    for (int32_t r = 0; r < count; ++r) {
        const int8_t *from = src + r * run_step;
        int32_t sum = 0;
        for (int32_t k = 0; k < n; ++k) {
            const int8_t v = from[k * step];
            *dst++ = v;
            sum += v;
        }
        sums[r] = sum;
    }
}

void emu_batch_matmul_s8_dsp(const emu_batch_matmul_int_params *p, const int8_t *lhs, const int8_t *rhs,
                             int8_t *output, void *scratch)
{
    const int32_t rows = p->rows, cols = p->cols, depth = p->depth;
    const int32_t lo = p->lhs_offset, ro = p->rhs_offset, zero = p->output_offset;
    const int32_t multiplier = p->multiplier, constant = depth * lo * ro;
    const int shift = (int)p->shift;
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
                for (int32_t i = 0; i < rows; ++i) {
                    const int32_t row_part = constant + ro * row_sums[i];
                    const int8_t *row = row_runs + i * depth;
                    for (int32_t j = 0; j < cols; ++j) {
                        const int32_t total = emu_dot_s8_smlad(row, col_runs + j * depth, depth,
                                                               row_part + lo * col_sums[j]);
                        const int32_t y = emu_multiply_by_quantized_multiplier(total, multiplier, shift) + zero;
                        *out++ = (int8_t)emu_clamp_i32(y, -128, 127);
                    }
                }
            }
        }
    }
}
