/* SVDF, int8, with Helium (svdf_steps.h). With an int8 state: the state shifted sixteen bytes at
 * a time, the feature and time dot products sixteen bytes per VMLADAVA (emu_mve.h's
 * emu_mve_dot). With an int16 state (and int16 time weights): the state shifted eight values
 * at a time, the time dot products eight int16 products per VMLADAVA.S16, whose 32-bit sum
 * wraps as the reference's int32 sum does; the feature dot products as with an int8 state. */
#include "svdf_mve.h"

#if defined(__ARM_FEATURE_MVE)

#include "emu_mve.h"
#include "svdf_steps.h"

static inline __attribute__((always_inline)) int32_t dot_s8_mve(const int8_t *a, const int8_t *b, int32_t n, int32_t acc)
{
    return emu_mve_dot(a, b, n, acc);
}

/* state[i] = state[i + 1] for every i but the last: each vector loaded one byte on, before the
 * store that overwrites its first byte. */
static void shift_state(int8_t *state, int32_t size)
{
    int32_t i = 0;
    for (; i + 17 <= size; i += 16) {
        vstrbq_s8(state + i, vldrbq_s8(state + i + 1));
    }
    for (; i + 1 < size; i++) {
        state[i] = state[i + 1];
    }
}

static inline __attribute__((always_inline)) int32_t dot_s16_mve(const int16_t *a, const int16_t *b, int32_t n,
                                                                  int32_t acc)
{
    int32_t k = 0;
    for (; k + 8 <= n; k += 8) {
        acc = vmladavaq_s16(acc, vldrhq_s16(a + k), vldrhq_s16(b + k));
    }
    if (k < n) {
        const mve_pred16_t p = vctp16q((uint32_t)(n - k));
        acc = vmladavaq_p_s16(acc, vldrhq_z_s16(a + k, p), vldrhq_z_s16(b + k, p), p);
    }
    return acc;
}

/* The same for an int16 state: eight values per vector. */
static void shift_state_s16(int16_t *state, int32_t size)
{
    int32_t i = 0;
    for (; i + 9 <= size; i += 8) {
        vstrhq_s16(state + i, vldrhq_s16(state + i + 1));
    }
    for (; i + 1 < size; i++) {
        state[i] = state[i + 1];
    }
}

void emu_svdf_s8_mve(const emu_svdf_s8_fast_params *p, const int8_t *input, const int8_t *weights_feature,
                     const int8_t *weights_time, const int32_t *bias, int8_t *state, int8_t *output, void *scratch)
{
    shift_state(state, p->batches * p->filters * p->memory);
    emu_svdf_s8_steps(p, input, weights_feature, weights_time, bias, state, output, (int32_t *)scratch, dot_s8_mve,
                      dot_s8_mve);
}

void emu_svdf_s8_s16_mve(const emu_svdf_s8_fast_params *p, const int8_t *input, const int8_t *weights_feature,
                         const int16_t *weights_time, const int32_t *bias, int16_t *state, int8_t *output,
                         void *scratch)
{
    shift_state_s16(state, p->batches * p->filters * p->memory);
    emu_svdf_s8_s16_steps(p, input, weights_feature, weights_time, bias, state, output, (int32_t *)scratch,
                          dot_s8_mve, dot_s16_mve);
}

#else
typedef int emu_svdf_mve_needs_helium; /* the host build has no MVE: nothing to compile */
#endif
