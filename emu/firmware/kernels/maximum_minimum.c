/* MAXIMUM and MINIMUM with broadcasting; see maximum_minimum.h. */
#include "maximum_minimum.h"

#include "elementwise_runs.h"

/* One innermost run for each operator and type. The comparisons are TFLM's (a > b ? a : b
 * and a < b ? a : b), which also decide which input a float NaN comes from. */
#define MAXMIN_RUN(name, type, pick)                                                                  \
    static void name(const emu_maximum_minimum_params *p, const type *a, int32_t step_a, const type *b, \
                     int32_t step_b, type *out, int32_t n)                                            \
    {                                                                                                 \
        (void)p;                                                                                      \
        for (int32_t i = 0; i < n; i++) {                                                             \
            const type x = a[i * step_a], y = b[i * step_b];                                          \
            out[i] = pick;                                                                            \
        }                                                                                             \
    }

MAXMIN_RUN(maximum_s8_run, int8_t, x > y ? x : y)
MAXMIN_RUN(minimum_s8_run, int8_t, x < y ? x : y)
MAXMIN_RUN(maximum_s16_run, int16_t, x > y ? x : y)
MAXMIN_RUN(minimum_s16_run, int16_t, x < y ? x : y)
MAXMIN_RUN(maximum_f32_run, float, x > y ? x : y)
MAXMIN_RUN(minimum_f32_run, float, x < y ? x : y)

void emu_maximum_s8(const emu_maximum_minimum_params *p, const int8_t *input1, const int8_t *input2,
                    int8_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, maximum_s8_run);
}

void emu_minimum_s8(const emu_maximum_minimum_params *p, const int8_t *input1, const int8_t *input2,
                    int8_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, minimum_s8_run);
}

void emu_maximum_s16(const emu_maximum_minimum_params *p, const int16_t *input1, const int16_t *input2,
                     int16_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, maximum_s16_run);
}

void emu_minimum_s16(const emu_maximum_minimum_params *p, const int16_t *input1, const int16_t *input2,
                     int16_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, minimum_s16_run);
}

void emu_maximum_f32(const emu_maximum_minimum_params *p, const float *input1, const float *input2, float *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, maximum_f32_run);
}

void emu_minimum_f32(const emu_maximum_minimum_params *p, const float *input1, const float *input2, float *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, minimum_f32_run);
}
