/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8 and 16x8, with the DSP extension: the steps of lstm.c
 * (lstm_steps.h), whose gates' dot products (nearly all of the layer's work) take four
 * weights and four inputs at a time. int8: a pair of SMLADs (the shared dot_s8_dsp.h). 16x8:
 * the word of four weights widened by SXTB16 into (w0, w2) and, rotated, (w1, w3), each met
 * by the two words of four int16 inputs through SMLABB, SMLATB and SMLATT, with no
 * repacking; the products summed in int32 over runs of EMU_S16_RUN (which cannot overflow),
 * each run then joining the 64-bit total. Integer sums do not depend on their order, and the
 * rescales are lstm.c's own, so the results are the reference kernel's. */
#include "lstm_dsp.h"

#include "dot_s8_dsp.h"
#include "lstm_steps.h"

/* The steps take the dot product by pointer; this is the shared SMLAD one, inlined here. */
static int32_t dot_s8_smlad(const int8_t *a, const int8_t *b, int32_t n, int32_t acc)
{
    return emu_dot_s8_smlad(a, b, n, acc);
}

/* x . w over n values, exact. */
static int64_t dot_s16_dsp(const int16_t *x, const int8_t *w, int32_t n)
{
    int64_t total = 0;
    while (n >= 4) {
        int32_t run = (n < EMU_S16_RUN ? n : EMU_S16_RUN) >> 2;
        n -= run << 2;
        int32_t acc = 0;
        for (; run > 0; --run, x += 4, w += 4) {
            const uint32_t x01 = emu_read_u32((const int8_t *)x), x23 = emu_read_u32((const int8_t *)(x + 2));
            const uint32_t weights = emu_read_u32(w);
            const uint32_t even = emu_sxtb16(weights), odd = emu_sxtb16_ror8(weights); /* (w0, w2), (w1, w3) */
            acc = emu_smlabb(x01, even, acc);  /* x0 w0 */
            acc = emu_smlatb(x01, odd, acc);   /* x1 w1 */
            acc = emu_smlatb(even, x23, acc);  /* w2 x2 */
            acc = emu_smlatt(x23, odd, acc);   /* x3 w3 */
        }
        total += acc;
    }
    for (; n > 0; n--) {
        total += (int32_t)*x++ * *w++;
    }
    return total;
}

void emu_lstm_s8_dsp(const emu_lstm_quant_params *p, const int8_t *input, const void *const *weights,
                     int8_t *hidden, int16_t *cell, int8_t *output, void *scratch)
{
    emu_lstm_quant_steps(p, input, weights, hidden, cell, output, scratch, dot_s8_smlad, NULL);
}

void emu_lstm_s16_dsp(const emu_lstm_quant_params *p, const int16_t *input, const void *const *weights,
                      int16_t *hidden, int16_t *cell, int16_t *output, void *scratch)
{
    emu_lstm_quant_steps(p, input, weights, hidden, cell, output, scratch, NULL, dot_s16_dsp);
}
