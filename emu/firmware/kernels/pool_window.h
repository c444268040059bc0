/* The part of an output pixel's pooling window inside the image, and the int8 average's
 * division: shared by the reference pooling kernels (pooling.c) and the Helium ones
 * (optimized/pooling_mve.c). */
#ifndef EMU_POOL_WINDOW_H
#define EMU_POOL_WINDOW_H

#include "pooling.h"

/* The part of one output pixel's window inside the image. */
typedef struct {
    int32_t start;           /* element offset of the window's first pixel, channel 0 */
    int rows, cols;          /* pixels inside the image */
    int32_t row_step;        /* elements between rows of the input */
} pool_window;

static inline pool_window pool_window_at(const emu_pool_params *p, int b, int oy, int ox)
{
    const int iy0 = oy * p->stride_h - p->pad_h;
    const int ix0 = ox * p->stride_w - p->pad_w;
    const int fy0 = iy0 < 0 ? -iy0 : 0;
    const int fx0 = ix0 < 0 ? -ix0 : 0;
    const int fy1 = p->input_h - iy0 < p->filter_h ? p->input_h - iy0 : p->filter_h;
    const int fx1 = p->input_w - ix0 < p->filter_w ? p->input_w - ix0 : p->filter_w;
    pool_window w;
    w.row_step = (int32_t)p->input_w * p->channels;
    w.start = ((int32_t)b * p->input_h + iy0 + fy0) * w.row_step + (int32_t)(ix0 + fx0) * p->channels;
    w.rows = fy1 - fy0;
    w.cols = fx1 - fx0;
    return w;
}

/* Integer division rounding halves away from zero. */
static inline int32_t pool_divide_rounding(int32_t sum, int32_t count)
{
    return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

#endif
