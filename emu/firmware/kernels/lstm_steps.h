/* The steps of the integer UNIDIRECTIONAL_SEQUENCE_LSTM, int8 and 16x8 (int16 activations, int8
 * weights), shared by lstm.c and the optimized kernels (optimized/lstm_dsp.c, lstm_mve.c),
 * which differ only in the dot product they pass in. The two forms differ only in the gates'
 * fully connected layers (int8 inputs summed in int32 with int32 biases, or int16 inputs
 * summed in int64 with int64 biases and TFLM's 64-bit rescale) and in the hidden state's
 * type; from the gates' Q3.12 sums on, TFLM runs the same int16 arithmetic for both. */
#ifndef EMU_LSTM_STEPS_H
#define EMU_LSTM_STEPS_H

#include <stddef.h>

#include "emu_quant.h"
#include "lstm.h"

/* acc + sum a[i] * b[i] over n int8 pairs */
typedef int32_t (*emu_lstm_dot_s8)(const int8_t *a, const int8_t *b, int32_t n, int32_t acc);
/* sum x[i] * w[i] over n int16 values and int8 weights, exact in int64 */
typedef int64_t (*emu_lstm_dot_s16)(const int16_t *x, const int8_t *w, int32_t n);

/* sigmoid(i / 24) in unsigned 0.16 fixed point, i = 0..255: the table TFLM's int16 LOGISTIC
 * and TANH interpolate (tensorflow/lite/kernels/internal/common.h). Its values are not all
 * the rounded function, so they are listed rather than computed: the same integers give
 * the same results. */
static const uint16_t sigmoid_q16[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
    40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
    47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
    53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
    60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
    62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
    63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
    64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
    65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
    65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
    65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
    65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
    65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
    65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65535,
};

static int16_t saturate_i16(int32_t x)
{
    return (int16_t)emu_clamp_i32(x, INT16_MIN, INT16_MAX);
}

/* Sigmoid of a Q3.12 value, in Q0.15: |x| * 3/4 (the table spans [0, 10.7)) interpolated
 * between entries 2^9 apart, with the symmetry sigmoid(-x) = 1 - sigmoid(x). Inlined into
 * each form's gate: a call per unit would cost more than its arithmetic. */
static inline __attribute__((always_inline)) int16_t sigmoid_q15(int16_t x)
{
    const int32_t scaled = (int32_t)x * 3;
    const uint32_t magnitude = (uint32_t)(scaled < 0 ? -scaled : scaled);
    const uint32_t index = magnitude >> 9;
    uint32_t result;
    if (index >= 255) {
        result = 0x7FFFu << 10;
    } else {
        const uint32_t a = sigmoid_q16[index], b = sigmoid_q16[index + 1];
        result = (a << 9) + (magnitude & 0x1FFu) * (b - a);
    }
    result = scaled >= 0 ? result + (1u << 9) : (1u << 25) - result + (1u << 9) - 1u;
    return (int16_t)(result >> 10);
}

/* Tanh in Q0.15 by tanh(x) = 2 sigmoid(2x) - 1, of x * multiplier >> shift (rounded): the
 * input's scale brought to Q3.12 and the table's 3/4 folded into the multiplier. */
static int16_t tanh_q15(int16_t x, int32_t multiplier, int32_t shift)
{
    const int32_t round = shift > 0 ? (int32_t)1 << (shift - 1) : 0;
    const int32_t scaled = ((int32_t)x * multiplier + round) >> shift;
    const uint32_t magnitude = (uint32_t)(scaled < 0 ? -scaled : scaled);
    const uint32_t index = magnitude >> 8;
    int32_t result;
    if (index >= 255) {
        result = 0xFFFF << 8;
    } else {
        const uint32_t a = sigmoid_q16[index], b = sigmoid_q16[index + 1];
        result = (int32_t)((a << 8) + (magnitude & 0xFFu) * (b - a));
    }
    result = scaled >= 0 ? result - (1 << 23) + (1 << 7) : -result + (1 << 23) + (1 << 7) - 1;
    return (int16_t)(result >> 8);
}

