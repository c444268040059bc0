/* int8 TRANSPOSE in blocks of 4 output rows by 16 output columns; see transpose_mve.h.
 *
 * Each plane is out[r][k] = in[r + k * step]. Sixteen word loads (input rows k..k+15, each the
 * four bytes of output rows r..r+3 in one column) go one after another into a 64-byte buffer;
 * VLD4 reads it back de-interleaved, byte j of every word into one vector: the four vectors
 * are output rows r..r+3's sixteen columns, stored with four VSTRBs. A last cols % 16 columns
 * are the same with predicated stores; a last rows % 4 rows byte by byte.
 */
#include "transpose_mve.h"

#if defined(__ARM_FEATURE_MVE)

#include <arm_mve.h>

#include "emu_dsp.h"

/* out[r * cols + k] = in[r + k * step] for r < rows, k < cols */
static void transpose_plane(const int8_t *in, int8_t *out, int32_t rows, int32_t cols, int32_t step)
{
    int32_t r = 0;
    for (; r + 4 <= rows; r += 4) {
        const int8_t *src = in + r;
        int8_t *dst = out + r * cols;
        uint32_t words[16] __attribute__((aligned(16)));
        int32_t k = 0;
        for (; k + 16 <= cols; k += 16) {
#pragma GCC unroll 16
            for (int32_t j = 0; j < 16; ++j, src += step) {
                words[j] = emu_read_u32(src);
            }
            /* in assembly: GCC copies the buffer once more through vector registers before
             * a vld4q_u8 of it */
            int8_t *d0 = dst + k, *d1 = d0 + cols, *d2 = d1 + cols, *d3 = d2 + cols;
            __asm__ volatile("vld40.8 {q0, q1, q2, q3}, [%[w]]\n"
                             "vld41.8 {q0, q1, q2, q3}, [%[w]]\n"
                             "vld42.8 {q0, q1, q2, q3}, [%[w]]\n"
                             "vld43.8 {q0, q1, q2, q3}, [%[w]]\n"
                             "vstrb.8 q0, [%[d0]]\n"
                             "vstrb.8 q1, [%[d1]]\n"
                             "vstrb.8 q2, [%[d2]]\n"
                             "vstrb.8 q3, [%[d3]]\n"
                             :
                             : [w] "r"(words), [d0] "r"(d0), [d1] "r"(d1), [d2] "r"(d2), [d3] "r"(d3),
                               "m"(*(const uint32_t(*)[16])words)
                             : "q0", "q1", "q2", "q3", "memory");
        }
        if (k < cols) { /* the last cols % 16 columns; the words past them are not stored */
            const int32_t n = cols - k;
            for (int32_t j = 0; j < n; ++j, src += step) {
                words[j] = emu_read_u32(src);
            }
            const uint8x16x4_t v = vld4q_u8((const uint8_t *)words);
            const mve_pred16_t p = vctp8q((uint32_t)n);
            vstrbq_p_u8((uint8_t *)dst + k, v.val[0], p);
            vstrbq_p_u8((uint8_t *)dst + cols + k, v.val[1], p);
            vstrbq_p_u8((uint8_t *)dst + 2 * cols + k, v.val[2], p);
            vstrbq_p_u8((uint8_t *)dst + 3 * cols + k, v.val[3], p);
        }
    }
    for (; r < rows; r++) { /* the last rows % 4 rows */
        const int8_t *src = in + r;
        int8_t *dst = out + r * cols;
        for (int32_t k = 0; k < cols; k++) {
            dst[k] = src[k * step];
        }
    }
}

void emu_transpose_s8_mve(const emu_strided_copy_params *p, const int8_t *input, int8_t *output)
{
    const int32_t rows = p->dims[3], cols = p->dims[4], plane = rows * cols, step = p->strides[4];
    const int32_t d0 = p->dims[0], d1 = p->dims[1], d2 = p->dims[2];
    const int32_t s0 = p->strides[0], s1 = p->strides[1], s2 = p->strides[2];
    const int8_t *in = input + p->offset;
    for (int32_t a = 0; a < d0; a++) {
        for (int32_t b = 0; b < d1; b++) {
            for (int32_t c = 0; c < d2; c++) {
                transpose_plane(in + a * s0 + b * s1 + c * s2, output, rows, cols, step);
                output += plane;
            }
        }
    }
}

#else
typedef int emu_transpose_mve_needs_helium; /* the host build has no MVE: nothing to compile */
#endif
