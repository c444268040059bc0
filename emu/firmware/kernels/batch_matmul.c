/* BATCH_MATMUL kernels, float32, int8 and int16; see batch_matmul.h.
 *
 * int8 (TFLite quantization spec): the int32 sum of (lhs + lhs_offset) * (rhs + rhs_offset),
 * rescaled by one fixed-point multiplier, plus the output zero point, clamped to int8.
 * int16 (zero points 0): the same sum in int64, rescaled with a multiplier reduced to 16
 * bits, as TFLM's MultiplyByQuantizedMultiplier for 64-bit values does.
 */
#include "batch_matmul.h"

#include "emu_quant.h"

/* One matrix product per output batch: BODY computes out[i * cols + j] from a (lhs row,
 * rhs column) pair, given as pointers to their first elements. */
#define EMU_BATCH_MATMUL_WALK(T_IN, T_OUT, BODY)                                                       \
    do {                                                                                               \
        T_OUT *out = output;                                                                           \
        for (int32_t b0 = 0; b0 < p->batches[0]; ++b0) {                                               \
            for (int32_t b1 = 0; b1 < p->batches[1]; ++b1) {                                           \
                for (int32_t b2 = 0; b2 < p->batches[2]; ++b2) {                                       \
                    const T_IN *l = lhs + b0 * p->lhs_batch_step[0] + b1 * p->lhs_batch_step[1]        \
                                    + b2 * p->lhs_batch_step[2];                                       \
                    const T_IN *r = rhs + b0 * p->rhs_batch_step[0] + b1 * p->rhs_batch_step[1]        \
                                    + b2 * p->rhs_batch_step[2];                                       \
                    for (int32_t i = 0; i < p->rows; ++i) {                                            \
                        const T_IN *row = l + i * p->lhs_row_step;                                     \
                        for (int32_t j = 0; j < p->cols; ++j) {                                        \
                            const T_IN *col = r + j * p->rhs_col_step;                                 \
                            BODY;                                                                      \
                        }                                                                              \
                    }                                                                                  \
                }                                                                                      \
            }                                                                                          \
        }                                                                                              \
    } while (0)

void emu_batch_matmul_f32(const emu_batch_matmul_f32_params *p, const float *lhs, const float *rhs, float *output)
{
    const int32_t depth = p->depth, ls = p->lhs_depth_step, rs = p->rhs_depth_step;
    EMU_BATCH_MATMUL_WALK(float, float, {
        float total = 0.0f;
        for (int32_t k = 0; k < depth; ++k) {
            total += row[k * ls] * col[k * rs];
        }
        *out++ = total;
    });
}

void emu_batch_matmul_s8(const emu_batch_matmul_int_params *p, const int8_t *lhs, const int8_t *rhs,
                         int8_t *output)
{
    const int32_t depth = p->depth, ls = p->lhs_depth_step, rs = p->rhs_depth_step;
    const int32_t lo = p->lhs_offset, ro = p->rhs_offset, zero = p->output_offset;
    const int32_t multiplier = p->multiplier;
    const int shift = (int)p->shift;
    EMU_BATCH_MATMUL_WALK(int8_t, int8_t, {
        int32_t total = 0;
        for (int32_t k = 0; k < depth; ++k) {
            total += (row[k * ls] + lo) * (col[k * rs] + ro);
        }
        *out++ = (int8_t)emu_clamp_i32(emu_multiply_by_quantized_multiplier(total, multiplier, shift) + zero, -128,
                                       127);
    });
}

/* TFLM's MultiplyByQuantizedMultiplier(int64_t x, ...): the multiplier rounded to 16 bits,
 * one rounding shift. The lowering guarantees shift < 15. */
static inline int32_t rescale64(int64_t x, int32_t multiplier, int shift)
{
    const int32_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
    const int total_shift = 15 - shift;
    return (int32_t)((x * reduced + ((int64_t)1 << (total_shift - 1))) >> total_shift);
}

void emu_batch_matmul_s16(const emu_batch_matmul_int_params *p, const int16_t *lhs, const int16_t *rhs,
                          int16_t *output)
{
    const int32_t depth = p->depth, ls = p->lhs_depth_step, rs = p->rhs_depth_step;
    const int32_t zero = p->output_offset;
    const int32_t multiplier = p->multiplier;
    const int shift = (int)p->shift;
    EMU_BATCH_MATMUL_WALK(int16_t, int16_t, {
        int64_t total = 0;
        for (int32_t k = 0; k < depth; ++k) {
            total += (int32_t)row[k * ls] * col[k * rs];
        }
        *out++ = (int16_t)emu_clamp_i32(rescale64(total, multiplier, shift) + zero, -32768, 32767);
    });
}
