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

/* a plus the four dot products of x[0..len) with the rows w, w + step, w + 2 step, w + 3 step,
 * by VMLADAVA over sixteen bytes at a time; the last len % 16 in one predicated pass (lanes past
 * the end load zero).
 *
 * The sixteen-byte steps are written out in assembly so that each load is followed by the
 * VMLADAVA that reads it: loads and multiply-accumulates run on different Helium pipes and
 * overlap one with the next, where GCC groups the five loads and then the four VMLADAVAs
 * (the loads then wait on each other's pipe). The sums start from zero in four registers
 * (even-numbered, as VMLADAVA requires) across a low-overhead loop (DLS/LE); they meet the
 * bias as one vector at the end. */
static inline __attribute__((always_inline)) int32x4_t emu_mve_dot_four_rows(const int8_t *x, const int8_t *w,
                                                                             int32_t len, int32_t step, int32x4_t a)
{
    const int8_t *w1 = w + step, *w2 = w1 + step, *w3 = w2 + step;
    /* VMLADAVA accumulates into an even-numbered register */
    register int32_t a0 __asm__("r4") = 0;
    register int32_t a1 __asm__("r6") = 0;
    register int32_t a2 __asm__("r8") = 0;
    register int32_t a3 __asm__("r10") = 0;
    const int32_t steps = len >> 4;
    if (steps > 0) {
        int8x16_t v, f0, f1;
        __asm__ volatile("dls lr, %[n]\n"
                         "1:\n"
                         "vldrb.8 %q[v], [%[x]], #16\n"
                         "vldrb.8 %q[f0], [%[w0]], #16\n"
                         "vmladava.s8 %[a0], %q[v], %q[f0]\n"
                         "vldrb.8 %q[f1], [%[w1]], #16\n"
                         "vmladava.s8 %[a1], %q[v], %q[f1]\n"
                         "vldrb.8 %q[f0], [%[w2]], #16\n"
                         "vmladava.s8 %[a2], %q[v], %q[f0]\n"
                         "vldrb.8 %q[f1], [%[w3]], #16\n"
                         "vmladava.s8 %[a3], %q[v], %q[f1]\n"
                         "le lr, 1b\n"
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w0] "+r"(w),
                           [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [v] "=&w"(v), [f0] "=&w"(f0),
                           [f1] "=&w"(f1)
                         : [n] "r"(steps)
                         : "lr", "memory");
    }
    const int32_t rest = len & 15;
    if (rest) {
        /* The last len % 16 bytes: five loads predicated by VCTP (lanes past the end load
         * zero) in two VPT blocks, where GCC writes a VPST (and a VMSR) before each. */
        int8x16_t v, f0, f1, f2;
        __asm__ volatile("vctp.8 %[n]\n"
                         "vpstttt\n"
                         "vldrbt.8 %q[v], [%[x]]\n"
                         "vldrbt.8 %q[f0], [%[w0]]\n"
                         "vldrbt.8 %q[f1], [%[w1]]\n"
                         "vldrbt.8 %q[f2], [%[w2]]\n"
                         "vmladava.s8 %[a0], %q[v], %q[f0]\n"
                         "vpst\n"
                         "vldrbt.8 %q[f0], [%[w3]]\n"
                         "vmladava.s8 %[a1], %q[v], %q[f1]\n"
                         "vmladava.s8 %[a2], %q[v], %q[f2]\n"
                         "vmladava.s8 %[a3], %q[v], %q[f0]\n"
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [v] "=&w"(v), [f0] "=&w"(f0),
                           [f1] "=&w"(f1), [f2] "=&w"(f2)
                         : [n] "r"(rest), [x] "r"(x), [w0] "r"(w), [w1] "r"(w1), [w2] "r"(w2), [w3] "r"(w3)
                         : "memory", "p0"); /* VCTP sets the predicate register */
    }
    int32x4_t sums = vdupq_n_s32(0);
    sums = vsetq_lane_s32(a0, sums, 0);
    sums = vsetq_lane_s32(a1, sums, 1);
    sums = vsetq_lane_s32(a2, sums, 2);
    sums = vsetq_lane_s32(a3, sums, 3);
    return vaddq_s32(a, sums);
}

/* The same with the four rows one after another: w, w + len, w + 2 len, w + 3 len. */
static inline __attribute__((always_inline)) int32x4_t emu_mve_dot_four(const int8_t *x, const int8_t *w, int32_t len,
                                                                        int32x4_t a)
{
    return emu_mve_dot_four_rows(x, w, len, len, a);
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
