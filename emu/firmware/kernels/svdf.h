/* SVDF: a fully connected layer over the input (the "feature" weights) whose results enter a
 * sliding window of the last `memory` steps (the state, a variable tensor kept between
 * inferences), then a per-filter dot product over that window (the "time" weights), summed
 * over each unit's `rank` filters, plus bias. Model-dependent constants come from
 * emu/compile/ops/svdf.py.
 *
 * The state holds, per batch and filter, `memory` values oldest first; each inference shifts
 * the whole state by one element and writes the new feature results into the last column.
 */
#ifndef EMU_SVDF_H
#define EMU_SVDF_H

#include <stdint.h>

typedef struct {
    int32_t batches, input_size, filters, units, rank, memory;
    int32_t input_offset; /* minus the input zero point */
    int32_t state_zero_point;
    int32_t feature_multiplier, feature_shift; /* input * feature weights -> state */
    int32_t output_multiplier, output_shift;   /* state * time weights -> output */
    int32_t output_zero_point;
} emu_svdf_s8_params;

typedef struct {
    int32_t batches, input_size, filters, units, rank, memory;
    float act_min, act_max;
} emu_svdf_f32_params;

/* int8 input and output; state and time weights int8 (emu_svdf_s8) or int16 (emu_svdf_s8_s16).
 * scratch: (batches * filters + batches * units) int32 values. */
void emu_svdf_s8(const emu_svdf_s8_params *p, const int8_t *input, const int8_t *weights_feature,
                 const int8_t *weights_time, const int32_t *bias, int8_t *state, int8_t *output,
                 void *scratch);
void emu_svdf_s8_s16(const emu_svdf_s8_params *p, const int8_t *input, const int8_t *weights_feature,
                     const int16_t *weights_time, const int32_t *bias, int16_t *state, int8_t *output,
                     void *scratch);
/* scratch: batches * filters floats. */
void emu_svdf_f32(const emu_svdf_f32_params *p, const float *input, const float *weights_feature,
                  const float *weights_time, const float *bias, float *state, float *output,
                  void *scratch);

#endif
