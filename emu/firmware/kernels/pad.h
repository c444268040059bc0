/* PAD and PADV2: surround a tensor with a constant, any element type up to 4 bytes; and
 * MIRROR_PAD: surround it with its own mirror image (REFLECT or SYMMETRIC).
 *
 * emu/compile/ops/pad.py folds every trailing dimension without padding into the one
 * outside it (for MIRROR_PAD, into the element, which it mirrors whole), so a run of the
 * innermost dimension is one contiguous copy.
 */
#ifndef EMU_PAD_H
#define EMU_PAD_H

#include <stdint.h>

#define EMU_PAD_MAX_RANK 6

typedef struct {
    int32_t rank;
    int32_t input_shape[EMU_PAD_MAX_RANK];
    int32_t before[EMU_PAD_MAX_RANK];
    int32_t after[EMU_PAD_MAX_RANK];
    int32_t input_step[EMU_PAD_MAX_RANK];  /* elements per step along each dimension */
    int32_t output_step[EMU_PAD_MAX_RANK];
    int32_t element_bytes; /* 1, 2 or 4; MIRROR_PAD: the bytes of a block it mirrors whole */
    uint32_t pad_bits;     /* the pad value's bytes, in the low element_bytes of a little-endian word */
    int32_t mirror;        /* 0: pad with pad_bits; MIRROR_PAD: 1 SYMMETRIC, 2 REFLECT */
} emu_pad_params;

void emu_pad(const emu_pad_params *p, const void *input, void *output);

/* MIRROR_PAD with paddings read at run time (an [input_rank, 2] tensor of int32 or int64):
 * `pad` as emu_pad takes it but for before and after, which come from the tensor. The output's
 * shape is static, so each of the first pad.rank dimensions has `border[d]` = before + after
 * elements of border, and the trailing dimensions pad.py folded into the element none.
 * Paddings that disagree with that shape or are wider than the input allows (TFLM reads
 * outside its tensors then) give an output of zeros. */
typedef struct {
    emu_pad_params pad;
    int32_t input_rank;
    int32_t border[EMU_PAD_MAX_RANK];
    int32_t paddings_bytes; /* 4: int32, 8: int64 */
    int32_t output_bytes;
} emu_mirror_pad_at_params;

void emu_mirror_pad_at(const emu_mirror_pad_at_params *p, const void *input, const void *paddings, void *output);

#endif
