/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8 and 16x8, with Helium: the steps of lstm.c (lstm_steps.h),
 * whose gates' dot products (nearly all of the layer's work) are vector sums: int8, sixteen
 * products per VMLADAVA (emu_mve.h's emu_mve_dot); 16x8, eight int16 inputs against eight
 * weights widened by their load (VLDRB.S16) per VMLALDAVA, summed straight into a 64-bit
 * accumulator. Integer sums do not depend on their order, and the rescales are lstm.c's own,
 * so the results are the reference kernel's. */
#include "lstm_mve.h"

#if defined(__ARM_FEATURE_MVE)

#include <arm_mve.h>

#include "emu_mve.h"
#include "lstm_steps.h"

static int32_t dot_s8_mve(const int8_t *a, const int8_t *b, int32_t n, int32_t acc)
{
    return emu_mve_dot(a, b, n, acc);
}

/* x . w over n values, exact: the last n % 8 under a predicate. */
static int64_t dot_s16_mve(const int16_t *x, const int8_t *w, int32_t n)
{
    int64_t acc = 0;
    int32_t k = 0;
    for (; k + 8 <= n; k += 8) {
        acc = vmlaldavaq_s16(acc, vldrhq_s16(x + k), vldrbq_s16(w + k));
    }
    if (k < n) {
        const mve_pred16_t p = vctp16q((uint32_t)(n - k));
        acc = vmlaldavaq_p_s16(acc, vldrhq_z_s16(x + k, p), vldrbq_z_s16(w + k, p), p);
    }
    return acc;
}

void emu_lstm_s8_mve(const emu_lstm_quant_params *p, const int8_t *input, const void *const *weights,
                     int8_t *hidden, int16_t *cell, int8_t *output, void *scratch)
{
    emu_lstm_quant_steps(p, input, weights, hidden, cell, output, scratch, dot_s8_mve, NULL);
}

void emu_lstm_s16_mve(const emu_lstm_quant_params *p, const int16_t *input, const void *const *weights,
                      int16_t *hidden, int16_t *cell, int16_t *output, void *scratch)
{
    emu_lstm_quant_steps(p, input, weights, hidden, cell, output, scratch, NULL, dot_s16_mve);
}

#else
typedef int emu_lstm_mve_needs_helium; /* the host build has no MVE: nothing to compile */
#endif
