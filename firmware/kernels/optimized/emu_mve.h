/* The Helium (MVE) rescale the vector kernels share: four accumulators at a time.
 *
 * It computes what emu_dsp.h's rescale does, TFLM's MultiplyByQuantizedMultiplier, with
 * the same exact rewrite (the compiler picks these kernels only where emu_dsp.h's bound
 * holds: acc << (max(shift, 0) + 1) fits int32):
 * - VQRDMULH of acc << left, with left = max(shift, 0), is (2 (acc << left) m + 2^31) >> 32,
 *   which is SMMULR of acc << (left + 1);
 * - the division by 2^right, halves away from zero, is VRSHL by -right = min(shift, 0) (which
 *   rounds halves up) of the product minus 1 where it is negative and right > 0: exactly
 *   where the product and the shift both have their sign bit set, so (x & shift) >> 31 is
 *   that -1.
 * The four channels' multipliers and shifts are read from the model's arrays as they are
 * (VLDRW, and VLDRB.S32 widening the int8 shifts): no table, no scratch.
 */
#ifndef EMU_MVE_H
#define EMU_MVE_H

#include <stdint.h>

#if defined(__ARM_FEATURE_MVE)
#include <arm_mve.h>

/* Accumulators of channels c..c+3 -> output values: rescale, output zero point, clamp. */
static inline int32x4_t emu_mve_output(const int32_t *multiplier, const int8_t *shift, int c, int32x4_t acc,
                                       int32_t offset, int32x4_t lo, int32x4_t hi)
{
    const int32x4_t s = vldrbq_s32(shift + c), zero = vdupq_n_s32(0);
    int32x4_t x = vqrdmulhq_s32(vshlq_s32(acc, vmaxq_s32(s, zero)), vldrwq_s32(multiplier + c));
    x = vaddq_s32(x, vshrq_n_s32(vandq_s32(x, s), 31));
    x = vaddq_n_s32(vrshlq_s32(x, vminq_s32(s, zero)), offset);
    return vminq_s32(vmaxq_s32(x, lo), hi);
}

#endif
#endif
