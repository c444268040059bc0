/* REDUCE_MAX and REDUCE_MIN; see reduce_max.h. */
#include "reduce_max.h"

#include <float.h>

/* One walk for both: each output starts from the far end of the type's range (START) and
 * takes an element only when it compares strictly BEFORE (> for the maximum, < for the
 * minimum) the running value, as TFLM's reducers do. */
#define EMU_REDUCE_EXTREME_WALK(T, START, BEFORE)                                               \
    do {                                                                                        \
        int32_t kept[EMU_MEAN_MAX_RANK] = {0};                                                  \
        int32_t base = 0;                                                                       \
        for (int32_t o = 0; o < p->outputs; o++) {                                              \
            int32_t reduced[EMU_MEAN_MAX_RANK] = {0};                                           \
            int32_t offset = base;                                                              \
            T best = (START);                                                                   \
            for (int32_t k = 0; k < p->count; k++) {                                            \
                const T v = input[offset];                                                      \
                best = v BEFORE best ? v : best;                                                \
                offset += emu_reduction_advance(reduced, p->reduced_rank, p->reduced_shape,     \
                                                p->reduced_stride);                             \
            }                                                                                   \
            output[o] = best;                                                                   \
            base += emu_reduction_advance(kept, p->kept_rank, p->kept_shape, p->kept_stride);   \
        }                                                                                       \
    } while (0)

void emu_reduce_max_s8(const emu_reduce_max_params *p, const int8_t *input, int8_t *output)
{
    EMU_REDUCE_EXTREME_WALK(int8_t, INT8_MIN, >);
}

void emu_reduce_max_f32(const emu_reduce_max_params *p, const float *input, float *output)
{
    EMU_REDUCE_EXTREME_WALK(float, -FLT_MAX, >);
}

void emu_reduce_min_s8(const emu_reduce_max_params *p, const int8_t *input, int8_t *output)
{
    EMU_REDUCE_EXTREME_WALK(int8_t, INT8_MAX, <);
}

void emu_reduce_min_f32(const emu_reduce_max_params *p, const float *input, float *output)
{
    EMU_REDUCE_EXTREME_WALK(float, FLT_MAX, <);
}
