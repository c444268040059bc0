/* LOGICAL_AND and LOGICAL_OR with broadcasting, LOGICAL_NOT, and REDUCE_ALL over any set of
 * axes. Values are bools, one byte each: 0 is false, anything else true; results are 0 or 1.
 *
 * The binary operators' broadcast is described as ADD's (elementwise.h); REDUCE_ALL's
 * geometry is MEAN's (mean.h), and an output whose reduced elements are none is true, as
 * TFLM's reduction starts every output at true.
 */
#ifndef EMU_LOGICAL_H
#define EMU_LOGICAL_H

#include <stdint.h>

#include "elementwise.h"
#include "mean.h"

typedef struct {
    EMU_BROADCAST_FIELDS;
} emu_logical_params;

typedef struct {
    int32_t count; /* elements */
} emu_logical_not_params;

typedef struct {
    EMU_MEAN_FIELDS;
} emu_reduce_all_params;

void emu_logical_and(const emu_logical_params *p, const uint8_t *input1, const uint8_t *input2, uint8_t *output);
void emu_logical_or(const emu_logical_params *p, const uint8_t *input1, const uint8_t *input2, uint8_t *output);
void emu_logical_not(const emu_logical_not_params *p, const uint8_t *input, uint8_t *output);
void emu_reduce_all(const emu_reduce_all_params *p, const uint8_t *input, uint8_t *output);

#endif
