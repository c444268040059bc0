/* MEAN; see mean.h. */
#include "mean.h"

#include "emu_quant.h"

/* The integer mean of element type T clamped to [lo, hi]: one body for int8 and int16, whose
 * arithmetic in TFLM is the same (an int32 sum and the 32-bit rescale). */
#define EMU_MEAN_INTEGER(name, params, T, lo, hi)                                                            \
    void name(const params *p, const T *input, T *output)                                                    \
    {                                                                                                        \
        int32_t kept[EMU_MEAN_MAX_RANK] = {0};                                                               \
        int32_t base = 0;                                                                                    \
        for (int32_t o = 0; o < p->outputs; o++) {                                                           \
            int32_t reduced[EMU_MEAN_MAX_RANK] = {0};                                                        \
            int32_t offset = base;                                                                           \
            int32_t sum = 0;                                                                                 \
            for (int32_t k = 0; k < p->count; k++) {                                                         \
                sum += input[offset];                                                                        \
                offset += emu_reduction_advance(reduced, p->reduced_rank, p->reduced_shape, p->reduced_stride); \
            }                                                                                                \
            sum -= p->input_zero_point * p->count;                                                           \
            const int32_t y =                                                                                \
                emu_multiply_by_quantized_multiplier(sum, p->multiplier, p->shift) + p->output_zero_point;   \
            output[o] = (T)emu_clamp_i32(y, lo, hi);                                                         \
            base += emu_reduction_advance(kept, p->kept_rank, p->kept_shape, p->kept_stride);                \
        }                                                                                                    \
    }

EMU_MEAN_INTEGER(emu_mean_s8, emu_mean_s8_params, int8_t, INT8_MIN, INT8_MAX)
EMU_MEAN_INTEGER(emu_mean_s16, emu_mean_s16_params, int16_t, INT16_MIN, INT16_MAX)

void emu_mean_f32(const emu_mean_f32_params *p, const float *input, float *output)
{
    int32_t kept[EMU_MEAN_MAX_RANK] = {0};
    int32_t base = 0;
    for (int32_t o = 0; o < p->outputs; o++) {
        int32_t reduced[EMU_MEAN_MAX_RANK] = {0};
        int32_t offset = base;
        float sum = 0.0f;
        for (int32_t k = 0; k < p->count; k++) {
            sum += input[offset];
            offset += emu_reduction_advance(reduced, p->reduced_rank, p->reduced_shape, p->reduced_stride);
        }
        output[o] = sum / p->divisor;
        base += emu_reduction_advance(kept, p->kept_rank, p->kept_shape, p->kept_stride);
    }
}
