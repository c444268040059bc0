/* BROADCAST_ARGS: the shape two shapes broadcast to, int32 or int64, aligned at their ends (a
 * missing dimension counts as 1). Each value is taken as a 32-bit int, as TFLM's kernel takes
 * it. Where neither of two dimensions is 1 and they differ, TFLM stops; here the first
 * shape's dimension is written.
 */
#ifndef EMU_BROADCAST_ARGS_H
#define EMU_BROADCAST_ARGS_H

#include <stdint.h>

typedef struct {
    int32_t count1, count2, count; /* elements of the two inputs and of the output */
} emu_broadcast_args_params;

void emu_broadcast_args_s32(const emu_broadcast_args_params *p, const int32_t *shape1, const int32_t *shape2,
                            int32_t *output);
void emu_broadcast_args_s64(const emu_broadcast_args_params *p, const int64_t *shape1, const int64_t *shape2,
                            int64_t *output);

#endif
