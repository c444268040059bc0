/* ADD and MUL with broadcasting; see elementwise.h. */
#include "elementwise.h"

#include "emu_quant.h"

/* Position in the output's outer dimensions (all but the innermost) and the matching
 * element offsets into both inputs. */
typedef struct {
    int32_t index[EMU_BROADCAST_MAX_RANK];
    int32_t offset1, offset2;
} cursor;

/* Advances to the next innermost run, like an odometer over the outer dimensions. */
static void cursor_next(cursor *c, int32_t rank, const int32_t *shape, const int32_t *stride1,
                        const int32_t *stride2)
{
    for (int32_t d = rank - 2; d >= 0; d--) {
        c->index[d]++;
        c->offset1 += stride1[d];
        c->offset2 += stride2[d];
        if (c->index[d] < shape[d]) {
            return;
        }
        c->offset1 -= stride1[d] * shape[d];
        c->offset2 -= stride2[d] * shape[d];
        c->index[d] = 0;
    }
}

static int32_t outer_runs(int32_t rank, const int32_t *shape)
{
    int32_t n = 1;
    for (int32_t d = 0; d < rank - 1; d++) {
        n *= shape[d];
    }
    return n;
}

/* Walks the output one innermost run at a time: `run` sees pointers to the run's first
 * elements and the inputs' steps along it (0 for a broadcast input). */
#define FOR_EACH_RUN(p, in1, in2, out, run)                                                   \
    do {                                                                                      \
        cursor c_ = {{0}, 0, 0};                                                              \
        const int32_t inner_ = (p)->shape[(p)->rank - 1];                                     \
        const int32_t step1_ = (p)->stride1[(p)->rank - 1];                                   \
        const int32_t step2_ = (p)->stride2[(p)->rank - 1];                                   \
        const int32_t runs_ = outer_runs((p)->rank, (p)->shape);                              \
        for (int32_t r_ = 0; r_ < runs_; r_++) {                                              \
            run((p), (in1) + c_.offset1, step1_, (in2) + c_.offset2, step2_, (out) + r_ * inner_, \
                inner_);                                                                      \
            cursor_next(&c_, (p)->rank, (p)->shape, (p)->stride1, (p)->stride2);              \
        }                                                                                     \
    } while (0)

static void add_s8_run(const emu_add_s8_params *p, const int8_t *a, int32_t step_a, const int8_t *b,
                       int32_t step_b, int8_t *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        const int32_t x = (p->input1_offset + a[i * step_a]) * (1 << p->left_shift);
        const int32_t y = (p->input2_offset + b[i * step_b]) * (1 << p->left_shift);
        const int32_t sum = emu_multiply_by_quantized_multiplier(x, p->input1_multiplier, p->input1_shift) +
                            emu_multiply_by_quantized_multiplier(y, p->input2_multiplier, p->input2_shift);
        const int32_t result =
            emu_multiply_by_quantized_multiplier(sum, p->output_multiplier, p->output_shift) + p->output_offset;
        out[i] = (int8_t)emu_clamp_i32(result, p->act_min, p->act_max);
    }
}

static void mul_s8_run(const emu_mul_s8_params *p, const int8_t *a, int32_t step_a, const int8_t *b,
                       int32_t step_b, int8_t *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        const int32_t product = (p->input1_offset + a[i * step_a]) * (p->input2_offset + b[i * step_b]);
        const int32_t result =
            emu_multiply_by_quantized_multiplier(product, p->output_multiplier, p->output_shift) + p->output_offset;
        out[i] = (int8_t)emu_clamp_i32(result, p->act_min, p->act_max);
    }
}

static void add_f32_run(const emu_binary_f32_params *p, const float *a, int32_t step_a, const float *b,
                        int32_t step_b, float *out, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        out[i] = emu_clamp_f32(a[i * step_a] + b[i * step_b], p->act_min, p->act_max);
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
    FOR_EACH_RUN(p, input1, input2, output, add_s8_run);
}

void emu_mul_s8(const emu_mul_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    FOR_EACH_RUN(p, input1, input2, output, mul_s8_run);
}

void emu_add_f32(const emu_binary_f32_params *p, const float *input1, const float *input2, float *output)
{
    FOR_EACH_RUN(p, input1, input2, output, add_f32_run);
}

void emu_mul_f32(const emu_binary_f32_params *p, const float *input1, const float *input2, float *output)
{
    FOR_EACH_RUN(p, input1, input2, output, mul_f32_run);
}
