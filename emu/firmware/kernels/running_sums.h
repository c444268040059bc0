/* ADD_N and CUMSUM, float32 and int8.
 *
 * ADD_N sums `count` tensors of `size` elements, element by element, in input order. CUMSUM
 * runs a sum along one axis of a tensor seen as outer x depth x inner (the axis has `depth`
 * elements, `inner` apart), from either end (reverse), writing each sum after (inclusive) or
 * before (exclusive) adding its element.
 *
 * int8 is TFLM's arithmetic for both, ADD's with one input scale: each input, offset by minus
 * its zero point and shifted left by left_shift, is rescaled to half its scale; the int32 sum
 * starts from the rescaled input offset (TFLM's starting value) and is rescaled to the output,
 * offset and clamped. The multipliers and shifts come from emu/compile/ops/running_sums.py.
 */
#ifndef EMU_RUNNING_SUMS_H
#define EMU_RUNNING_SUMS_H

#include <stdint.h>

#define EMU_RUNNING_SUM_QUANT_FIELDS                      \
    int32_t input1_offset, left_shift;                    \
    int32_t input1_multiplier, input1_shift;              \
    int32_t output_multiplier, output_shift;              \
    int32_t output_offset

typedef struct {
    int32_t size, count;
} emu_add_n_f32_params;

typedef struct {
    int32_t size, count;
    EMU_RUNNING_SUM_QUANT_FIELDS;
} emu_add_n_s8_params;

#define EMU_CUMSUM_FIELDS int32_t outer, depth, inner, exclusive, reverse

typedef struct {
    EMU_CUMSUM_FIELDS;
} emu_cumsum_f32_params;

typedef struct {
    EMU_CUMSUM_FIELDS;
    EMU_RUNNING_SUM_QUANT_FIELDS;
} emu_cumsum_s8_params;

void emu_add_n_f32(const emu_add_n_f32_params *p, const void *const *inputs, float *output);
void emu_add_n_s8(const emu_add_n_s8_params *p, const void *const *inputs, int8_t *output);
void emu_cumsum_f32(const emu_cumsum_f32_params *p, const float *input, float *output);
void emu_cumsum_s8(const emu_cumsum_s8_params *p, const int8_t *input, int8_t *output);

#endif
