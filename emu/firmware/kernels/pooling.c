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

/* The integer average and max pools of element type T (lowest value `lowest`): one body for
 * int8 and int16, whose arithmetic in TFLM is the same (the sum of a window stays in int32). */
#define EMU_POOL_INTEGER(average, max_pool, T, lowest)                                                     \
    void average(const emu_pool_params *p, const T *input, T *output)                                   \
    {                                                                                                   \
        for (int b = 0; b < p->batches; ++b) {                                                          \
            for (int oy = 0; oy < p->output_h; ++oy) {                                                  \
                for (int ox = 0; ox < p->output_w; ++ox, output += p->channels) {                       \
                    const pool_window w = pool_window_at(p, b, oy, ox);                                 \
                    const int32_t count = (int32_t)w.rows * w.cols;                                     \
                    for (int c = 0; c < p->channels; ++c) {                                             \
                        const T *row = input + w.start + c;                                             \
                        int32_t sum = 0;                                                                \
                        for (int y = 0; y < w.rows; ++y, row += w.row_step) {                           \
                            const T *x = row;                                                           \
                            for (int i = 0; i < w.cols; ++i, x += p->channels) {                        \
                                sum += *x;                                                              \
                            }                                                                           \
                        }                                                                               \
                        output[c] = (T)emu_clamp_i32(pool_divide_rounding(sum, count), p->act_min,      \
                                                     p->act_max);                                       \
                    }                                                                                   \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
    }                                                                                                   \
                                                                                                        \
    void max_pool(const emu_pool_params *p, const T *input, T *output)                                  \
    {                                                                                                   \
        for (int b = 0; b < p->batches; ++b) {                                                          \
            for (int oy = 0; oy < p->output_h; ++oy) {                                                  \
                for (int ox = 0; ox < p->output_w; ++ox, output += p->channels) {                       \
                    const pool_window w = pool_window_at(p, b, oy, ox);                                 \
                    for (int c = 0; c < p->channels; ++c) {                                             \
                        const T *row = input + w.start + c;                                             \
                        int32_t max = (lowest);                                                         \
                        for (int y = 0; y < w.rows; ++y, row += w.row_step) {                           \
                            const T *x = row;                                                           \
                            for (int i = 0; i < w.cols; ++i, x += p->channels) {                        \
                                max = *x > max ? *x : max;                                              \
                            }                                                                           \
                        }                                                                               \
                        output[c] = (T)emu_clamp_i32(max, p->act_min, p->act_max);                      \
                    }                                                                                   \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
    }

EMU_POOL_INTEGER(emu_average_pool_s8, emu_max_pool_s8, int8_t, INT8_MIN)
EMU_POOL_INTEGER(emu_average_pool_s16, emu_max_pool_s16, int16_t, INT16_MIN)

/* The float32 pools: each window's values folded into `acc` from INIT by STEP (which sees the
 * value v), then RESULT (of acc and the window's pixel count) clamped. */
#define EMU_POOL_F32(name, INIT, STEP, RESULT)                                                      \
    void name(const emu_pool_params *p, const float *input, float *output)                          \
    {                                                                                               \
        for (int b = 0; b < p->batches; ++b) {                                                      \
            for (int oy = 0; oy < p->output_h; ++oy) {                                              \
                for (int ox = 0; ox < p->output_w; ++ox, output += p->channels) {                   \
                    const pool_window w = pool_window_at(p, b, oy, ox);                             \
                    const int32_t count = (int32_t)w.rows * w.cols;                                 \
                    for (int c = 0; c < p->channels; ++c) {                                         \
                        const float *row = input + w.start + c;                                     \
                        float acc = (INIT);                                                         \
                        for (int y = 0; y < w.rows; ++y, row += w.row_step) {                       \
                            const float *x = row;                                                   \
                            for (int i = 0; i < w.cols; ++i, x += p->channels) {                    \
                                const float v = *x;                                                 \
                                acc = (STEP);                                                       \
                            }                                                                       \
                        }                                                                           \
                        output[c] = emu_clamp_f32((RESULT), p->act_min_f32, p->act_max_f32);        \
                    }                                                                               \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
    }

EMU_POOL_F32(emu_average_pool_f32, 0.0f, acc + v, acc / (float)count)
EMU_POOL_F32(emu_max_pool_f32, -FLT_MAX, v > acc ? v : acc, acc)
/* L2_POOL_2D: the square root of the mean of the squares, as TFLM's reference computes it. */
EMU_POOL_F32(emu_l2_pool_f32, 0.0f, acc + v * v, sqrtf(acc / (float)count))
