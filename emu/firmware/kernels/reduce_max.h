/* REDUCE_MAX and REDUCE_MIN over any set of axes, int8 and float32.
 *
 * The geometry is MEAN's (mean.h): kept dimensions, one output each, and reduced ones, each
 * with its extent and element stride in the input. Each output is the largest of its reduced
 * elements, met in increasing address order as TFLM meets them: an element replaces the
 * running maximum only when greater, so of equal values (0.0 and -0.0) the first stays and a
 * NaN never enters. REDUCE_MIN is the same walk keeping the smallest (an element replaces the
 * running minimum only when less). int8 values are compared as they are (TFLM requires the input's
 * quantization on the output).
 */
#ifndef EMU_REDUCE_MAX_H
#define EMU_REDUCE_MAX_H

#include <stdint.h>

#include "mean.h"

typedef struct {
    EMU_MEAN_FIELDS;
} emu_reduce_max_params;

void emu_reduce_max_s8(const emu_reduce_max_params *p, const int8_t *input, int8_t *output);
void emu_reduce_max_f32(const emu_reduce_max_params *p, const float *input, float *output);
void emu_reduce_min_s8(const emu_reduce_max_params *p, const int8_t *input, int8_t *output);
void emu_reduce_min_f32(const emu_reduce_max_params *p, const float *input, float *output);

#endif
