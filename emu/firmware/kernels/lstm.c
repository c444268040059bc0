/* UNIDIRECTIONAL_SEQUENCE_LSTM, bit-exact with TFLM's kernel (lstm_eval.h): the same
 * operations in the same order, on the same integer types. The integer steps (int8 and
 * 16x8) are in lstm_steps.h. */
#include "lstm.h"

#include <float.h>
#include <math.h>

#include "emu_quant.h"
#include "lstm_steps.h"

static int32_t dot_s8(const int8_t *a, const int8_t *b, int32_t n, int32_t acc)
{
    for (int32_t i = 0; i < n; i++) {
        acc += (int32_t)a[i] * b[i];
    }
    return acc;
}

void emu_lstm_s8(const emu_lstm_quant_params *p, const int8_t *input, const void *const *weights,
                 int8_t *hidden, int16_t *cell, int8_t *output, void *scratch)
{
    emu_lstm_quant_steps(p, input, weights, hidden, cell, output, scratch, dot_s8, NULL);
}

void emu_lstm_s16(const emu_lstm_quant_params *p, const int16_t *input, const void *const *weights,
                  int16_t *hidden, int16_t *cell, int16_t *output, void *scratch)
{
    emu_lstm_quant_steps(p, input, weights, hidden, cell, output, scratch, NULL, emu_dot_s16_s8);
}

/* ---- float32 ------------------------------------------------------------------------- */

static float sigmoid_f32(float x)
{
    if (x > 16.619047164916992188f) {
        return 1.0f;
    }
    if (x < -9.0f) {
        return expf(x);
    }
    return 1.0f / (1.0f + expf(-x));
}

static void gate_f32(const emu_lstm_f32_params *p, int g, const float *x, const float *h,
                     const void *const *weights, const void *const *biases, float *gate,
                     float *recurrent, int sigmoid)
{
    const float *w = (const float *)weights[g];
    const float *r = (const float *)weights[4 + g];
    const float *bias = (const float *)biases[g];
    for (int32_t u = 0; u < p->units; u++) {
        float total = 0.0f;
        for (int32_t d = 0; d < p->input_size; d++) {
            total += x[d] * w[u * p->input_size + d];
        }
        gate[u] = emu_clamp_f32(total + bias[u], -FLT_MAX, FLT_MAX);
        total = 0.0f;
        for (int32_t d = 0; d < p->units; d++) {
            total += h[d] * r[u * p->units + d];
        }
        recurrent[u] = emu_clamp_f32(total + 0.0f, -FLT_MAX, FLT_MAX);
    }
    for (int32_t u = 0; u < p->units; u++) {
        const float sum = gate[u] + recurrent[u];
        gate[u] = sigmoid ? sigmoid_f32(sum) : tanhf(sum);
    }
}

void emu_lstm_f32(const emu_lstm_f32_params *p, const float *input, const void *const *weights,
                  const void *const *biases, float *hidden, float *cell, float *output, void *scratch)
{
    const int32_t units = p->units;
    float *forget = (float *)scratch;
    float *in_gate = forget + units;
    float *cell_gate = in_gate + units;
    float *work = cell_gate + units;
    for (int32_t b = 0; b < p->batches; b++) {
        float *h = hidden + b * units;
        float *c = cell + b * units;
        for (int32_t t = 0; t < p->steps; t++) {
            const int32_t at = p->time_major ? t * p->batches + b : b * p->steps + t;
            const float *x = input + at * p->input_size;
            gate_f32(p, 1, x, h, weights, biases, forget, work, 1);
            gate_f32(p, 0, x, h, weights, biases, in_gate, work, 1);
            gate_f32(p, 2, x, h, weights, biases, cell_gate, work, p->cell_gate_sigmoid);
            for (int32_t u = 0; u < units; u++) {
                const float kept = emu_clamp_f32(forget[u] * c[u], -FLT_MAX, FLT_MAX);
                const float added = emu_clamp_f32(in_gate[u] * cell_gate[u], -FLT_MAX, FLT_MAX);
                float next = kept + added;
                if (p->cell_clip > 0.0f) {
                    next = emu_clamp_f32(next, -p->cell_clip, p->cell_clip);
                }
                c[u] = next;
            }
            float *out_gate = in_gate;
            gate_f32(p, 3, x, h, weights, biases, out_gate, work, 1);
            float *y = output + at * units;
            for (int32_t u = 0; u < units; u++) {
                h[u] = emu_clamp_f32(tanhf(c[u]) * out_gate[u], -FLT_MAX, FLT_MAX);
                y[u] = h[u];
            }
        }
    }
}
