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

/* Four accumulators -> output values, each lane with its multiplier m and shift s: rescale,
 * output zero point, clamp. */
static inline int32x4_t emu_mve_output_lanes(int32x4_t acc, int32x4_t m, int32x4_t s, int32_t offset, int32x4_t lo,
                                             int32x4_t hi)
{
    const int32x4_t zero = vdupq_n_s32(0);
    int32x4_t x = vqrdmulhq_s32(vshlq_s32(acc, vmaxq_s32(s, zero)), m);
    x = vaddq_s32(x, vshrq_n_s32(vandq_s32(x, s), 31));
    x = vaddq_n_s32(vrshlq_s32(x, vminq_s32(s, zero)), offset);
    return vminq_s32(vmaxq_s32(x, lo), hi);
}

/* Accumulators of channels c..c+3 -> output values. */
static inline int32x4_t emu_mve_output(const int32_t *multiplier, const int8_t *shift, int c, int32x4_t acc,
                                       int32_t offset, int32x4_t lo, int32x4_t hi)
{
    return emu_mve_output_lanes(acc, vldrwq_s32(multiplier + c), vldrbq_s32(shift + c), offset, lo, hi);
}

/* What a layer's outputs need, per channel and in all: for emu_mve_store_four. */
typedef struct {
    const int32_t *bias, *multiplier;
    const int8_t *shift;
    int32_t offset;
    int32x4_t lo, hi;
} emu_mve_output_stage;

static inline emu_mve_output_stage emu_mve_stage(const int32_t *bias, const int32_t *multiplier, const int8_t *shift,
                                                 int32_t offset, int32_t act_min, int32_t act_max)
{
    return (emu_mve_output_stage){bias, multiplier, shift, offset, vdupq_n_s32(act_min), vdupq_n_s32(act_max)};
}

/* Channels c..c+3's accumulators -> out[c..c+3]. */
static inline void emu_mve_store_four(const emu_mve_output_stage *o, int c, int32x4_t acc, int8_t *out)
{
    vstrbq_s32(out + c, emu_mve_output(o->multiplier, o->shift, c, acc, o->offset, o->lo, o->hi));
}

/* TFLM's MultiplyByQuantizedMultiplier with one multiplier and shift for every lane, the same
 * exact rewrite as above (acc << (max(shift, 0) + 1) must fit int32): for ADD and MUL. */
static inline int32x4_t emu_mve_rescale_n(int32x4_t acc, int32_t multiplier, int32_t shift)
{
    int32x4_t x = vqrdmulhq_n_s32(vshlq_r_s32(acc, shift > 0 ? shift : 0), multiplier);
    if (shift < 0) {
        x = vrshlq_n_s32(vaddq_s32(x, vshrq_n_s32(x, 31)), shift);
    }
    return x;
}

/* a plus the four dot products of x[0..len) with the rows w, w + len, w + 2 len, w + 3 len, by
 * VMLADAVA over sixteen bytes at a time; the last len % 16 in one predicated pass (lanes past
 * the end load zero). */
static inline __attribute__((always_inline)) int32x4_t emu_mve_dot_four(const int8_t *x, const int8_t *w, int32_t len,
                                                                        int32x4_t a)
{
    const int8_t *w1 = w + len, *w2 = w1 + len, *w3 = w2 + len;
    int32_t a0 = vgetq_lane_s32(a, 0), a1 = vgetq_lane_s32(a, 1), a2 = vgetq_lane_s32(a, 2),
            a3 = vgetq_lane_s32(a, 3);
    int32_t k = 0;
    for (; k + 16 <= len; k += 16) {
        const int8x16_t v = vldrbq_s8(x + k);
        a0 = vmladavaq_s8(a0, v, vldrbq_s8(w + k));
        a1 = vmladavaq_s8(a1, v, vldrbq_s8(w1 + k));
        a2 = vmladavaq_s8(a2, v, vldrbq_s8(w2 + k));
        a3 = vmladavaq_s8(a3, v, vldrbq_s8(w3 + k));
    }
    if (k < len) {
        const mve_pred16_t p = vctp8q((uint32_t)(len - k));
        const int8x16_t v = vldrbq_z_s8(x + k, p);
        a0 = vmladavaq_p_s8(a0, v, vldrbq_z_s8(w + k, p), p);
        a1 = vmladavaq_p_s8(a1, v, vldrbq_z_s8(w1 + k, p), p);
        a2 = vmladavaq_p_s8(a2, v, vldrbq_z_s8(w2 + k, p), p);
        a3 = vmladavaq_p_s8(a3, v, vldrbq_z_s8(w3 + k, p), p);
    }
    a = vsetq_lane_s32(a0, a, 0);
    a = vsetq_lane_s32(a1, a, 1);
    a = vsetq_lane_s32(a2, a, 2);
    return vsetq_lane_s32(a3, a, 3);
}

/* acc plus the dot product of x[0..len) with w[0..len), as above. */
static inline __attribute__((always_inline)) int32_t emu_mve_dot(const int8_t *x, const int8_t *w, int32_t len,
                                                                 int32_t acc)
{
    int32_t k = 0;
    for (; k + 16 <= len; k += 16) {
        acc = vmladavaq_s8(acc, vldrbq_s8(x + k), vldrbq_s8(w + k));
    }
    if (k < len) {
        const mve_pred16_t p = vctp8q((uint32_t)(len - k));
        acc = vmladavaq_p_s8(acc, vldrbq_z_s8(x + k, p), vldrbq_z_s8(w + k, p), p);
    }
    return acc;
}

#endif
#endif
