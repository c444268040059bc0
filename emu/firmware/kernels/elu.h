/* ELU, float32 and int8: x where x >= 0, exp(x) - 1 elsewhere.
 *
 * int8 reads a table of the output for every input value, built by emu/compile/ops/elu.py. */
#ifndef EMU_ELU_H
#define EMU_ELU_H

#include <stdint.h>

typedef struct {
    int32_t size;
    const int8_t *table; /* 256 entries: the output for input -128 first */
} emu_elu_s8_params;

typedef struct {
    int32_t size;
} emu_elu_f32_params;

void emu_elu_s8(const emu_elu_s8_params *p, const int8_t *input, int8_t *output);
void emu_elu_f32(const emu_elu_f32_params *p, const float *input, float *output);

#endif
