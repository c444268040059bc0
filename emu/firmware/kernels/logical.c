/* The logical operators; see logical.h. */
#include "logical.h"

#include "elementwise_runs.h"

static void and_run(const emu_logical_params *p, const uint8_t *a, int32_t step_a, const uint8_t *b, int32_t step_b,
                    uint8_t *out, int32_t n)
{
    (void)p;
    for (int32_t i = 0; i < n; i++) {
        out[i] = (uint8_t)(a[i * step_a] && b[i * step_b]);
    }
}

static void or_run(const emu_logical_params *p, const uint8_t *a, int32_t step_a, const uint8_t *b, int32_t step_b,
                   uint8_t *out, int32_t n)
{
    (void)p;
    for (int32_t i = 0; i < n; i++) {
        out[i] = (uint8_t)(a[i * step_a] || b[i * step_b]);
    }
}

void emu_logical_and(const emu_logical_params *p, const uint8_t *input1, const uint8_t *input2, uint8_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, and_run);
}

void emu_logical_or(const emu_logical_params *p, const uint8_t *input1, const uint8_t *input2, uint8_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, or_run);
}

void emu_logical_not(const emu_logical_not_params *p, const uint8_t *input, uint8_t *output)
{
    for (int32_t i = 0; i < p->count; i++) {
        output[i] = (uint8_t)!input[i];
    }
}

void emu_reduce_all(const emu_reduce_all_params *p, const uint8_t *input, uint8_t *output)
{
    int32_t kept[EMU_MEAN_MAX_RANK] = {0};
    int32_t base = 0;
    for (int32_t o = 0; o < p->outputs; o++) {
        int32_t reduced[EMU_MEAN_MAX_RANK] = {0};
        int32_t offset = base;
        uint8_t all = 1;
        for (int32_t k = 0; k < p->count && all; k++) {
            all = input[offset] != 0;
            offset += emu_reduction_advance(reduced, p->reduced_rank, p->reduced_shape, p->reduced_stride);
        }
        output[o] = all;
        base += emu_reduction_advance(kept, p->kept_rank, p->kept_shape, p->kept_stride);
    }
}
