/* UNIDIRECTIONAL_SEQUENCE_LSTM: an LSTM layer over a sequence, without peepholes,
 * projection or layer normalization (the form TFLM runs). For each batch and time step:
 *
 *   gate_g = act_g(W_g x + b_g + R_g h)   for g in input, forget, cell, output
 *   c = f * c + i * cell_gate  (clipped to +-cell_clip when it is set)
 *   h = o * tanh(c), and h is the step's output
 *
 * with act = sigmoid, except the cell gate's (the layer's activation, tanh or sigmoid). h and c
 * are variable tensors: they carry over from one inference to the next. Model-dependent
 * constants come from emu/compile/ops/unidirectional_sequence_lstm.py.
 *
 * Gates are indexed in TFLM's tensor order: 0 input, 1 forget, 2 cell, 3 output. `weights`
 * holds the 4 input weights [units][input_size] then the 4 recurrent weights [units][units];
 * `biases` the 4 gate biases [units] (float32; the integer forms have them folded in their params).
 */
#ifndef EMU_LSTM_H
#define EMU_LSTM_H

#include <stdint.h>

typedef struct {
    int32_t batches, steps, input_size, units, time_major;
    int32_t cell_gate_sigmoid; /* 1: the cell gate's activation is sigmoid, 0: tanh */
    /* per gate and unit: bias - input zero point * sum(input weights), and
     * - hidden zero point * sum(recurrent weights): int32 in the int8 form, int64 in the 16x8
     * one (the other pair NULL) */
    const int32_t *input_bias, *recurrent_bias;
    const int64_t *input_bias_s64, *recurrent_bias_s64;
    /* each gate's two fully connected layers -> int16 with scale 2^-12 */
    int32_t input_multiplier[4], input_shift[4];
    int32_t recurrent_multiplier[4], recurrent_shift[4];
    int32_t forget_multiplier, forget_shift; /* forget gate * cell state -> cell state */
    int32_t update_multiplier, update_shift; /* input gate * cell gate -> cell state */
    int32_t hidden_multiplier, hidden_shift, hidden_zero_point; /* output gate * tanh(cell) -> h */
    int32_t cell_tanh_multiplier, cell_tanh_shift; /* the cell state into tanh's Q3.12 input */
    int32_t cell_clip;                             /* quantized; negative: no clipping */
} emu_lstm_quant_params; /* the int8 and the 16x8 forms */

typedef struct {
    int32_t batches, steps, input_size, units, time_major;
    int32_t cell_gate_sigmoid;
    float cell_clip; /* 0: no clipping */
} emu_lstm_f32_params;

/* int8 input, output and hidden state; int16 cell state; int8 weights, int32 biases.
 * scratch: 4 * units int16 values. */
void emu_lstm_s8(const emu_lstm_quant_params *p, const int8_t *input, const void *const *weights,
                 int8_t *hidden, int16_t *cell, int8_t *output, void *scratch);
/* 16x8: int16 input, output, hidden and cell state; int8 weights, int64 biases.
 * scratch: 4 * units int16 values. */
void emu_lstm_s16(const emu_lstm_quant_params *p, const int16_t *input, const void *const *weights,
                  int16_t *hidden, int16_t *cell, int16_t *output, void *scratch);
/* scratch: 4 * units floats. */
void emu_lstm_f32(const emu_lstm_f32_params *p, const float *input, const void *const *weights,
                  const void *const *biases, float *hidden, float *cell, float *output, void *scratch);

#endif