/* One unit of one fully connected layer of a gate, rescaled to int16 (Q3.12): the unit's
 * weights w[0..n) against x plus its folded bias (the zero points' terms, exact in the
 * accumulator's type, as TFLM's sums). int8 when dot8 is given, else 16x8 with dot16. */
static inline __attribute__((always_inline)) int16_t gate_fc(const void *x, const int8_t *w, int32_t n,
                                                             const void *bias, int32_t u, int32_t multiplier,
                                                             int32_t shift, emu_lstm_dot_s8 dot8,
                                                             emu_lstm_dot_s16 dot16)
{
    if (dot8) {
        const int32_t acc = dot8(w, (const int8_t *)x, n, ((const int32_t *)bias)[u]);
        return saturate_i16(emu_multiply_by_quantized_multiplier(acc, multiplier, (int)shift));
    }
    const int64_t acc = ((const int64_t *)bias)[u] + dot16((const int16_t *)x, w, n);
    return saturate_i16(emu_multiply_by_quantized_multiplier_s64(acc, multiplier, (int)shift));
}

/* One gate for one row: the input and recurrent fully connected layers, their saturating
 * sum, and the activation, in place in `gate`. */
static inline __attribute__((always_inline)) void gate_quant(const emu_lstm_quant_params *p, int g, const void *x,
                                                             const void *h, const void *const *weights,
                                                             int16_t *gate, int16_t *recurrent, int sigmoid,
                                                             emu_lstm_dot_s8 dot8, emu_lstm_dot_s16 dot16)
{
    const int32_t units = p->units, input_size = p->input_size;
    const int8_t *w = (const int8_t *)weights[g];
    const int8_t *r = (const int8_t *)weights[4 + g];
    const void *input_bias = dot8 ? (const void *)(p->input_bias + g * units)
                                  : (const void *)(p->input_bias_s64 + g * units);
    const void *recurrent_bias = dot8 ? (const void *)(p->recurrent_bias + g * units)
                                      : (const void *)(p->recurrent_bias_s64 + g * units);
    for (int32_t u = 0; u < units; u++) {
        gate[u] = gate_fc(x, w, input_size, input_bias, u, p->input_multiplier[g], p->input_shift[g], dot8, dot16);
        w += input_size;
        recurrent[u] = gate_fc(h, r, units, recurrent_bias, u, p->recurrent_multiplier[g], p->recurrent_shift[g],
                               dot8, dot16);
        r += units;
    }
    for (int32_t u = 0; u < units; u++) {
        const int16_t sum = saturate_i16((int32_t)gate[u] + recurrent[u]);
        gate[u] = sigmoid ? sigmoid_q15(sum) : tanh_q15(sum, 3, 0);
    }
}

/* gate_quant of each form, as one function each that the steps call four times: a file's
 * calls all pass the same dot product, so the compiler builds each with its dot product in
 * place rather than a copy of the gate at every call. */
static __attribute__((unused)) void gate_s8(const emu_lstm_quant_params *p, int g, const void *x, const void *h,
                                            const void *const *weights, int16_t *gate, int16_t *recurrent,
                                            int sigmoid, emu_lstm_dot_s8 dot)
{
    gate_quant(p, g, x, h, weights, gate, recurrent, sigmoid, dot, NULL);
}

static __attribute__((unused)) void gate_s16(const emu_lstm_quant_params *p, int g, const void *x, const void *h,
                                             const void *const *weights, int16_t *gate, int16_t *recurrent,
                                             int sigmoid, emu_lstm_dot_s16 dot)
{
    gate_quant(p, g, x, h, weights, gate, recurrent, sigmoid, NULL, dot);
}

