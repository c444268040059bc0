/* ADD_N and CUMSUM; see running_sums.h. */
#include "running_sums.h"

#include "emu_quant.h"

/* An int8 input value rescaled for the sum (p is either operator's params). */
#define SCALED_INPUT(p, value)                                                                           \
    emu_multiply_by_quantized_multiplier(((p)->input1_offset + (value)) * (1 << (p)->left_shift),      \
                                         (p)->input1_multiplier, (p)->input1_shift)

/* A sum taken back to the output's int8 values. */
#define OUTPUT_S8(p, sum)                                                                                \
    ((int8_t)emu_clamp_i32(emu_multiply_by_quantized_multiplier((sum), (p)->output_multiplier,          \
                                                                (p)->output_shift) + (p)->output_offset, \
                           INT8_MIN, INT8_MAX))

void emu_add_n_f32(const emu_add_n_f32_params *p, const void *const *inputs, float *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        float sum = 0.0f;
        for (int32_t k = 0; k < p->count; k++) {
            sum += ((const float *)inputs[k])[i];
        }
        output[i] = sum;
    }
}

void emu_add_n_s8(const emu_add_n_s8_params *p, const void *const *inputs, int8_t *output)
{
    const int32_t start = SCALED_INPUT(p, 0);
    for (int32_t i = 0; i < p->size; i++) {
        int32_t sum = start;
        for (int32_t k = 0; k < p->count; k++) {
            sum += SCALED_INPUT(p, ((const int8_t *)inputs[k])[i]);
        }
        output[i] = OUTPUT_S8(p, sum);
    }
}

/* Element offsets of one CUMSUM line: its first element in walking order and the step. */
static inline void cumsum_line(int32_t inner, int32_t depth, int32_t reverse, int32_t line, int32_t *first,
                               int32_t *step)
{
    const int32_t o = line / inner, i = line % inner;
    const int32_t start = o * depth * inner + i;
    *step = reverse ? -inner : inner;
    *first = reverse ? start + (depth - 1) * inner : start;
}

void emu_cumsum_f32(const emu_cumsum_f32_params *p, const float *input, float *output)
{
    for (int32_t line = 0; line < p->outer * p->inner; line++) {
        int32_t at, step;
        cumsum_line(p->inner, p->depth, p->reverse, line, &at, &step);
        float sum = 0.0f;
        for (int32_t d = 0; d < p->depth; d++, at += step) {
            const float x = input[at];
            if (p->exclusive) {
                output[at] = sum;
                sum += x;
            } else {
                sum += x;
                output[at] = sum;
            }
        }
    }
}

void emu_cumsum_s8(const emu_cumsum_s8_params *p, const int8_t *input, int8_t *output)
{
    const int32_t start = SCALED_INPUT(p, 0);
    for (int32_t line = 0; line < p->outer * p->inner; line++) {
        int32_t at, step;
        cumsum_line(p->inner, p->depth, p->reverse, line, &at, &step);
        int32_t sum = start;
        for (int32_t d = 0; d < p->depth; d++, at += step) {
            const int32_t x = SCALED_INPUT(p, input[at]);
            const int32_t before = sum;
            sum += x;
            output[at] = OUTPUT_S8(p, p->exclusive ? before : sum);
        }
    }
}
