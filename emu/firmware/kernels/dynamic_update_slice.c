/* DYNAMIC_UPDATE_SLICE; see dynamic_update_slice.h. */
#include "dynamic_update_slice.h"

#include <string.h>

/* Copies the update's block of dimension d into the output block that starts at `out`. */
static void update_dim(const emu_dynamic_update_slice_params *p, int32_t d, const int32_t *corner,
                       const uint8_t *in, uint8_t *out)
{
    const size_t esize = (size_t)p->element_bytes;
    out += (size_t)corner[d] * (size_t)p->operand_steps[d] * esize;
    if (d == p->rank - 1) {
        memcpy(out, in, (size_t)p->update_dims[d] * esize);
        return;
    }
    for (int32_t i = 0; i < p->update_dims[d]; i++) {
        update_dim(p, d + 1, corner, in + (size_t)i * (size_t)p->update_steps[d] * esize,
                   out + (size_t)i * (size_t)p->operand_steps[d] * esize);
    }
}

void emu_dynamic_update_slice(const emu_dynamic_update_slice_params *p, const void *operand, const void *update,
                              const void *start, void *output)
{
    const size_t esize = (size_t)p->element_bytes;
    if (p->operand_elements == p->update_elements) {
        memcpy(output, update, (size_t)p->operand_elements * esize);
        return;
    }
    if (operand != output) {
        memcpy(output, operand, (size_t)p->operand_elements * esize);
    }
    if (p->update_elements == 0) {
        return;
    }
    int32_t corner[EMU_DYNAMIC_UPDATE_SLICE_MAX_RANK];
    for (int32_t d = 0; d < p->rank; d++) {
        int64_t s = p->start_bytes == 8 ? ((const int64_t *)start)[d] : ((const int32_t *)start)[d];
        const int64_t last = (int64_t)p->operand_dims[d] - p->update_dims[d];
        corner[d] = (int32_t)(s < 0 ? 0 : (s > last ? last : s));
    }
    update_dim(p, 0, corner, update, output);
}
