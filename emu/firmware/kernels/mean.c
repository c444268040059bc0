/* MEAN; see mean.h. */
#include "mean.h"

#include "emu_quant.h"

void emu_mean_s8(const emu_mean_s8_params *p, const int8_t *input, int8_t *output)
{
    int32_t kept[EMU_MEAN_MAX_RANK] = {0};
    int32_t base = 0;
    for (int32_t o = 0; o < p->outputs; o++) {
        int32_t reduced[EMU_MEAN_MAX_RANK] = {0};
        int32_t offset = base;
        int32_t sum = 0;
        for (int32_t k = 0; k < p->count; k++) {
            sum += input[offset];
            offset += emu_reduction_advance(reduced, p->reduced_rank, p->reduced_shape, p->reduced_stride);
        }
        sum -= p->input_zero_point * p->count;
        const int32_t y = emu_multiply_by_quantized_multiplier(sum, p->multiplier, p->shift) + p->output_zero_point;
        output[o] = (int8_t)emu_clamp_i32(y, INT8_MIN, INT8_MAX);
        base += emu_reduction_advance(kept, p->kept_rank, p->kept_shape, p->kept_stride);
    }
}

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
        output[o] = sum / (float)p->count;
        base += emu_reduction_advance(kept, p->kept_rank, p->kept_shape, p->kept_stride);
    }
}
