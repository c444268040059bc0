/* ELU; see elu.h. */
#include "elu.h"

#include <math.h>

void emu_elu_s8(const emu_elu_s8_params *p, const int8_t *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = p->table[(int32_t)input[i] + 128];
    }
}

void emu_elu_f32(const emu_elu_f32_params *p, const float *input, float *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const float x = input[i];
        /* expm1f, as TFLM's reference kernel: exp(x) - 1 loses the small differences */
        output[i] = x < 0.0f ? expm1f(x) : x;
    }
}
