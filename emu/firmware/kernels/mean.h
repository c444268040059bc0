/* MEAN and SUM over any set of axes, int8, int16 and float32.
 *
 * emu/compile/ops/mean.py splits the input's dimensions into kept ones (one output each)
 * and reduced ones (summed), merging neighbours of the same kind, and gives each its
 * extent and element stride in the input. Each output sums its reduced elements in
 * increasing address order, which is the order TFLM adds them in. SUM runs these kernels with
 * a multiplier that does not divide by the count (int8, int16) or a divisor of 1 (float32).
 */
#ifndef EMU_MEAN_H
#define EMU_MEAN_H

#include <stdint.h>

#define EMU_MEAN_MAX_RANK 6

#define EMU_MEAN_FIELDS                                                   \
    int32_t kept_rank, reduced_rank;                                      \
    int32_t kept_shape[EMU_MEAN_MAX_RANK], kept_stride[EMU_MEAN_MAX_RANK]; \
    int32_t reduced_shape[EMU_MEAN_MAX_RANK], reduced_stride[EMU_MEAN_MAX_RANK]; \
    int32_t outputs, count /* elements per output */

/* Steps an odometer over `rank` dimensions; returns the change of the input offset.
 * Shared with the other reductions over this geometry (reduce_max.c). */
static inline int32_t emu_reduction_advance(int32_t *index, int32_t rank, const int32_t *shape,
                                            const int32_t *stride)
{
    int32_t delta = 0;
    for (int32_t d = rank - 1; d >= 0; d--) {
        index[d]++;
        delta += stride[d];
        if (index[d] < shape[d]) {
            return delta;
        }
        delta -= stride[d] * shape[d];
        index[d] = 0;
    }
    return delta;
}

/* int8 and int16 (TFLM runs both through one integer mean): the int32 sum, less count *
 * input zero point, is rescaled by input_scale / (output_scale * count) folded into one
 * multiplier and shift. */
typedef struct {
    EMU_MEAN_FIELDS;
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier, shift;
} emu_mean_int_params;

typedef emu_mean_int_params emu_mean_s8_params;
typedef emu_mean_int_params emu_mean_s16_params;

typedef struct {
    EMU_MEAN_FIELDS;
    float divisor; /* MEAN: the count; SUM: 1 */
} emu_mean_f32_params;

void emu_mean_s8(const emu_mean_s8_params *p, const int8_t *input, int8_t *output);
void emu_mean_s16(const emu_mean_s16_params *p, const int16_t *input, int16_t *output);
void emu_mean_f32(const emu_mean_f32_params *p, const float *input, float *output);

#endif
