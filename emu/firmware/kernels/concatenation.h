/* CONCATENATION along one axis, for any element type.
 *
 * Seen from the axis, every input is `outer` chunks of contiguous bytes (its extent along
 * the axis times everything inside it); the output is, for each outer index, one chunk of
 * every input in turn. int8 inputs are copied as they are: they share the output's
 * quantization (the lowering checks it).
 */
#ifndef EMU_CONCATENATION_H
#define EMU_CONCATENATION_H

#include <stdint.h>

#define EMU_CONCATENATION_MAX_INPUTS 10

typedef struct {
    int32_t outer;
    int32_t count;                                /* inputs in use */
    int32_t bytes[EMU_CONCATENATION_MAX_INPUTS];  /* chunk size of each input */
} emu_concatenation_params;

/* Unused input slots are NULL. */
void emu_concatenation(const emu_concatenation_params *p, const void *input0, const void *input1,
                       const void *input2, const void *input3, const void *input4, const void *input5,
                       const void *input6, const void *input7, const void *input8, const void *input9,
                       void *output);

#endif