/* The gate of the form the steps run: dot8 given, int8; else 16x8. */
static inline __attribute__((always_inline)) void gate(const emu_lstm_quant_params *p, int g, const void *x,
                                                       const void *h, const void *const *weights, int16_t *out,
                                                       int16_t *recurrent, int sigmoid, emu_lstm_dot_s8 dot8,
                                                       emu_lstm_dot_s16 dot16)
{
    if (dot8) {
        gate_s8(p, g, x, h, weights, out, recurrent, sigmoid, dot8);
    } else {
        gate_s16(p, g, x, h, weights, out, recurrent, sigmoid, dot16);
    }
}

static int32_t step_index(const emu_lstm_quant_params *p, int32_t b, int32_t t)
{
    return p->time_major ? t * p->batches + b : b * p->steps + t;
}

/* The integer LSTM with the dot product of the gates' fully connected layers given: dot8 for
 * the int8 form (input, output and hidden state int8_t), or else dot16 for the 16x8 form
 * (int16_t). Each kernel that includes this header passes constant functions, and the steps
 * are always inlined (a file with both forms calls them twice, where the compiler would
 * otherwise keep one copy taking the functions at run time), so each kernel is a copy of its
 * own with the other form's branches gone, calling its form's gate. */
static inline __attribute__((always_inline)) void emu_lstm_quant_steps(
    const emu_lstm_quant_params *p, const void *input, const void *const *weights, void *hidden, int16_t *cell,
    void *output, void *scratch, emu_lstm_dot_s8 dot8, emu_lstm_dot_s16 dot16)
{
    const int32_t units = p->units;
    const int32_t size = dot8 ? 1 : 2; /* bytes per activation */
    const int32_t lo = dot8 ? INT8_MIN : INT16_MIN, hi = dot8 ? INT8_MAX : INT16_MAX;
    int16_t *forget = (int16_t *)scratch;
    int16_t *in_gate = forget + units;
    int16_t *cell_gate = in_gate + units;
    int16_t *work = cell_gate + units;
    for (int32_t b = 0; b < p->batches; b++) {
        uint8_t *h = (uint8_t *)hidden + b * units * size;
        int16_t *c = cell + b * units;
        for (int32_t t = 0; t < p->steps; t++) {
            const int32_t at = step_index(p, b, t);
            const void *x = (const uint8_t *)input + at * p->input_size * size;
            gate(p, 1, x, h, weights, forget, work, 1, dot8, dot16);
            gate(p, 0, x, h, weights, in_gate, work, 1, dot8, dot16);
            gate(p, 2, x, h, weights, cell_gate, work, p->cell_gate_sigmoid, dot8, dot16);
            for (int32_t u = 0; u < units; u++) {
                const int16_t kept = saturate_i16(emu_multiply_by_quantized_multiplier(
                    (int32_t)forget[u] * c[u], p->forget_multiplier, (int)p->forget_shift));
                const int16_t added = saturate_i16(emu_multiply_by_quantized_multiplier(
                    (int32_t)in_gate[u] * cell_gate[u], p->update_multiplier, (int)p->update_shift));
                int16_t next = saturate_i16((int32_t)kept + added);
                if (p->cell_clip >= 0) {
                    next = (int16_t)emu_clamp_i32(next, -p->cell_clip, p->cell_clip);
                }
                c[u] = next;
            }
            int16_t *out_gate = in_gate; /* the input gate is no longer needed */
            gate(p, 3, x, h, weights, out_gate, work, 1, dot8, dot16);
            for (int32_t u = 0; u < units; u++) {
                const int16_t squashed = tanh_q15(c[u], p->cell_tanh_multiplier, p->cell_tanh_shift);
                const int32_t v = emu_clamp_i32(p->hidden_zero_point + emu_multiply_by_quantized_multiplier(
                    (int32_t)squashed * out_gate[u], p->hidden_multiplier, (int)p->hidden_shift), lo, hi);
                if (dot8) {
                    ((int8_t *)h)[u] = (int8_t)v;
                } else {
                    ((int16_t *)h)[u] = (int16_t)v;
                }
            }
            uint8_t *y = (uint8_t *)output + at * units * size;
            for (int32_t k = 0; k < units * size; k++) {
                y[k] = h[k];
            }
        }
    }
}

#endif
