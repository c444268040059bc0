/* SVDF, int8 with an int8 state, with SMLAD: the state shifted a word at a time, the feature
 * and time dot products four bytes per pair of SMLADs (dot_s8_dsp.h, svdf_steps.h). */
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
