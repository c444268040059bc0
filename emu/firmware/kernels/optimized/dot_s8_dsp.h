/* The int8 dot product with SMLAD that the optimized SVDF, BATCH_MATMUL, TRANSPOSE_CONV and LSTM kernels share:
 * four bytes of each side per pair of SMLADs, the last n % 4 one at a time. */
#ifndef EMU_DOT_S8_DSP_H
#define EMU_DOT_S8_DSP_H

#include "emu_dsp.h"

/* acc plus the dot product of a[0..n) and b[0..n) */
static inline __attribute__((always_inline)) int32_t emu_dot_s8_smlad(const int8_t *a, const int8_t *b, int32_t n,
                                                                      int32_t acc)
{
    for (; n >= 4; n -= 4, a += 4, b += 4) {
        const uint32_t wa = emu_read_u32(a), xb = emu_read_u32(b);
        acc = emu_smlad(emu_sxtb16(wa), emu_sxtb16(xb), acc);
        acc = emu_smlad(emu_sxtb16_ror8(wa), emu_sxtb16_ror8(xb), acc);
    }
    for (; n > 0; n--) {
        acc += (int32_t)*a++ * *b++;
    }
    return acc;
}

#endif
