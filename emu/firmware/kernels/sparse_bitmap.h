/* The sparse-bitmap weight form shared by the sparse kernels.
 *
 * For each output channel a bitmap over the weights it multiplies (FULLY_CONNECTED: its
 * `depth` inputs; CONV_2D: its window, filter_h * filter_w * input_c), ceil(weights / 8)
 * bytes: bit j of byte k (least significant bit first) is set when weight 8k + j is
 * nonzero. The nonzero weights follow one another in `values`, in the same order. Zero weights take one bit of flash and no
 * multiply-accumulate. Built by emu/compile/sparse.py.
 */
#ifndef EMU_SPARSE_BITMAP_H
#define EMU_SPARSE_BITMAP_H

#include <stdint.h>

/* Index of the lowest set bit of a nonzero byte. */
static inline int emu_lowest_bit(uint32_t bits)
{
#if defined(__GNUC__)
    return __builtin_ctz(bits);
#else
    int n = 0;
    while (!(bits & 1u)) {
        bits >>= 1;
        n++;
    }
    return n;
#endif
}

/* acc + sum of the nonzero weights of one bitmap byte times their inputs x[j]; advances *values. */
static inline int32_t emu_sparse_dot_byte(uint32_t bits, const int8_t *x, const int8_t **values, int32_t acc)
{
    const int8_t *v = *values;
    while (bits) {
        acc += x[emu_lowest_bit(bits)] * *v++;
        bits &= bits - 1u;
    }
    *values = v;
    return acc;
}

#endif
