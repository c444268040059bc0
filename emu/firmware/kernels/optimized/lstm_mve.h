/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8 and 16x8, with Helium (MVE): the APIs of emu_lstm_s8 and
 * emu_lstm_s16 (lstm.h), the same integers. */
#ifndef EMU_LSTM_MVE_H
#define EMU_LSTM_MVE_H

#include "lstm.h"

void emu_lstm_s8_mve(const emu_lstm_quant_params *p, const int8_t *input, const void *const *weights,
                     int8_t *hidden, int16_t *cell, int8_t *output, void *scratch);
void emu_lstm_s16_mve(const emu_lstm_quant_params *p, const int16_t *input, const void *const *weights,
                      int16_t *hidden, int16_t *cell, int16_t *output, void *scratch);

#endif
