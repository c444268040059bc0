/* ARG_MAX and ARG_MIN; see arg_min_max.h. */
#include "arg_min_max.h"

/* One function per element type and direction: `better(a, b)` is true when a replaces b. */
#define EMU_ARG_MIN_MAX(name, type, better)                                               \
    void name(const emu_arg_min_max_params *p, const type *input, int32_t *output)          \
    {                                                                                       \
        for (int32_t o = 0; o < p->outer; o++) {                                            \
            const type *block = input + (int32_t)(o * p->axis_size * p->inner);             \
            for (int32_t i = 0; i < p->inner; i++) {                                        \
                type best = block[i];                                                       \
                int32_t best_index = 0;                                                     \
                for (int32_t k = 1; k < p->axis_size; k++) {                                \
                    const type value = block[k * p->inner + i];                             \
                    if (better(value, best)) {                                              \
                        best = value;                                                       \
                        best_index = k;                                                     \
                    }                                                                       \
                }                                                                           \
                *output++ = best_index;                                                     \
            }                                                                               \
        }                                                                                   \
    }

#define EMU_GREATER(a, b) ((a) > (b))
#define EMU_LESS(a, b) ((a) < (b))

EMU_ARG_MIN_MAX(emu_arg_max_s8, int8_t, EMU_GREATER)
EMU_ARG_MIN_MAX(emu_arg_min_s8, int8_t, EMU_LESS)
EMU_ARG_MIN_MAX(emu_arg_max_f32, float, EMU_GREATER)
EMU_ARG_MIN_MAX(emu_arg_min_f32, float, EMU_LESS)
