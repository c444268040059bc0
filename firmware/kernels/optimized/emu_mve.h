/* The Helium (MVE) rescale the vector kernels share: four accumulators at a time.
 *
 * It computes what emu_dsp.h's rescale does, TFLM's MultiplyByQuantizedMultiplier, with
 * the same exact rewrite (the compiler picks these kernels only where emu_dsp.h's bound
 * holds: acc << (max(shift, 0) + 1) fits int32):
 * - VQRDMULH of acc << left, with left = max(shift, 0), is (2 (acc << left) m + 2^31) >> 32,
 *   which is SMMULR of acc << (left + 1);
 * - the division by 2^right, halves away from zero, is VRSHL by -right (which rounds halves
 *   up) of the product minus 1 where it is negative and right > 0: `round` holds INT32_MIN
 *   in the lanes with right > 0, so (x & round) >> 31 is that -1.
 * Per group of four channels, in scratch, four vectors: left, multiplier, round and -right
 * (EMU_MVE_RESCALE_BYTES per channel, the channel count rounded up to 4).
 */
#ifndef EMU_MVE_H
#define EMU_MVE_H

#include <stdint.h>

#if defined(__ARM_FEATURE_MVE)
#include <arm_mve.h>

#define EMU_MVE_RESCALE_BYTES 16

static inline int emu_mve_round_up4(int channels) { return (channels + 3) & ~3; }

/* The table of every channel's rescale; a last group short of four repeats its last channel. */
static inline const int32_t *emu_mve_rescale_table(const int32_t *multiplier, const int8_t *shift, int channels,
                                                   void *scratch)
{
    int32_t *t = (int32_t *)scratch;
    for (int c = 0; c < emu_mve_round_up4(channels); ++c) {
        const int k = c < channels ? c : channels - 1;
        const int s = shift[k];
        int32_t *group = t + 16 * (c >> 2) + (c & 3);
        group[0] = s > 0 ? s : 0;
        group[4] = multiplier[k];
        group[8] = s < 0 ? INT32_MIN : 0;
        group[12] = s < 0 ? s : 0;
    }
    return t;
}

/* Accumulators of the four channels of one group (its table entry t) -> output values:
 * rescale, output zero point, clamp. */
static inline int32x4_t emu_mve_output(const int32_t *t, int32x4_t acc, int32_t offset, int32x4_t lo, int32x4_t hi)
{
    int32x4_t x = vqrdmulhq_s32(vshlq_s32(acc, vldrwq_s32(t)), vldrwq_s32(t + 4));
    x = vaddq_s32(x, vshrq_n_s32(vandq_s32(x, vldrwq_s32(t + 8)), 31));
    x = vaddq_n_s32(vrshlq_s32(x, vldrwq_s32(t + 12)), offset);
    return vminq_s32(vmaxq_s32(x, lo), hi);
}

#endif
#endif
