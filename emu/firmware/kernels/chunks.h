/* One tensor to several, or several to one, in chunks along an axis: SPLIT, SPLIT_V and
 * UNPACK (one to many), PACK (many to one).
 *
 * Seen from the axis, the whole tensor is `outer` rows, and each row is one chunk of every
 * part in turn, part k's chunk being bytes[k] long (its extent along the axis times
 * everything inside it). Bytes are copied as they are, whatever the type: TFLM's kernels
 * for these operators never requantize either.
 */
#ifndef EMU_CHUNKS_H
#define EMU_CHUNKS_H

#include <stdint.h>

typedef struct {
    int32_t outer;
    int32_t count;          /* parts */
    const int32_t *bytes;   /* the chunk size of each part, `count` entries */
} emu_chunks_params;

/* The whole tensor `input` cut into the parts `outputs[0..count)`. */
void emu_split(const emu_chunks_params *p, const void *input, void *const *outputs);

/* The parts `inputs[0..count)` joined into the whole tensor `output`. */
void emu_pack(const emu_chunks_params *p, const void *const *inputs, void *output);

#endif
