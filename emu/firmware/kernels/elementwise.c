/* ADD, SUB and MUL with broadcasting; see elementwise.h. */
#include "elementwise.h"

#include "elementwise_runs.h"
#include "emu_quant.h"

/* The integer runs of element type T: one body for int8 and int16, whose arithmetic in TFLM
 * is the same (int16 ADD and SUB take its general path, with the left shift 15, whatever the
 * model's pot_scale_int16 option says; int16 MUL has zero points 0, so its product stays below
 * 2^30). ADD, or SUB when `subtract`: TFLM's SUB rescales both inputs exactly as ADD does and
 * subtracts the rescaled second input (negating its multiplier instead would round
 * differently). Inlined with a constant, so each operator gets its own loop. */
#define EMU_ELEMENTWISE_INTEGER(suffix, T)                                                                   \
    static inline void add_sub_##suffix##_run(const emu_add_s8_params *p, const T *a, int32_t step_a,      \
                                              const T *b, int32_t step_b, T *out, int32_t n, int subtract) \
    {                                                                                                     \
        for (int32_t i = 0; i < n; i++) {                                                                 \
            const int32_t x = (p->input1_offset + a[i * step_a]) * (1 << p->left_shift);                  \
            const int32_t y = (p->input2_offset + b[i * step_b]) * (1 << p->left_shift);                  \
            const int32_t scaled_x =                                                                      \
                emu_multiply_by_quantized_multiplier(x, p->input1_multiplier, p->input1_shift);           \
            const int32_t scaled_y =                                                                      \
                emu_multiply_by_quantized_multiplier(y, p->input2_multiplier, p->input2_shift);           \
            const int32_t sum = subtract ? scaled_x - scaled_y : scaled_x + scaled_y;                     \
            const int32_t result =                                                                        \
                emu_multiply_by_quantized_multiplier(sum, p->output_multiplier, p->output_shift) +        \
                p->output_offset;                                                                         \
            out[i] = (T)emu_clamp_i32(result, p->act_min, p->act_max);                                   \
        }                                                                                                 \
    }                                                                                                     \
                                                                                                          \
    static void add_##suffix##_run(const emu_add_s8_params *p, const T *a, int32_t step_a, const T *b,    \
                                   int32_t step_b, T *out, int32_t n)                                     \
    {                                                                                                     \
        add_sub_##suffix##_run(p, a, step_a, b, step_b, out, n, 0);                                       \
    }                                                                                                     \
                                                                                                          \
    static void sub_##suffix##_run(const emu_add_s8_params *p, const T *a, int32_t step_a, const T *b,    \
                                   int32_t step_b, T *out, int32_t n)                                     \
    {                                                                                                     \
        add_sub_##suffix##_run(p, a, step_a, b, step_b, out, n, 1);                                       \
    }                                                                                                     \
                                                                                                          \
    static void mul_##suffix##_run(const emu_mul_s8_params *p, const T *a, int32_t step_a, const T *b,    \
                                   int32_t step_b, T *out, int32_t n)                                     \
    {                                                                                                     \
        for (int32_t i = 0; i < n; i++) {                                                                 \
            const int32_t product = (p->input1_offset + a[i * step_a]) * (p->input2_offset + b[i * step_b]); \
            const int32_t result =                                                                        \
                emu_multiply_by_quantized_multiplier(product, p->output_multiplier, p->output_shift) +    \
                p->output_offset;                                                                         \
            out[i] = (T)emu_clamp_i32(result, p->act_min, p->act_max);                                    \
        }                                                                                                 \
    }

EMU_ELEMENTWISE_INTEGER(s8, int8_t)
EMU_ELEMENTWISE_INTEGER(s16, int16_t)

static void add_f32_run(const emu_binary_f32_params *p, const float *a, int32_t step_a, const float *b,
                        int32_t step_b, float *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        out[i] = emu_clamp_f32(a[i * step_a] + b[i * step_b], p->act_min, p->act_max);
    }
}

static void sub_f32_run(const emu_binary_f32_params *p, const float *a, int32_t step_a, const float *b,
                        int32_t step_b, float *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        out[i] = emu_clamp_f32(a[i * step_a] - b[i * step_b], p->act_min, p->act_max);
    }
}

static void mul_f32_run(const emu_binary_f32_params *p, const float *a, int32_t step_a, const float *b,
                        int32_t step_b, float *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        out[i] = emu_clamp_f32(a[i * step_a] * b[i * step_b], p->act_min, p->act_max);
    }
}

void emu_add_s8(const emu_add_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, add_s8_run);
}

void emu_sub_s8(const emu_add_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, sub_s8_run);
}

void emu_add_s16(const emu_add_s8_params *p, const int16_t *input1, const int16_t *input2, int16_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, add_s16_run);
}

void emu_sub_s16(const emu_add_s8_params *p, const int16_t *input1, const int16_t *input2, int16_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, sub_s16_run);
}

void emu_mul_s16(const emu_mul_s8_params *p, const int16_t *input1, const int16_t *input2, int16_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, mul_s16_run);
}

void emu_mul_s8(const emu_mul_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, mul_s8_run);
}

void emu_add_f32(const emu_binary_f32_params *p, const float *input1, const float *input2, float *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, add_f32_run);
}

void emu_sub_f32(const emu_binary_f32_params *p, const float *input1, const float *input2, float *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, sub_f32_run);
}

void emu_mul_f32(const emu_binary_f32_params *p, const float *input1, const float *input2, float *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, mul_f32_run);
}

/* The int32 runs: the arithmetic in uint32, where it wraps (TFLM's WrappingMul for MUL; its
 * ADD and SUB wrap on its targets too), then the clamp. One body, inlined per operator. */
#define S32_RUN(name, op)                                                                                   \
    static void name##_s32_run(const emu_binary_s32_params *p, const int32_t *a, int32_t step_a,            \
                               const int32_t *b, int32_t step_b, int32_t *out, int32_t n)                   \
    {                                                                                                     \
        for (int32_t i = 0; i < n; i++) {                                                                 \
            const int32_t value = (int32_t)((uint32_t)a[i * step_a] op (uint32_t)b[i * step_b]);          \
            out[i] = emu_clamp_i32(value, p->act_min, p->act_max);                                        \
        }                                                                                                 \
    }                                                                                                     \
                                                                                                          \
    void emu_##name##_s32(const emu_binary_s32_params *p, const int32_t *input1, const int32_t *input2,   \
                          int32_t *output)                                                                \
    {                                                                                                     \
        FOR_EACH_RUN(p, p, input1, input2, output, name##_s32_run);                                       \
    }

S32_RUN(add, +)
S32_RUN(sub, -)
S32_RUN(mul, *)
