/* SVDF, bit-exact with TFLM's reference kernel (svdf.cc, svdf_common.cc). */
#include "svdf.h"

#include "emu_quant.h"

/* The integer form for a state element type T with range [LO, HI]. TFLM clamps each feature
 * result to T's range before adding the state's zero point, then stores the sum as T (which
 * wraps if the zero point pushes it out of range: the same two's-complement truncation). The
 * fused activation is not applied: the output is clamped to the int8 range only, as TFLM does. */
#define EMU_SVDF_INTEGER(NAME, T, LO, HI)                                                        \
    void NAME(const emu_svdf_s8_params *p, const int8_t *input, const int8_t *weights_feature,   \
              const T *weights_time, const int32_t *bias, T *state, int8_t *output, void *scratch) \
    {                                                                                            \
        const int32_t filters = p->filters, memory = p->memory, units = p->units;                \
        int32_t *per_filter = (int32_t *)scratch;                                                \
        int32_t *per_unit = per_filter + p->batches * filters;                                   \
        const int32_t state_size = p->batches * filters * memory;                                \
        for (int32_t i = 0; i + 1 < state_size; i++) {                                           \
            state[i] = state[i + 1];                                                             \
        }                                                                                        \
        for (int32_t b = 0; b < p->batches; b++) {                                               \
            const int8_t *x = input + b * p->input_size;                                         \
            const int8_t *w = weights_feature;                                                   \
            T *column = state + b * filters * memory + (memory - 1);                             \
            for (int32_t f = 0; f < filters; f++) {                                              \
                int32_t acc = 0;                                                                 \
                for (int32_t c = 0; c < p->input_size; c++) {                                    \
                    acc += (int32_t)*w++ * ((int32_t)x[c] + p->input_offset);                    \
                }                                                                                \
                acc = emu_multiply_by_quantized_multiplier(acc, p->feature_multiplier,           \
                                                           (int)p->feature_shift);               \
                acc = emu_clamp_i32(acc, LO, HI);                                                \
                column[f * memory] = (T)(p->state_zero_point + acc);                             \
            }                                                                                    \
        }                                                                                        \
        for (int32_t b = 0; b < p->batches; b++) {                                               \
            const T *s = state + b * filters * memory;                                           \
            const T *w = weights_time;                                                           \
            for (int32_t f = 0; f < filters; f++) {                                              \
                int32_t acc = 0;                                                                 \
                for (int32_t m = 0; m < memory; m++) {                                           \
                    acc += (int32_t)*w++ * ((int32_t)*s++ - p->state_zero_point);                \
                }                                                                                \
                per_filter[b * filters + f] = acc;                                               \
            }                                                                                    \
        }                                                                                        \
        for (int32_t b = 0; b < p->batches; b++) {                                               \
            const int32_t *from = per_filter + b * filters;                                      \
            for (int32_t u = 0; u < units; u++) {                                                \
                int32_t acc = bias ? bias[u] : 0;                                                \
                for (int32_t r = 0; r < p->rank; r++) {                                          \
                    acc += *from++;                                                              \
                }                                                                                \
                per_unit[b * units + u] = acc;                                                   \
            }                                                                                    \
        }                                                                                        \
        for (int32_t i = 0; i < p->batches * units; i++) {                                       \
            int32_t y = emu_multiply_by_quantized_multiplier(per_unit[i], p->output_multiplier,  \
                                                             (int)p->output_shift);              \
            output[i] = (int8_t)emu_clamp_i32(y + p->output_zero_point, -128, 127);              \
        }                                                                                        \
    }

EMU_SVDF_INTEGER(emu_svdf_s8, int8_t, -128, 127)
EMU_SVDF_INTEGER(emu_svdf_s8_s16, int16_t, -32768, 32767)

void emu_svdf_f32(const emu_svdf_f32_params *p, const float *input, const float *weights_feature,
                  const float *weights_time, const float *bias, float *state, float *output,
                  void *scratch)
{
    const int32_t filters = p->filters, memory = p->memory, units = p->units;
    float *per_filter = (float *)scratch;
    const int32_t state_size = p->batches * filters * memory;
    for (int32_t i = 0; i + 1 < state_size; i++) {
        state[i] = state[i + 1];
    }
    for (int32_t b = 0; b < p->batches; b++) {
        const float *x = input + b * p->input_size;
        const float *w = weights_feature;
        float *column = state + b * filters * memory + (memory - 1);
        for (int32_t f = 0; f < filters; f++) {
            float acc = 0.0f;
            for (int32_t c = 0; c < p->input_size; c++) {
                acc += *w++ * x[c];
            }
            column[f * memory] = acc;
        }
    }
    for (int32_t b = 0; b < p->batches; b++) {
        const float *s = state + b * filters * memory;
        const float *w = weights_time;
        for (int32_t f = 0; f < filters; f++) {
            float acc = 0.0f;
            for (int32_t m = 0; m < memory; m++) {
                acc += *w++ * *s++;
            }
            per_filter[b * filters + f] = acc;
        }
    }
    for (int32_t b = 0; b < p->batches; b++) {
        const float *from = per_filter + b * filters;
        for (int32_t u = 0; u < units; u++) {
            float acc = bias ? bias[u] : 0.0f;
            for (int32_t r = 0; r < p->rank; r++) {
                acc += *from++;
            }
            output[b * units + u] = emu_clamp_f32(acc, p->act_min, p->act_max);
        }
    }
}
