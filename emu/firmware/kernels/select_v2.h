/* SELECT_V2 with broadcasting of all three inputs, float32, int8 and int16: each output element
 * is x's where the condition (a bool, one byte) is true, else y's, all three broadcast to the
 * output. Values are copied as they are, as TFLM does.
 *
 * It is two walks emu already has: y broadcast to the output as a strided copy
 * (strided_copy.h, strides 0 where y is broadcast), then the condition and x walked over the
 * output as ADD walks its two inputs (elementwise.h), x written where the condition holds.
 */
#ifndef EMU_SELECT_V2_H
#define EMU_SELECT_V2_H

#include <stdint.h>

#include "elementwise.h"
#include "strided_copy.h"

typedef struct {
    EMU_BROADCAST_FIELDS; /* input 1 the condition, input 2 x */
    emu_strided_copy_params y_copy;
} emu_select_v2_params;

void emu_select_v2(const emu_select_v2_params *p, const uint8_t *condition, const void *x, const void *y,
                   void *output);

#endif
