/* The DSP-extension operations the optimized kernels are written with, and the rescale they
 * share.
 *
 * On a core with the DSP extension (__ARM_FEATURE_DSP: Cortex-M4, M7, M33, M55) each helper
 * is one instruction, from the ACLE intrinsics of <arm_acle.h> or inline assembly where
 * ACLE has none. Elsewhere (the host build of emu/compile/hostrun.py) each has a portable C
 * form that computes the same integers, so the host tests check the same arithmetic the
 * device runs.
 *
 * Packed operands: sxtb16(x) holds bytes 0 and 2 of x sign-extended to two int16 halves,
 * sxtb16_ror8(x) bytes 1 and 3. Expanding both a weight word and an input word this way
 * pairs byte k with byte k, so two SMLADs give the dot product of four bytes.
 */
#ifndef EMU_DSP_H
#define EMU_DSP_H

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

/* Four bytes from any address, as one little-endian word (one LDR: these cores allow
 * unaligned word loads). */
static inline uint32_t emu_read_u32(const int8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint32_t emu_ror8(uint32_t x)
{
    return (x >> 8) | (x << 24);
}

#if defined(__ARM_FEATURE_DSP)

/* Words k and k + 1 of the word array p (k a constant) into lo and hi: one LDRD, where the
 * compiler would emit two LDRs. The "m" operand tells it which memory the load reads. */
#define EMU_LOAD_PAIR(p, k, lo, hi)                                                       \
    __asm__("ldrd %0, %1, [%2, #%c3]"                                                     \
            : "=&r"(lo), "=&r"(hi)                                                        \
            : "r"(p), "i"(4 * (k)), "m"(*(const uint32_t(*)[2])((p) + (k))))

static inline uint32_t emu_sxtb16(uint32_t x) { return __sxtb16(x); }
/* SXTB16 with its rotate folded in (GCC does not fold a separate rotate into it) */
static inline uint32_t emu_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
static inline int32_t emu_smlad(uint32_t a, uint32_t b, int32_t acc) { return __smlad(a, b, acc); }
static inline int32_t emu_smlabb(uint32_t a, uint32_t b, int32_t acc) { return __smlabb(a, b, acc); }
static inline int32_t emu_smlatt(uint32_t a, uint32_t b, int32_t acc) { return __smlatt(a, b, acc); }
static inline int32_t emu_smlatb(uint32_t a, uint32_t b, int32_t acc) { return __smlatb(a, b, acc); }
static inline int32_t emu_smlabt(uint32_t a, uint32_t b, int32_t acc) { return __smlabt(a, b, acc); }
/* SMLAD with b's halves exchanged: lo(a) * hi(b) + hi(a) * lo(b) */
static inline int32_t emu_smladx(uint32_t a, uint32_t b, int32_t acc) { return __smladx(a, b, acc); }
/* lo's bottom half and hi's top half in one word (PKHBT) */
static inline uint32_t emu_pkhbt(uint32_t lo, uint32_t hi)
{
    uint32_t r;
    __asm__("pkhbt %0, %1, %2" : "=r"(r) : "r"(lo), "r"(hi));
    return r;
}

/* (a * b + 2^31) >> 32: the high word of the product, rounded (SMMULR). */
static inline int32_t emu_smmulr(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* acc's two int16 halves plus bytes 0 and 2 (SXTAB16), or 1 and 3 (the _ror8 form), of x,
 * each half wrapping on its own. */
static inline uint32_t emu_sxtab16(uint32_t acc, uint32_t x) { return __sxtab16(acc, x); }
static inline uint32_t emu_sxtab16_ror8(uint32_t acc, uint32_t x)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(x));
    return r;
}

/* The larger int8 of each of the four byte lanes of a and b: SSUB8 sets a lane's GE flag
 * where a - b >= 0, and SEL takes a there, b elsewhere. One block, since the flags pass from
 * one to the other. */
static inline uint32_t emu_max8x4(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("ssub8 %0, %1, %2\n\tsel %0, %1, %2" : "=&r"(r) : "r"(a), "r"(b) : "cc");
    return r;
}

#else

#define EMU_LOAD_PAIR(p, k, lo, hi) ((lo) = (p)[(k)], (hi) = (p)[(k) + 1])

