/* EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS and LESS_EQUAL with broadcasting: each output
 * element (a bool, one byte 0 or 1) compares the two input elements it broadcasts from.
 *
 * The broadcast is described as ADD's (elementwise.h). bool, float32, int32 and int64 values
 * are compared as stored. int8 values are compared on a common scale, as TFLM's comparisons
 * do: each offset value is shifted left by left_shift and multiplied by its own input scale
 * (a multiplier below one), so inputs of different quantization compare by the real values
 * they stand for, rounded the way TFLM rounds them.
 */
#ifndef EMU_COMPARISONS_H
#define EMU_COMPARISONS_H

#include <stdint.h>

#include "elementwise.h"

typedef struct {
    EMU_BROADCAST_FIELDS;
    /* int8 only: */
    int32_t left_shift;
    int32_t input1_offset, input1_multiplier, input1_shift; /* the offset is minus the zero point */
    int32_t input2_offset, input2_multiplier, input2_shift;
} emu_comparison_params;

#define EMU_COMPARISON_DECLARE(name)                                                                     \
    void emu_##name##_b8(const emu_comparison_params *p, const uint8_t *input1, const uint8_t *input2,   \
                         uint8_t *output);                                                               \
    void emu_##name##_f32(const emu_comparison_params *p, const float *input1, const float *input2,      \
                          uint8_t *output);                                                              \
    void emu_##name##_s8(const emu_comparison_params *p, const int8_t *input1, const int8_t *input2,     \
                         uint8_t *output);                                                               \
    void emu_##name##_s32(const emu_comparison_params *p, const int32_t *input1, const int32_t *input2,  \
                          uint8_t *output);                                                              \
    void emu_##name##_s64(const emu_comparison_params *p, const int64_t *input1, const int64_t *input2,  \
                          uint8_t *output);

EMU_COMPARISON_DECLARE(equal)
EMU_COMPARISON_DECLARE(not_equal)
EMU_COMPARISON_DECLARE(greater)
EMU_COMPARISON_DECLARE(greater_equal)
EMU_COMPARISON_DECLARE(less)
EMU_COMPARISON_DECLARE(less_equal)

#undef EMU_COMPARISON_DECLARE

#endif
