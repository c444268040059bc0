/* SVDF, int8, with SMLAD (svdf_steps.h). With an int8 state: the state shifted a word at a
 * time, the feature and time dot products four bytes per pair of SMLADs (dot_s8_dsp.h). With an
 * int16 state (and int16 time weights): the state shifted two values a word, the time dot
 * products two int16 products per SMLAD, whose 32-bit sum wraps as the reference's int32 sum
 * does; the feature dot products as with an int8 state. */
#include "svdf_dsp.h"

#include <string.h>

#include "dot_s8_dsp.h"
#include "svdf_steps.h"

/* state[i] = state[i + 1] for every i but the last: each word read (unaligned) one byte on,
 * before the store that overwrites its first byte. */
static void shift_state(int8_t *state, int32_t size)
{
    int32_t i = 0;
    for (; i + 5 <= size; i += 4) {
        const uint32_t v = emu_read_u32(state + i + 1);
        memcpy(state + i, &v, sizeof v);
    }
    for (; i + 1 < size; i++) {
        state[i] = state[i + 1];
    }
}

void emu_svdf_s8_dsp(const emu_svdf_s8_fast_params *p, const int8_t *input, const int8_t *weights_feature,
                     const int8_t *weights_time, const int32_t *bias, int8_t *state, int8_t *output, void *scratch)
{
    shift_state(state, p->batches * p->filters * p->memory);
    emu_svdf_s8_steps(p, input, weights_feature, weights_time, bias, state, output, (int32_t *)scratch,
                      emu_dot_s8_smlad, emu_dot_s8_smlad);
}

/* acc plus the dot product of a[0..n) and b[0..n): a word of two values from each side per
 * SMLAD, an odd last value alone; every sum modulo 2^32, as SMLAD's. */
static inline __attribute__((always_inline)) int32_t dot_s16_smlad(const int16_t *a, const int16_t *b, int32_t n,
                                                                   int32_t acc)
{
    for (; n >= 2; n -= 2, a += 2, b += 2) {
        acc = emu_smlad(emu_read_u32((const int8_t *)a), emu_read_u32((const int8_t *)b), acc);
    }
    if (n > 0) {
        acc = (int32_t)((uint32_t)acc + (uint32_t)((int32_t)*a * *b));
    }
    return acc;
}

/* The same shift for an int16 state: two values a word. */
static void shift_state_s16(int16_t *state, int32_t size)
{
    int32_t i = 0;
    for (; i + 3 <= size; i += 2) {
        const uint32_t v = emu_read_u32((const int8_t *)(state + i + 1));
        memcpy(state + i, &v, sizeof v);
    }
    for (; i + 1 < size; i++) {
        state[i] = state[i + 1];
    }
}

void emu_svdf_s8_s16_dsp(const emu_svdf_s8_fast_params *p, const int8_t *input, const int8_t *weights_feature,
                         const int16_t *weights_time, const int32_t *bias, int16_t *state, int8_t *output,
                         void *scratch)
{
    shift_state_s16(state, p->batches * p->filters * p->memory);
    emu_svdf_s8_s16_steps(p, input, weights_feature, weights_time, bias, state, output, (int32_t *)scratch,
                          emu_dot_s8_smlad, dot_s16_smlad);
}