static inline uint32_t emu_halves(int32_t lo, int32_t hi)
{
    return ((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16);
}
static inline int32_t emu_low(uint32_t x) { return (int16_t)(x & 0xFFFFu); }
static inline int32_t emu_high(uint32_t x) { return (int16_t)(x >> 16); }

static inline uint32_t emu_sxtb16(uint32_t x)
{
    return emu_halves((int8_t)(x & 0xFFu), (int8_t)((x >> 16) & 0xFFu));
}
static inline uint32_t emu_sxtb16_ror8(uint32_t x) { return emu_sxtb16(emu_ror8(x)); }
static inline uint32_t emu_sxtab16(uint32_t acc, uint32_t x)
{
    const uint32_t v = emu_sxtb16(x);
    return emu_halves(emu_low(acc) + emu_low(v), emu_high(acc) + emu_high(v));
}
static inline uint32_t emu_sxtab16_ror8(uint32_t acc, uint32_t x) { return emu_sxtab16(acc, emu_ror8(x)); }
static inline uint32_t emu_max8x4(uint32_t a, uint32_t b)
{
    uint32_t r = 0;
    for (int k = 0; k < 32; k += 8) {
        const int8_t x = (int8_t)(a >> k), y = (int8_t)(b >> k);
        r |= (uint32_t)(uint8_t)(x > y ? x : y) << k;
    }
    return r;
}
/* SMLAD and SMLAxy wrap the accumulator like the instructions (they only set the Q flag). */
static inline int32_t emu_smlad(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(emu_low(a) * emu_low(b)) + (uint32_t)(emu_high(a) * emu_high(b)));
}
static inline int32_t emu_smlabb(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(emu_low(a) * emu_low(b)));
}
static inline int32_t emu_smlatt(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(emu_high(a) * emu_high(b)));
}
static inline int32_t emu_smlatb(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(emu_high(a) * emu_low(b)));
}
static inline int32_t emu_smlabt(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(emu_low(a) * emu_high(b)));
}
static inline int32_t emu_smladx(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)(emu_low(a) * emu_high(b)) + (uint32_t)(emu_high(a) * emu_low(b)));
}
static inline uint32_t emu_pkhbt(uint32_t lo, uint32_t hi) { return (lo & 0xFFFFu) | (hi & 0xFFFF0000u); }
static inline int32_t emu_smmulr(int32_t a, int32_t b)
{
    return (int32_t)(((int64_t)a * b + 0x80000000LL) >> 32);
}

#endif

/* ---- rescale ------------------------------------------------------------------------------
 *
 * TFLM's MultiplyByQuantizedMultiplier(acc, multiplier, shift) is
 *     RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc << left, multiplier), right)
 * with left = max(shift, 0), right = max(-shift, 0). Two exact rewrites make it 6 instructions:
 *
 * - The high multiply, for a multiplier in [2^30, 2^31) (never saturating), rounds halves away
 *   from zero with the -2^30 + 1 nudge for negative products, which equals
 *   floor((x * m + 2^30) / 2^31) = floor((2x * m + 2^31) / 2^32): SMMULR of 2x = acc << (left + 1).
 *   That needs acc << (left + 1) to fit int32; the compiler takes this path only for layers
 *   where every channel's accumulator range guarantees it, or where a channel that breaks it
 *   has one output for every input and is given a rescale that gives it
 *   (emu/compile/constant_channels.py).
 * - RoundingDivideByPOT(h, r), half away from zero, is (h + 2^(r-1) - (h < 0)) >> r for r >= 1
 *   and h for r = 0; `neg` is 1 or 0 to cover both without a branch.
 */
typedef struct {
    int32_t multiplier;
    int32_t half; /* 2^(right - 1), or 0 */
    uint8_t neg;  /* 1 when right > 0 */
    uint8_t left; /* max(shift, 0) + 1 */
    uint8_t right; /* max(-shift, 0) */
    uint8_t constant; /* 1: a constant channel (EMU_DSP_CONSTANT_SHIFT) */
} emu_dsp_rescale;

/* The shift that marks a constant output channel for the convolution kernels that skip them
 * (conv_2d_dsp.c): its folded bias is its int8 output for every input, and the filter they
 * are given leaves its row out (emu/compile/constant_channels.py). No real shift is this low. */
#define EMU_DSP_CONSTANT_SHIFT (-128)

static inline emu_dsp_rescale emu_dsp_rescale_for(int32_t multiplier, int shift)
{
    emu_dsp_rescale r;
    r.constant = 0;
    r.multiplier = multiplier;
    r.left = (uint8_t)((shift > 0 ? shift : 0) + 1);
    r.right = (uint8_t)(shift < 0 ? -shift : 0);
    r.half = r.right ? (int32_t)1 << (r.right - 1) : 0;
    r.neg = r.right ? 1 : 0;
    return r;
}

