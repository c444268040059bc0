/* SVDF, int8 with an int8 or an int16 state, with the DSP extension (svdf_dsp.c) and with
 * Helium (svdf_mve.c): the arguments of emu_svdf_s8 and emu_svdf_s8_s16 (svdf.h), the same
 * integers. Their parameters
 * carry the input and state zero points folded into per-filter sums, worked out at compile
 * time (emu/compile/ops/svdf.py), so that both dot products are plain int8 ones. */
#ifndef EMU_SVDF_DSP_H
#define EMU_SVDF_DSP_H

#include <stdint.h>

typedef struct {
    int32_t batches, input_size, filters, units, rank, memory;
    int32_t state_zero_point;
    int32_t feature_multiplier, feature_shift; /* input * feature weights -> state */
    int32_t output_multiplier, output_shift;   /* state * time weights -> output */
    int32_t output_zero_point;
    const int32_t *feature_bias; /* per filter: -input zero point x the sum of its feature weights */
    const int32_t *time_bias;    /* per filter: -state zero point x the sum of its time weights */
} emu_svdf_s8_fast_params;

/* scratch: batches * filters int32 values */
void emu_svdf_s8_dsp(const emu_svdf_s8_fast_params *p, const int8_t *input, const int8_t *weights_feature,
                     const int8_t *weights_time, const int32_t *bias, int8_t *state, int8_t *output, void *scratch);
void emu_svdf_s8_s16_dsp(const emu_svdf_s8_fast_params *p, const int8_t *input, const int8_t *weights_feature,
                         const int16_t *weights_time, const int32_t *bias, int16_t *state, int8_t *output,
                         void *scratch);

#endif
