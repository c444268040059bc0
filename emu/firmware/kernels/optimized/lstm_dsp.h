/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8 and 16x8, with the DSP extension: the APIs of emu_lstm_s8
 * and emu_lstm_s16 (lstm.h), the same integers. */
#ifndef EMU_LSTM_DSP_H
#define EMU_LSTM_DSP_H

#include "lstm.h"

void emu_lstm_s8_dsp(const emu_lstm_quant_params *p, const int8_t *input, const void *const *weights,
                     int8_t *hidden, int16_t *cell, int8_t *output, void *scratch);
void emu_lstm_s16_dsp(const emu_lstm_quant_params *p, const int16_t *input, const void *const *weights,
                      int16_t *hidden, int16_t *cell, int16_t *output, void *scratch);

#endif
