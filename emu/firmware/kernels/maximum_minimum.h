/* MAXIMUM and MINIMUM with broadcasting, int8, int16, int32, int64 and float32: each output
 * element is the larger (smaller) of its two input elements, compared as stored, as TFLM does.
 * The broadcast is described as ADD's (elementwise.h). */
#ifndef EMU_MAXIMUM_MINIMUM_H
#define EMU_MAXIMUM_MINIMUM_H

#include <stdint.h>

#include "elementwise.h"

typedef struct {
    EMU_BROADCAST_FIELDS;
} emu_maximum_minimum_params;

void emu_maximum_s8(const emu_maximum_minimum_params *p, const int8_t *input1, const int8_t *input2,
                    int8_t *output);
void emu_minimum_s8(const emu_maximum_minimum_params *p, const int8_t *input1, const int8_t *input2,
                    int8_t *output);
void emu_maximum_s16(const emu_maximum_minimum_params *p, const int16_t *input1, const int16_t *input2,
                     int16_t *output);
void emu_minimum_s16(const emu_maximum_minimum_params *p, const int16_t *input1, const int16_t *input2,
                     int16_t *output);
void emu_maximum_s32(const emu_maximum_minimum_params *p, const int32_t *input1, const int32_t *input2,
                     int32_t *output);
void emu_minimum_s32(const emu_maximum_minimum_params *p, const int32_t *input1, const int32_t *input2,
                     int32_t *output);
void emu_maximum_s64(const emu_maximum_minimum_params *p, const int64_t *input1, const int64_t *input2,
                     int64_t *output);
void emu_minimum_s64(const emu_maximum_minimum_params *p, const int64_t *input1, const int64_t *input2,
                     int64_t *output);
void emu_maximum_f32(const emu_maximum_minimum_params *p, const float *input1, const float *input2, float *output);
void emu_minimum_f32(const emu_maximum_minimum_params *p, const float *input1, const float *input2, float *output);

#endif
