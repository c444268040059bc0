/* How ADD and MUL walk a broadcast (elementwise.h): shared by the reference kernels
 * (elementwise.c) and the optimized ones (optimized/elementwise_dsp.c). */
#ifndef EMU_ELEMENTWISE_RUNS_H
#define EMU_ELEMENTWISE_RUNS_H

#include "elementwise.h"

/* Position in the output's outer dimensions (all but the innermost) and the matching
 * element offsets into both inputs. */
typedef struct {
    int32_t index[EMU_BROADCAST_MAX_RANK];
    int32_t offset1, offset2;
} cursor;

/* Advances to the next innermost run, like an odometer over the outer dimensions. */
static inline void cursor_next(cursor *c, int32_t rank, const int32_t *shape, const int32_t *stride1,
                               const int32_t *stride2)
{
    for (int32_t d = rank - 2; d >= 0; d--) {
        c->index[d]++;
        c->offset1 += stride1[d];
        c->offset2 += stride2[d];
        if (c->index[d] < shape[d]) {
            return;
        }
        c->offset1 -= stride1[d] * shape[d];
        c->offset2 -= stride2[d] * shape[d];
        c->index[d] = 0;
    }
}

static inline int32_t outer_runs(int32_t rank, const int32_t *shape)
{
    int32_t n = 1;
    for (int32_t d = 0; d < rank - 1; d++) {
        n *= shape[d];
    }
    return n;
}

/* Walks the output of params p one innermost run at a time: `run` sees ctx, pointers to the
 * run's first elements and the inputs' steps along it (0 for a broadcast input). */
#define FOR_EACH_RUN(p, ctx, in1, in2, out, run)                                                   \
    do {                                                                                      \
        cursor c_ = {{0}, 0, 0};                                                              \
        const int32_t inner_ = (p)->shape[(p)->rank - 1];                                     \
        const int32_t step1_ = (p)->stride1[(p)->rank - 1];                                   \
        const int32_t step2_ = (p)->stride2[(p)->rank - 1];                                   \
        const int32_t runs_ = outer_runs((p)->rank, (p)->shape);                              \
        for (int32_t r_ = 0; r_ < runs_; r_++) {                                              \
            run((ctx), (in1) + c_.offset1, step1_, (in2) + c_.offset2, step2_, (out) + r_ * inner_, \
                inner_);                                                                      \
            cursor_next(&c_, (p)->rank, (p)->shape, (p)->stride1, (p)->stride2);              \
        }                                                                                     \
    } while (0)

#endif
