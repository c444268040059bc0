/* The steps of the optimized int8 SVDF kernels (svdf_dsp.c, svdf_mve.c), which differ only in
 * how they shift the state and in the dot products they pass in; the arithmetic is that of
 * svdf.c's emu_svdf_s8 and emu_svdf_s8_s16 (TFLM's reference), the zero points folded into
 * per-filter sums. */
#ifndef EMU_SVDF_STEPS_H
#define EMU_SVDF_STEPS_H

#include "emu_quant.h"
#include "svdf_dsp.h"

/* acc plus the dot product of a[0..n) and b[0..n) */
typedef int32_t (*emu_svdf_dot_s8)(const int8_t *a, const int8_t *b, int32_t n, int32_t acc);
typedef int32_t (*emu_svdf_dot_s16)(const int16_t *a, const int16_t *b, int32_t n, int32_t acc);

/* The steps for a state (and time weights) of type T with range [LO, HI], as svdf.c's
 * EMU_SVDF_INTEGER: `dot` the int8 feature dot product, `dot_time` the T one. Inlined, so that
 * each kernel's dot products are inlined into its loops. */
#define EMU_SVDF_STEPS(NAME, T, LO, HI, DOT_TIME_TYPE)                                                               \
    static inline __attribute__((always_inline)) void NAME(                                                          \
        const emu_svdf_s8_fast_params *p, const int8_t *input, const int8_t *weights_feature, const T *weights_time, \
        const int32_t *bias, T *state, int8_t *output, int32_t *per_filter, emu_svdf_dot_s8 dot,                     \
        DOT_TIME_TYPE dot_time)                                                                                      \
    {                                                                                                                \
        const int32_t filters = p->filters, memory = p->memory, units = p->units;                                    \
        for (int32_t b = 0; b < p->batches; b++) {                                                                   \
            const int8_t *x = input + b * p->input_size;                                                             \
            T *column = state + b * filters * memory + (memory - 1);                                                 \
            for (int32_t f = 0; f < filters; f++) {                                                                  \
                int32_t acc = dot(weights_feature + f * p->input_size, x, p->input_size, p->feature_bias[f]);        \
                acc = emu_multiply_by_quantized_multiplier(acc, p->feature_multiplier, (int)p->feature_shift);       \
                column[f * memory] = (T)(p->state_zero_point + emu_clamp_i32(acc, LO, HI));                          \
            }                                                                                                        \
        }                                                                                                            \
        for (int32_t b = 0; b < p->batches; b++) {                                                                   \
            const T *s = state + b * filters * memory;                                                               \
            for (int32_t f = 0; f < filters; f++) {                                                                  \
                per_filter[b * filters + f] = dot_time(weights_time + f * memory, s + f * memory, memory,            \
                                                       p->time_bias[f]);                                             \
            }                                                                                                        \
        }                                                                                                            \
        for (int32_t b = 0; b < p->batches; b++) {                                                                   \
            const int32_t *from = per_filter + b * filters;                                                          \
            for (int32_t u = 0; u < units; u++) {                                                                    \
                int32_t acc = bias ? bias[u] : 0;                                                                    \
                for (int32_t r = 0; r < p->rank; r++) {                                                              \
                    acc += *from++;                                                                                  \
                }                                                                                                    \
                const int32_t y =                                                                                    \
                    emu_multiply_by_quantized_multiplier(acc, p->output_multiplier, (int)p->output_shift);           \
                output[b * units + u] = (int8_t)emu_clamp_i32(y + p->output_zero_point, -128, 127);                  \
            }                                                                                                        \
        }                                                                                                            \
    }

EMU_SVDF_STEPS(emu_svdf_s8_steps, int8_t, -128, 127, emu_svdf_dot_s8)
EMU_SVDF_STEPS(emu_svdf_s8_s16_steps, int16_t, -32768, 32767, emu_svdf_dot_s16)

#endif
