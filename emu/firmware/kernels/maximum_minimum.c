/* MAXIMUM and MINIMUM with broadcasting; see maximum_minimum.h. */
#include "maximum_minimum.h"

#include "elementwise_runs.h"

/* One innermost run and its entry point for each operator and type. The comparisons are TFLM's
 * (a > b ? a : b and a < b ? a : b), which also decide which input a float NaN comes from. */
#define MAXMIN(name, suffix, type, pick)                                                              \
    static void name##_##suffix##_run(const emu_maximum_minimum_params *p, const type *a, int32_t step_a, \
                                      const type *b, int32_t step_b, type *out, int32_t n)            \
    {                                                                                                 \
        (void)p;                                                                                      \
        for (int32_t i = 0; i < n; i++) {                                                             \
            const type x = a[i * step_a], y = b[i * step_b];                                          \
            out[i] = pick;                                                                            \
        }                                                                                             \
    }                                                                                                 \
                                                                                                      \
    void emu_##name##_##suffix(const emu_maximum_minimum_params *p, const type *input1, const type *input2, \
                               type *output)                                                          \
    {                                                                                                 \
        FOR_EACH_RUN(p, p, input1, input2, output, name##_##suffix##_run);                            \
    }

#define MAXMIN_TYPE(suffix, type)                \
    MAXMIN(maximum, suffix, type, x > y ? x : y) \
    MAXMIN(minimum, suffix, type, x < y ? x : y)

MAXMIN_TYPE(s8, int8_t)
MAXMIN_TYPE(s16, int16_t)
MAXMIN_TYPE(s32, int32_t)
MAXMIN_TYPE(s64, int64_t)
MAXMIN_TYPE(f32, float)
