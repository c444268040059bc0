/* DYNAMIC_UPDATE_SLICE: the operand with a box overwritten by the update, the box's corner
 * read at run time (int32 or int64, one per dimension) and clamped, as TFLM does, so that the
 * box lies inside the operand: each start to [0, operand extent - update extent].
 *
 * The output may be the operand's own memory (then only the box is written). An update as
 * large as the operand replaces it whole whatever the start. */
#ifndef EMU_DYNAMIC_UPDATE_SLICE_H
#define EMU_DYNAMIC_UPDATE_SLICE_H

#include <stdint.h>

#define EMU_DYNAMIC_UPDATE_SLICE_MAX_RANK 6

typedef struct {
    int32_t rank;
    int32_t operand_dims[EMU_DYNAMIC_UPDATE_SLICE_MAX_RANK];
    int32_t update_dims[EMU_DYNAMIC_UPDATE_SLICE_MAX_RANK];
    int32_t operand_steps[EMU_DYNAMIC_UPDATE_SLICE_MAX_RANK]; /* elements per step along each dimension */
    int32_t update_steps[EMU_DYNAMIC_UPDATE_SLICE_MAX_RANK];
    int32_t operand_elements;
    int32_t update_elements;
    int32_t element_bytes;
    int32_t start_bytes; /* 4: int32 starts, 8: int64 */
} emu_dynamic_update_slice_params;

void emu_dynamic_update_slice(const emu_dynamic_update_slice_params *p, const void *operand, const void *update,
                              const void *start, void *output);

#endif
