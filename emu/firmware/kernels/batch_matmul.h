/* BATCH_MATMUL: out[b][i][j] = sum over k of lhs[b][i][k] * rhs[b][k][j], for each batch b.
 *
 * emu/compile/ops/batch_matmul.py describes the operands by steps, in elements: the adjoint
 * flags (adj_x, adj_y) become the steps along rows, columns and depth, and a batch dimension
 * an operand broadcasts has step 0, so no operand is ever transposed or copied. Batches are
 * at most three dimensions (ranks up to 5, TFLM's limit); the output is row-major
 * [batch...][rows][cols]. Sums run over k in order, as TFLM's do.
 */
#ifndef EMU_BATCH_MATMUL_H
#define EMU_BATCH_MATMUL_H

#include <stdint.h>

#define EMU_BATCH_MATMUL_GEOMETRY                                                       \
    int32_t batches[3];                       /* output batch extents, outermost first */ \
    int32_t lhs_batch_step[3], rhs_batch_step[3];                                        \
    int32_t rows, cols, depth;                                                           \
    int32_t lhs_row_step, lhs_depth_step;     /* lhs[i][k] at i * row + k * depth */     \
    int32_t rhs_depth_step, rhs_col_step      /* rhs[k][j] at k * depth + j * col */

typedef struct {
    EMU_BATCH_MATMUL_GEOMETRY;
} emu_batch_matmul_f32_params;

typedef struct {
    EMU_BATCH_MATMUL_GEOMETRY;
    int32_t lhs_offset, rhs_offset;  /* minus the zero points (int16: 0) */
    int32_t output_offset;           /* output zero point */
    int32_t multiplier, shift;       /* lhs_scale * rhs_scale / output_scale */
} emu_batch_matmul_int_params;

void emu_batch_matmul_f32(const emu_batch_matmul_f32_params *p, const float *lhs, const float *rhs, float *output);
void emu_batch_matmul_s8(const emu_batch_matmul_int_params *p, const int8_t *lhs, const int8_t *rhs,
                         int8_t *output);
/* int16 with an int64 accumulator, rescaled as TFLM rescales 64-bit sums */
void emu_batch_matmul_s16(const emu_batch_matmul_int_params *p, const int16_t *lhs, const int16_t *rhs,
                          int16_t *output);

#endif
