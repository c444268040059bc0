/* RESHAPE, SQUEEZE and EXPAND_DIMS move no data: the output shares the input's memory.
 * Only a constant input (in flash) has to be copied into the arena, as SHAPE's result is. */
#ifndef EMU_RESHAPE_H
#define EMU_RESHAPE_H

#include <stdint.h>

typedef struct {
    int32_t bytes;
} emu_copy_params;

void emu_copy(const emu_copy_params *p, const void *input, void *output);

#endif
