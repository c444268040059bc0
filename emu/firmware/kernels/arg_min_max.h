/* ARG_MAX and ARG_MIN along one axis, int8 and float32 inputs, int32 indices.
 *
 * Seen from the axis, the input is `outer` blocks of `axis_size` slices of `inner` elements;
 * output element (o, i) is the index along the axis of the largest (smallest) of the
 * axis_size elements (o, k, i). The first index wins ties, and a later element replaces the
 * current best only when it compares strictly greater (less), as in TFLM's kernel: a NaN is
 * never picked, except where it stands first.
 */
#ifndef EMU_ARG_MIN_MAX_H
#define EMU_ARG_MIN_MAX_H

#include <stdint.h>

typedef struct {
    int32_t outer;
    int32_t axis_size;
    int32_t inner;
} emu_arg_min_max_params;

void emu_arg_max_s8(const emu_arg_min_max_params *p, const int8_t *input, int32_t *output);
void emu_arg_min_s8(const emu_arg_min_max_params *p, const int8_t *input, int32_t *output);
void emu_arg_max_f32(const emu_arg_min_max_params *p, const float *input, int32_t *output);
void emu_arg_min_f32(const emu_arg_min_max_params *p, const float *input, int32_t *output);

#endif
