/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8, with SMLAD: the steps of lstm.c (lstm_steps.h), whose gates' dot
 * products (nearly all of the layer's work) take four weights and four inputs per pair of
 * SMLADs. Integer sums do not depend on their order, and the rescales are lstm.c's own, so
 * the results are the reference kernel's. */
#include "lstm_dsp.h"

#include "dot_s8_dsp.h"
#include "lstm_steps.h"

/* The steps take the dot product by pointer; this is the shared SMLAD one, inlined here. */
static int32_t dot_s8_smlad(const int8_t *a, const int8_t *b, int32_t n, int32_t acc)
{
    return emu_dot_s8_smlad(a, b, n, acc);
}

void emu_lstm_s8_dsp(const emu_lstm_quant_params *p, const int8_t *input, const void *const *weights,
                     int8_t *hidden, int16_t *cell, int8_t *output, void *scratch)
{
    emu_lstm_quant_steps(p, input, weights, hidden, cell, output, scratch, dot_s8_smlad, NULL);
}
