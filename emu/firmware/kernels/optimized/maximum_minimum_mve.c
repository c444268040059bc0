/* MAXIMUM and MINIMUM, int8 and int16, with Helium: the broadcast walked as in
 * maximum_minimum.c (elementwise_runs.h), each innermost run whose inputs are contiguous or
 * broadcast (steps 1 or 0) a vector at a time, 16 int8 or 8 int16 lanes by VMAX / VMIN (for
 * integers the same as TFLM's a > b ? a : b). The last n % lanes elements, and runs of other
 * steps, one at a time as the reference does. */
#include "maximum_minimum_mve.h"

#if defined(__ARM_FEATURE_MVE)

#include <arm_mve.h>

#include "elementwise_runs.h"

#define MVE_RUN(name, type, lanes, load, dup, vector_pick, pick)                                        \
    static void name(const emu_maximum_minimum_params *p, const type *a, int32_t step_a, const type *b,  \
                     int32_t step_b, type *out, int32_t n)                                             \
    {                                                                                                  \
        (void)p;                                                                                       \
        int32_t i = 0;                                                                                 \
        if ((step_a == 0 || step_a == 1) && (step_b == 0 || step_b == 1)) {                            \
            for (; i + (lanes) <= n; i += (lanes)) {                                                   \
                const __typeof__(load(a)) x = step_a ? load(a + i) : dup(a[0]);                        \
                const __typeof__(load(a)) y = step_b ? load(b + i) : dup(b[0]);                        \
                vst1q(out + i, vector_pick);                                                           \
            }                                                                                          \
        }                                                                                              \
        for (; i < n; i++) {                                                                           \
            const type x = a[i * step_a], y = b[i * step_b];                                           \
            out[i] = pick;                                                                             \
        }                                                                                              \
    }

MVE_RUN(maximum_s8_run, int8_t, 16, vld1q_s8, vdupq_n_s8, vmaxq_s8(x, y), x > y ? x : y)
MVE_RUN(minimum_s8_run, int8_t, 16, vld1q_s8, vdupq_n_s8, vminq_s8(x, y), x < y ? x : y)
MVE_RUN(maximum_s16_run, int16_t, 8, vld1q_s16, vdupq_n_s16, vmaxq_s16(x, y), x > y ? x : y)
MVE_RUN(minimum_s16_run, int16_t, 8, vld1q_s16, vdupq_n_s16, vminq_s16(x, y), x < y ? x : y)

void emu_maximum_s8_mve(const emu_maximum_minimum_params *p, const int8_t *input1, const int8_t *input2,
                        int8_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, maximum_s8_run);
}

void emu_minimum_s8_mve(const emu_maximum_minimum_params *p, const int8_t *input1, const int8_t *input2,
                        int8_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, minimum_s8_run);
}

void emu_maximum_s16_mve(const emu_maximum_minimum_params *p, const int16_t *input1, const int16_t *input2,
                         int16_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, maximum_s16_run);
}

void emu_minimum_s16_mve(const emu_maximum_minimum_params *p, const int16_t *input1, const int16_t *input2,
                         int16_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, minimum_s16_run);
}

#else
typedef int emu_maximum_minimum_mve_needs_helium; /* the host build has no MVE: nothing to compile */
#endif
