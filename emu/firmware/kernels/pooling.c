/* Pooling kernels, int8, int16 and float32 (and L2 pooling, float32 only, as in TFLM).
 *
 * A window is clipped to the image: padded positions are not part of it, so an average
 * divides by the number of pixels actually inside. The int8 average sums the raw int8
 * values and divides rounding half away from zero; every result is then clamped to the
 * fused activation's range.
 */
#include "pooling.h"

#include <float.h>
#include <math.h>

#include "emu_quant.h"
#include "pool_window.h"

/* Every pool: each window's values v (read as ACC) folded into `acc` from INIT by STEP, then
 * RESULT (of acc and the window's pixel count, `count`) written. The integer pools are one body
 * for int8 and int16, whose arithmetic in TFLM is the same (a window's sum stays in int32). */
#define EMU_POOL(name, T, ACC, INIT, STEP, RESULT)                                                   \
    void name(const emu_pool_params *p, const T *input, T *output)                                  \
    {                                                                                               \
        for (int b = 0; b < p->batches; ++b) {                                                      \
            for (int oy = 0; oy < p->output_h; ++oy) {                                              \
                for (int ox = 0; ox < p->output_w; ++ox, output += p->channels) {                   \
                    const pool_window w = pool_window_at(p, b, oy, ox);                             \
                    const int32_t count = (int32_t)w.rows * w.cols;                                 \
                    (void)count;                                                                    \
                    for (int c = 0; c < p->channels; ++c) {                                         \
                        const T *row = input + w.start + c;                                         \
                        ACC acc = (INIT);                                                           \
                        for (int y = 0; y < w.rows; ++y, row += w.row_step) {                       \
                            const T *x = row;                                                       \
                            for (int i = 0; i < w.cols; ++i, x += p->channels) {                    \
                                const ACC v = *x;                                                   \
                                acc = (STEP);                                                       \
                            }                                                                       \
                        }                                                                           \
                        output[c] = (RESULT);                                                       \
                    }                                                                               \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
    }

#define INTEGER_AVERAGE(T) (T)emu_clamp_i32(pool_divide_rounding(acc, count), p->act_min, p->act_max)
#define INTEGER_MAX(T) (T)emu_clamp_i32(acc, p->act_min, p->act_max)
#define FLOAT_RESULT(value) emu_clamp_f32((value), p->act_min_f32, p->act_max_f32)

EMU_POOL(emu_average_pool_s8, int8_t, int32_t, 0, acc + v, INTEGER_AVERAGE(int8_t))
EMU_POOL(emu_max_pool_s8, int8_t, int32_t, INT8_MIN, v > acc ? v : acc, INTEGER_MAX(int8_t))
EMU_POOL(emu_average_pool_s16, int16_t, int32_t, 0, acc + v, INTEGER_AVERAGE(int16_t))
EMU_POOL(emu_max_pool_s16, int16_t, int32_t, INT16_MIN, v > acc ? v : acc, INTEGER_MAX(int16_t))
EMU_POOL(emu_average_pool_f32, float, float, 0.0f, acc + v, FLOAT_RESULT(acc / (float)count))
EMU_POOL(emu_max_pool_f32, float, float, -FLT_MAX, v > acc ? v : acc, FLOAT_RESULT(acc))
/* L2_POOL_2D: the square root of the mean of the squares, as TFLM's reference computes it. */
EMU_POOL(emu_l2_pool_f32, float, float, 0.0f, acc + v * v, FLOAT_RESULT(sqrtf(acc / (float)count)))