/* Every channel's rescale, worked out once per call (into scratch: EMU_DSP_RESCALE_BYTES each);
 * returns how many channels are constant (EMU_DSP_CONSTANT_SHIFT), so that a kernel checks
 * for them only where there are some. */
#define EMU_DSP_RESCALE_BYTES 12
static inline int emu_dsp_rescale_table(const int32_t *multiplier, const int8_t *shift, int channels,
                                        emu_dsp_rescale *table)
{
    int constants = 0;
    for (int c = 0; c < channels; ++c) {
        const int constant = shift[c] == EMU_DSP_CONSTANT_SHIFT;
        table[c] = emu_dsp_rescale_for(multiplier[c], constant ? 0 : shift[c]);
        table[c].constant = (uint8_t)constant;
        constants += constant;
    }
    return constants;
}

static inline int32_t emu_dsp_rescale_apply(const emu_dsp_rescale *r, int32_t acc)
{
    const int32_t high = emu_smmulr((int32_t)((uint32_t)acc << r->left), r->multiplier);
    return (high + r->half - (int32_t)(((uint32_t)high >> 31) & (uint32_t)r->neg)) >> r->right;
}

/* The short rescale, for layers whose every channel (constant ones aside) has a shift from
 * -1 to -EMU_DSP_SHORT_MAX_RIGHT, the usual case: left is then 1 for all of them and right at
 * least 1, so the rounding's "minus one when negative" is an arithmetic shift added in
 * (high >> 31 is -1 or 0), and the output zero point joins the rounding constant, since
 * (v + (offset << right)) >> right = (v >> right) + offset. No sum overflows: |high| < 2^30
 * (acc << 1 fits int32), half < 2^21, |offset << right| < 2^29. Five instructions and two
 * word loads and a byte load where the long form takes eight and five loads.
 *
 * emu_dsp_rescale_short checks a table from emu_dsp_rescale_table and, when every channel
 * qualifies, rewrites each half to half + (offset << right) and returns 1; otherwise it leaves
 * the table as it is and returns 0. */
#define EMU_DSP_SHORT_MAX_RIGHT 22
static inline int emu_dsp_rescale_short(emu_dsp_rescale *table, int channels, int32_t offset)
{
    for (int c = 0; c < channels; ++c) {
        const emu_dsp_rescale *r = table + c;
        if (!r->constant && (r->left != 1 || r->right < 1 || r->right > EMU_DSP_SHORT_MAX_RIGHT)) {
            return 0;
        }
    }
    for (int c = 0; c < channels; ++c) {
        if (!table[c].constant) {
            table[c].half += (int32_t)((uint32_t)offset << table[c].right);
        }
    }
    return 1;
}

/* x clamped to [lo, hi]. */
static inline int32_t emu_clamp(int32_t x, int32_t lo, int32_t hi)
{
    x = x < lo ? lo : x;
    return x > hi ? hi : x;
}

/* Accumulator -> output value before the clamp, zero point included, for a short table. */
static inline int32_t emu_dsp_output_short(const emu_dsp_rescale *r, int32_t acc)
{
    const int32_t high = emu_smmulr((int32_t)((uint32_t)acc << 1), r->multiplier);
    return (high + r->half + (high >> 31)) >> r->right;
}

/* x clamped to the int8 range: one SSAT. */
static inline int32_t emu_sat8(int32_t x)
{
#if defined(__ARM_FEATURE_SAT)
    return __ssat(x, 8);
#else
    return x < -128 ? -128 : (x > 127 ? 127 : x);
#endif
}

/* Accumulator -> int8 output value for an activation range that is all of int8 (no fused
 * activation, or one whose bounds the int8 range already implies): rescale, output zero
 * point, saturate. */
static inline int32_t emu_dsp_output_full(const emu_dsp_rescale *r, int32_t acc, int32_t offset)
{
    return emu_sat8(emu_dsp_rescale_apply(r, acc) + offset);
}

/* Accumulator -> int8 output value: rescale, output zero point, activation clamp. */
static inline int32_t emu_dsp_output(const emu_dsp_rescale *r, int32_t acc, int32_t offset, int32_t lo, int32_t hi)
{
    int32_t y = emu_dsp_rescale_apply(r, acc) + offset;
    y = y < lo ? lo : y;
    return y > hi ? hi : y;
}

#endif
