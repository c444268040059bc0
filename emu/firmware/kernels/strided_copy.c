/* The strided copy (TRANSPOSE, STRIDED_SLICE, SLICE, REVERSE_V2, DEPTH_TO_SPACE, SPACE_TO_DEPTH,
 * BROADCAST_TO, FILL, ZEROS_LIKE); see strided_copy.h. */
#include "strided_copy.h"

#include <string.h>

/* One walk per element size, so each element is one load and one store. The walk's extents
 * and steps are read once into locals: a store through `out` may alias the parameters as far as
 * the compiler knows, which would otherwise make it re-read them from flash for every element. */
#define EMU_STRIDED_COPY_WALK(T)                                                               \
    do {                                                                                       \
        const int32_t n0 = p->dims[0], n1 = p->dims[1], n2 = p->dims[2], n3 = p->dims[3];      \
        const int32_t n4 = p->dims[4];                                                         \
        const int32_t s0 = p->strides[0], s1 = p->strides[1], s2 = p->strides[2];              \
        const int32_t s3 = p->strides[3], s4 = p->strides[4];                                  \
        const T *in = (const T *)input + offset;                                               \
        T *out = output;                                                                       \
        for (int32_t a = 0; a < n0; a++) {                                                     \
            const T *in_a = in + a * s0;                                                       \
            for (int32_t b = 0; b < n1; b++) {                                                 \
                const T *in_b = in_a + b * s1;                                                 \
                for (int32_t c = 0; c < n2; c++) {                                             \
                    const T *in_c = in_b + c * s2;                                             \
                    for (int32_t d = 0; d < n3; d++) {                                         \
                        const T *in_d = in_c + d * s3;                                         \
                        for (int32_t e = 0; e < n4; e++) {                                     \
                            *out++ = in_d[e * s4];                                             \
                        }                                                                      \
                    }                                                                          \
                }                                                                              \
            }                                                                                  \
        }                                                                                      \
    } while (0)

static void copy_walk(const emu_strided_copy_params *p, int32_t offset, const void *input, void *output)
{
    switch (p->element) {
    case 1:
        EMU_STRIDED_COPY_WALK(uint8_t);
        break;
    case 2:
        EMU_STRIDED_COPY_WALK(uint16_t);
        break;
    case 4:
        EMU_STRIDED_COPY_WALK(uint32_t);
        break;
    default:
        EMU_STRIDED_COPY_WALK(uint64_t);
        break;
    }
}

void emu_strided_copy(const emu_strided_copy_params *p, const void *input, void *output)
{
    copy_walk(p, p->offset, input, output);
}

void emu_strided_copy_at(const emu_strided_copy_at_params *p, const void *input, const void *begin, void *output)
{
    int32_t offset = p->walk.offset;
    for (int32_t d = 0; d < p->rank; d++) {
        int64_t b = p->begin_bytes == 8 ? ((const int64_t *)begin)[d] : ((const int32_t *)begin)[d];
        b = b < 0 ? 0 : (b > p->limits[d] ? p->limits[d] : b);
        offset += (int32_t)b * p->steps[d];
    }
    copy_walk(&p->walk, offset, input, output);
}

void emu_strided_copy_reversed(const emu_strided_copy_reversed_params *p, const void *input, const int32_t *axes,
                               void *output)
{
    uint8_t seen[EMU_STRIDED_COPY_REVERSE_MAX_RANK] = {0};
    int32_t first = p->rank, last = -1, valid = p->count > 0;
    for (int32_t i = 0; i < p->count && valid; i++) {
        const int32_t a = axes[i] < 0 ? axes[i] + p->rank : axes[i];
        if (a < 0 || a >= p->rank || seen[a]) {
            valid = 0;
            break;
        }
        seen[a] = 1;
        first = a < first ? a : first;
        last = a > last ? a : last;
    }
    if (!valid || last - first + 1 != p->count) {
        memset(output, 0, (size_t)p->elements * (size_t)p->element);
        return;
    }
    int32_t upper = 1, middle = 1, lower = 1;
    for (int32_t d = 0; d < p->rank; d++) {
        if (d < first) {
            upper *= p->dims[d];
        } else if (d <= last) {
            middle *= p->dims[d];
        } else {
            lower *= p->dims[d];
        }
    }
    const emu_strided_copy_params walk = {
        .element = p->element,
        .offset = 0,
        .dims = {1, 1, upper, middle, lower},
        .strides = {0, 0, middle * lower, -lower, 1},
    };
    copy_walk(&walk, middle > 0 ? (middle - 1) * lower : 0, input, output);
}
