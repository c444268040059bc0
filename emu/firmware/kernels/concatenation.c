/* CONCATENATION; see concatenation.h. */
#include "concatenation.h"

#include <string.h>

void emu_concatenation(const emu_concatenation_params *p, const void *input0, const void *input1,
                       const void *input2, const void *input3, const void *input4, const void *input5,
                       const void *input6, const void *input7, const void *input8, const void *input9,
                       void *output)
{
    const uint8_t *inputs[EMU_CONCATENATION_MAX_INPUTS] = {
        input0, input1, input2, input3, input4, input5, input6, input7, input8, input9,
    };
    uint8_t *out = output;
    for (int32_t o = 0; o < p->outer; o++) {
        for (int32_t k = 0; k < p->count; k++) {
            memcpy(out, inputs[k] + o * p->bytes[k], (size_t)p->bytes[k]);
            out += p->bytes[k];
        }
    }
}
