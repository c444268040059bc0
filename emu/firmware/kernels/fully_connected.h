/* FULLY_CONNECTED: output[b][u] = sum_d input[b][d] * weights[u][d] + bias[u], for every row b
 * of the input seen as [batches][depth]. Model-dependent constants come from
 * emu/compile/ops/fully_connected.py.
 */
#ifndef EMU_FULLY_CONNECTED_H
#define EMU_FULLY_CONNECTED_H

#include <stdint.h>

typedef struct {
    int32_t batches, depth, units;
    int16_t output_offset; /* output zero point */
    int16_t act_min, act_max;
    /* 1: every unit's multiplier and shift the same, the shift below 0, and the activation
     * range all of int8; multiplier and shift then hold that one entry. Set by the lowering for
     * emu_fully_connected_s8_dsp4 only (optimized/fully_connected_dsp.c), which then rescales
     * without a table or a branch and clamps with one SSAT; in the struct's padding. */
    int16_t shared_rescale;
    const int32_t *folded_bias; /* bias[u] + input_offset * sum(weights[u]) */
    const int32_t *multiplier;    /* per channel, also for per-tensor weights */
    const int8_t *shift;
} emu_fully_connected_s8_params;

/* int16 input and output, int8 weights (zero points 0): TFLM's 16x8 kernel. The bias comes
 * as int64; accumulate_32 as in emu_conv2d_s16_params (conv_2d.h). */
typedef struct {
    int32_t batches, depth, units;
    int16_t act_min, act_max;
    int16_t accumulate_32;
    const int64_t *bias;
    const int32_t *multiplier; /* per unit, also for per-tensor weights */
    const int8_t *shift;
} emu_fully_connected_s16_params;

typedef struct {
    int32_t batches, depth, units;
    float act_min, act_max;
} emu_fully_connected_f32_params;

void emu_fully_connected_s8(const emu_fully_connected_s8_params *p, const int8_t *input,
                            const int8_t *weights, int8_t *output);
void emu_fully_connected_s16(const emu_fully_connected_s16_params *p, const int16_t *input,
                             const int8_t *weights, int16_t *output);
void emu_fully_connected_f32(const emu_fully_connected_f32_params *p, const float *input,
                             const float *weights, const float *bias, float *output);

#endif
