/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8, with Helium: the steps of lstm.c (lstm_s8_steps.h), whose
 * gates' dot products (nearly all of the layer's work) sum sixteen products per VMLADAVA
 * (emu_mve.h's emu_mve_dot). Integer sums do not depend on their order, and the rescales are
 * lstm.c's own, so the results are the reference kernel's. */
#include "lstm_mve.h"

#if defined(__ARM_FEATURE_MVE)

#include "emu_mve.h"
#include "lstm_s8_steps.h"

static int32_t dot_s8_mve(const int8_t *a, const int8_t *b, int32_t n, int32_t acc)
{
    return emu_mve_dot(a, b, n, acc);
}

void emu_lstm_s8_mve(const emu_lstm_s8_params *p, const int8_t *input, const void *const *weights,
                     int8_t *hidden, int16_t *cell, int8_t *output, void *scratch)
{
    emu_lstm_s8_steps(p, input, weights, hidden, cell, output, scratch, dot_s8_mve);
}

#else
typedef int emu_lstm_mve_needs_helium; /* the host build has no MVE: nothing to compile */
#endif
