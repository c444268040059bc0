/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8, with Helium (MVE): the API of emu_lstm_s8 (lstm.h), the
 * same integers. */
#ifndef EMU_LSTM_MVE_H
#define EMU_LSTM_MVE_H

#include "lstm.h"

void emu_lstm_s8_mve(const emu_lstm_s8_params *p, const int8_t *input, const void *const *weights,
                     int8_t *hidden, int16_t *cell, int8_t *output, void *scratch);

#endif
