/* REDUCE_MAX; see reduce_max.h. */
#include "reduce_max.h"

#include <float.h>

#define EMU_REDUCE_MAX_WALK(T, LOWEST)                                                          \
    do {                                                                                        \
        int32_t kept[EMU_MEAN_MAX_RANK] = {0};                                                  \
        int32_t base = 0;                                                                       \
        for (int32_t o = 0; o < p->outputs; o++) {                                              \
            int32_t reduced[EMU_MEAN_MAX_RANK] = {0};                                           \
            int32_t offset = base;                                                              \
            T best = (LOWEST);                                                                  \
            for (int32_t k = 0; k < p->count; k++) {                                            \
                const T v = input[offset];                                                      \
                best = v > best ? v : best;                                                     \
                offset += emu_reduction_advance(reduced, p->reduced_rank, p->reduced_shape,     \
                                                p->reduced_stride);                             \
            }                                                                                   \
            output[o] = best;                                                                   \
            base += emu_reduction_advance(kept, p->kept_rank, p->kept_shape, p->kept_stride);   \
        }                                                                                       \
    } while (0)

void emu_reduce_max_s8(const emu_reduce_max_params *p, const int8_t *input, int8_t *output)
{
    EMU_REDUCE_MAX_WALK(int8_t, INT8_MIN);
}

void emu_reduce_max_f32(const emu_reduce_max_params *p, const float *input, float *output)
{
    EMU_REDUCE_MAX_WALK(float, -FLT_MAX);
}
