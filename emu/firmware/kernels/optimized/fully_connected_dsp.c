/* FULLY_CONNECTED, int8, with SMLAD: four weights and four inputs per pair of SMLADs.
 *
 * The arithmetic is that of fully_connected.c (bias and input offset folded at compile
 * time, so the loop is a plain dot product); the rescale is emu_dsp.h's, which the compiler
 * chooses these kernels for only when it is exact for every unit.
 *
 * emu_fully_connected_s8_dsp reads the weights as the model stores them, a row per unit,
 * and computes two units per pass (weights decoded at run time come so). Weights known at
 * build time are arranged by the compiler (emu/compile/ops/fully_connected.py,
 * arranged_weights) for emu_fully_connected_s8_dsp4: four units per pass, so each input
 * word, once expanded, feeds eight SMLADs, and the four units' weights for four inputs are
 * 16 consecutive bytes, four word loads from one pointer; four such steps a loop pass, every
 * group of four units in one call, and each unit's rescale done while its accumulator is in
 * a register: for the usual per-tensor layer one rescale shared by all units, clamped by SSAT,
 * which the compiler marks (shared_rescale).
 */
#include "fully_connected_dsp.h"

#include "emu_dsp.h"

void emu_fully_connected_s8_dsp(const emu_fully_connected_s8_params *p, const int8_t *input,
                                const int8_t *weights, int8_t *output)
{
    const int32_t *bias = p->folded_bias;
    const int32_t *multiplier = p->multiplier;
    const int8_t *shift = p->shift;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int32_t batches = p->batches, depth = p->depth, units = p->units;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = input + b * depth;
        int8_t *out = output + b * units;
        for (int32_t u = 0; u < units; u += 2) {
            /* an odd last unit pairs with itself */
            const int32_t u1 = u + 1 < units ? u + 1 : u;
            const int8_t *w0 = weights + u * depth, *w1 = weights + u1 * depth, *v = x;
            int32_t a0 = bias[u], a1 = bias[u1];
            int32_t n = depth;
            for (; n >= 4; n -= 4, v += 4, w0 += 4, w1 += 4) {
                const uint32_t xv = emu_read_u32(v);
                const uint32_t xe = emu_sxtb16(xv), xo = emu_sxtb16_ror8(xv);
                const uint32_t p0 = emu_read_u32(w0), p1 = emu_read_u32(w1);
                a0 = emu_smlad(xe, emu_sxtb16(p0), a0);
                a0 = emu_smlad(xo, emu_sxtb16_ror8(p0), a0);
                a1 = emu_smlad(xe, emu_sxtb16(p1), a1);
                a1 = emu_smlad(xo, emu_sxtb16_ror8(p1), a1);
            }
            for (; n > 0; --n) {
                const int32_t xs = *v++;
                a0 += *w0++ * xs;
                a1 += *w1++ * xs;
            }
            const emu_dsp_rescale r0 = emu_dsp_rescale_for(multiplier[u], shift[u]);
            const emu_dsp_rescale r1 = emu_dsp_rescale_for(multiplier[u1], shift[u1]);
            const int32_t y0 = emu_dsp_output(&r0, a0, offset, lo, hi);
            const int32_t y1 = emu_dsp_output(&r1, a1, offset, lo, hi);
            out[u] = (int8_t)y0;
            out[u1] = (int8_t)y1;
        }
    }
}

/* Four inputs of four units, sixteen MACs, from v and w (the arranged weights), written out:
 * the compiler's order puts each SMLAD right after the SXTB16 it reads, which stalls a core
 * whose DSP and load results take two cycles (Cortex-M33). The loads come first, back to back
 * and single words, so that the M4 pipelines them (a cycle each after the first, where LDRDs,
 * which do not pipeline, take 3 for two words); then each SMLAD reads an SXTB16 result from
 * two instructions back and each SXTB16 a load from two or more. */
#define FC4_INPUT_WORDS 1 /* words of v a step reads */
#define FC4_STEP                                   \
    "ldr %[xo], [%[v]], #4\n\t"                    \
    "ldr %[p0], [%[w]], #4\n\t"                    \
    "ldr %[p1], [%[w]], #4\n\t"                    \
    "ldr %[p2], [%[w]], #4\n\t"                    \
    "ldr %[p3], [%[w]], #4\n\t"                    \
    "sxtb16 %[xe], %[xo]\n\t"                      \
    "sxtb16 %[xo], %[xo], ror #8\n\t"              \
    "sxtb16 %[t], %[p0]\n\t"                       \
    "sxtb16 %[p0], %[p0], ror #8\n\t"              \
    "smlad %[a0], %[xe], %[t], %[a0]\n\t"          \
    "sxtb16 %[t], %[p1]\n\t"                       \
    "smlad %[a0], %[xo], %[p0], %[a0]\n\t"         \
    "sxtb16 %[p1], %[p1], ror #8\n\t"              \
    "smlad %[a1], %[xe], %[t], %[a1]\n\t"          \
    "sxtb16 %[t], %[p2]\n\t"                       \
    "smlad %[a1], %[xo], %[p1], %[a1]\n\t"         \
    "sxtb16 %[p2], %[p2], ror #8\n\t"              \
    "smlad %[a2], %[xe], %[t], %[a2]\n\t"          \
    "sxtb16 %[t], %[p3]\n\t"                       \
    "smlad %[a2], %[xo], %[p2], %[a2]\n\t"         \
    "sxtb16 %[p3], %[p3], ror #8\n\t"              \
    "smlad %[a3], %[xe], %[t], %[a3]\n\t"          \
    "smlad %[a3], %[xo], %[p3], %[a3]\n\t"

/* acc rescaled to an output value, zero point and activation included: the arithmetic of
 * emu_dsp_output with emu_dsp_rescale_for's fields worked out in line. The usual shift is
 * below zero (left 1, right = -shift >= 1), where the rounding's "minus one when negative" is
 * high >> 31 and, for h = high + (high >> 31),
 *     ((h + 2^(right-1)) >> right) + offset = ((h >> (right-1)) + 2 * offset + 1) >> 1
 * (adding 2^(right-1) then dropping right bits rounds as adding 1 after dropping right - 1,
 * then dropping one more); right - 1 is ~shift, and odd_offset is 2 * offset + 1. */
static inline int32_t unit_output(int32_t acc, int32_t multiplier, int32_t shift, int32_t odd_offset, int32_t lo,
                                  int32_t hi)
{
    int32_t y;
    if (__builtin_expect(shift < 0, 1)) {
        const int32_t high = emu_smmulr((int32_t)((uint32_t)acc << 1), multiplier);
        y = (((high + (high >> 31)) >> ~shift) + odd_offset) >> 1;
    } else {
        y = emu_smmulr((int32_t)((uint32_t)acc << (shift + 1)), multiplier) + (odd_offset >> 1);
    }
    return emu_clamp(y, lo, hi);
}

/* x >> 1 clamped to the int8 range: one SSAT, which shifts its operand first. */
static inline int32_t sat8_half(int32_t x)
{
#if defined(__ARM_FEATURE_SAT)
    int32_t y;
    __asm__("ssat %0, #8, %1, asr #1" : "=r"(y) : "r"(x));
    return y;
#else
    return emu_sat8(x >> 1);
#endif
}

/* unit_output for a layer whose units share one multiplier and one shift below zero and whose
 * activation range is all of int8 (shared_rescale, set by the compiler): no table read and no
 * branch per unit, and the last shift and the clamp are one SSAT. right_1 is ~shift, worked
 * out once per call. Six instructions a unit where unit_output takes thirteen and three
 * loads. */
static inline int32_t unit_output_shared(int32_t acc, int32_t multiplier, int32_t right_1, int32_t odd_offset)
{
    const int32_t high = emu_smmulr((int32_t)((uint32_t)acc << 1), multiplier);
    return sat8_half(((high + (high >> 31)) >> right_1) + odd_offset);
}

#if defined(__ARM_FEATURE_DSP)
/* The four sums of a group: passes loop passes of four steps, the first entered at step
 * `entry` (0 to 3) so that the passes cover depth / 4 steps, one copy of the four steps for
 * every depth (the steps post-increment v and w, so a pass entered late needs no pointer
 * moved back). FC4_WHOLE_SUMS, for a depth of whole passes (a multiple of 16), has no entry to
 * choose. The loop count is the fourteenth register; the entry's test shifts it so that C is
 * its bit 1 and Z is set when its bit 0 is clear. The weights and input are declared read
 * through a "memory" clobber: as "m" operands each needed an address register of its own,
 * which GCC could not find for the M7 build. */
#define FC4_LOOP "1:\n\t" FC4_STEP "11:\n\t" FC4_STEP "12:\n\t" FC4_STEP "13:\n\t" FC4_STEP \
                 "subs %[q], %[q], #1\n\t"                                                  \
                 "bne 1b"
#define FC4_SUMS_OPERANDS                                                                          \
    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [v] "+r"(v), [w] "+r"(ww),       \
      [q] "+r"(q), [t] "+&r"(t), [xe] "=&r"(xe), [xo] "=&r"(xo), [p0] "=&r"(p0), [p1] "=&r"(p1),   \
      [p2] "=&r"(p2), [p3] "=&r"(p3)                                                               \
    :                                                                                              \
    : "cc", "memory"
#define FC4_SUMS(entry, passes)                                                                    \
    do {                                                                                           \
        uint32_t xe, xo, t = (entry), p0, p1, p2, p3;                                              \
        int32_t q = (passes);                                                                      \
        __asm__("cmp %[t], #0\n\t"                                                                 \
                "beq 1f\n\t"                                                                       \
                "lsls %[t], %[t], #31\n\t"                                                         \
                "bcc 11f\n\t"                                                                      \
                "beq 12f\n\t"                                                                      \
                "b 13f\n" FC4_LOOP FC4_SUMS_OPERANDS);                                             \
    } while (0)
#define FC4_WHOLE_SUMS(passes)                                                                     \
    do {                                                                                           \
        uint32_t xe, xo, t, p0, p1, p2, p3;                                                        \
        int32_t q = (passes);                                                                      \
        __asm__(FC4_LOOP FC4_SUMS_OPERANDS);                                                       \
    } while (0)
#endif

/* Every group of four units of one batch row x: each group's sums over depth inputs from its
 * arranged weights at ww (word-aligned: each group of the arrangement starts at a multiple of
 * 4 * depth bytes of an aligned array), with the input's words from steps_in (x as words),
 * rescaled and stored to out; returns where the rows of the last units %
 * 4 start. All groups run in one function, so that what a group needs besides its sums (the
 * per-unit tables, out, the loop counts) stays put between groups: a group costs its steps,
 * its rescale and a few reloads from the stack, where a call per group (9 registers saved and
 * restored, the pass's constants reloaded, the caller's pointers updated) cost about 120
 * instructions more. Two copies where this is inlined: `plain` (a constant) for the usual
 * layer, whose units share one rescale (unit_output_shared) and whose depth is whole passes,
 * with no test in a group for what it does not have; the other for every layer, testing for
 * the first pass's entry, the depth % 4 tail and the form of the rescale. Where the second
 * rescaled a shared form through unit_output and its one-entry tables (24 bytes less code),
 * ad01_int8 took 3,700 cycles more on the M33: the shared form stays in both. */
static inline __attribute__((always_inline)) const uint32_t *
all_groups(const int8_t *x, const uint32_t *steps_in, const uint32_t *ww, int32_t depth, int32_t groups,
           const int32_t *bias, const int32_t *multiplier, const int8_t *shift, int8_t *out, int32_t odd_offset,
           int32_t lo, int32_t hi, const int shared, const int plain)
{
    const int32_t steps = depth / 4, tail = depth % 4, passes = (steps + 3) / 4, entry = -steps & 3;
    const int32_t shared_multiplier = multiplier[0], right_1 = ~(int32_t)shift[0];
    /* a shared rescale's tables hold one entry */
    const int32_t table_step = shared ? 0 : 4;
    for (; groups > 0; --groups, bias += 4, multiplier += table_step, shift += table_step, out += 4) {
        int32_t a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
#if defined(__ARM_FEATURE_DSP)
        const uint32_t *v = steps_in;
        if (plain) {
            FC4_WHOLE_SUMS(passes);
        } else if (passes > 0) {
            FC4_SUMS(entry, passes);
        }
#else
        const int8_t *v = x;
        (void)steps_in, (void)passes, (void)entry;
        for (int32_t chunks = steps; chunks > 0; --chunks, v += 4, ww += 4) {
            const uint32_t xv = emu_read_u32(v);
            const uint32_t xe = emu_sxtb16(xv), xo = emu_sxtb16_ror8(xv);
            a0 = emu_smlad(xo, emu_sxtb16_ror8(ww[0]), emu_smlad(xe, emu_sxtb16(ww[0]), a0));
            a1 = emu_smlad(xo, emu_sxtb16_ror8(ww[1]), emu_smlad(xe, emu_sxtb16(ww[1]), a1));
            a2 = emu_smlad(xo, emu_sxtb16_ror8(ww[2]), emu_smlad(xe, emu_sxtb16(ww[2]), a2));
            a3 = emu_smlad(xo, emu_sxtb16_ror8(ww[3]), emu_smlad(xe, emu_sxtb16(ww[3]), a3));
        }
#endif
        if (!plain && tail) {
            /* the last depth % 4 weights of each of the four units, one unit after another */
            const int8_t *r = (const int8_t *)(const void *)ww, *rest = x + (depth - tail);
            for (int32_t k = 0; k < tail; ++k) {
                const int32_t xs = rest[k];
                a0 += r[k] * xs;
                a1 += r[tail + k] * xs;
                a2 += r[2 * tail + k] * xs;
                a3 += r[3 * tail + k] * xs;
            }
            ww = (const uint32_t *)(const void *)(r + 4 * tail);
        }
        if (shared) {
#if defined(__ARM_FEATURE_DSP)
            /* unit_output_shared for the four units, written out so that no instruction reads
             * a result of the one before it: on the M33 a high multiply, a shifted operand and an
             * SSAT take two cycles to give theirs, and in unit_output_shared's order each of the
             * six steps waits for the one before. Four byte stores, where the compiler gathers
             * the bytes into a word first (two instructions more). */
            int8_t *o = out;
            __asm__("lsl %[a0], %[a0], #1\n\t"
                    "lsl %[a1], %[a1], #1\n\t"
                    "smmulr %[a0], %[a0], %[m]\n\t"
                    "smmulr %[a1], %[a1], %[m]\n\t"
                    "lsl %[a2], %[a2], #1\n\t"
                    "lsl %[a3], %[a3], #1\n\t"
                    "add %[a0], %[a0], %[a0], asr #31\n\t"
                    "smmulr %[a2], %[a2], %[m]\n\t"
                    "add %[a1], %[a1], %[a1], asr #31\n\t"
                    "smmulr %[a3], %[a3], %[m]\n\t"
                    "asr %[a0], %[a0], %[r]\n\t"
                    "asr %[a1], %[a1], %[r]\n\t"
                    "add %[a2], %[a2], %[a2], asr #31\n\t"
                    "add %[a3], %[a3], %[a3], asr #31\n\t"
                    "add %[a0], %[a0], %[odd]\n\t"
                    "add %[a1], %[a1], %[odd]\n\t"
                    "asr %[a2], %[a2], %[r]\n\t"
                    "asr %[a3], %[a3], %[r]\n\t"
                    "ssat %[a0], #8, %[a0], asr #1\n\t"
                    "ssat %[a1], #8, %[a1], asr #1\n\t"
                    "add %[a2], %[a2], %[odd]\n\t"
                    "add %[a3], %[a3], %[odd]\n\t"
                    "ssat %[a2], #8, %[a2], asr #1\n\t"
                    "ssat %[a3], #8, %[a3], asr #1\n\t"
                    "strb %[a0], [%[o]]\n\t"
                    "strb %[a1], [%[o], #1]\n\t"
                    "strb %[a2], [%[o], #2]\n\t"
                    "strb %[a3], [%[o], #3]\n\t"
                    : [a0] "+&r"(a0), [a1] "+&r"(a1), [a2] "+&r"(a2), [a3] "+&r"(a3), "=m"(*(int8_t(*)[4])o)
                    : [m] "r"(shared_multiplier), [r] "r"(right_1), [odd] "r"(odd_offset), [o] "r"(o));
#else
            out[0] = (int8_t)unit_output_shared(a0, shared_multiplier, right_1, odd_offset);
            out[1] = (int8_t)unit_output_shared(a1, shared_multiplier, right_1, odd_offset);
            out[2] = (int8_t)unit_output_shared(a2, shared_multiplier, right_1, odd_offset);
            out[3] = (int8_t)unit_output_shared(a3, shared_multiplier, right_1, odd_offset);
#endif
        } else {
            /* one copy of unit_output in a loop, not four: per-unit tables are the rarer layer,
             * and four copies cost 0.2 KB of flash */
            const int32_t sums[4] = {a0, a1, a2, a3};
#pragma GCC unroll 1
            for (int32_t k = 0; k < 4; ++k) {
                out[k] = (int8_t)unit_output(sums[k], multiplier[k], shift[k], odd_offset, lo, hi);
            }
        }
    }
    return ww;
}

/* One unit's dot product with x over depth inputs, its weights a row as the model stores it
 * (the last units % 4 of the arrangement). */
static int32_t one_row(const int8_t *v, const int8_t *w, int32_t depth, int32_t acc)
{
    int32_t n = depth;
    for (; n >= 4; n -= 4, v += 4, w += 4) {
        const uint32_t xv = emu_read_u32(v), pv = emu_read_u32(w);
        acc = emu_smlad(emu_sxtb16(xv), emu_sxtb16(pv), acc);
        acc = emu_smlad(emu_sxtb16_ror8(xv), emu_sxtb16_ror8(pv), acc);
    }
    for (; n > 0; --n)
        acc += *w++ * (int32_t)*v++;
    return acc;
}

void emu_fully_connected_s8_dsp4(const emu_fully_connected_s8_params *p, const int8_t *input,
                                 const int8_t *weights, int8_t *output)
{
    const int32_t *bias = p->folded_bias;
    const int32_t *multiplier = p->multiplier;
    const int8_t *shift = p->shift;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max, odd_offset = 2 * offset + 1;
    const int32_t depth = p->depth, units = p->units, groups = units / 4, grouped = groups * 4;
    /* a shared rescale's tables hold one entry (emu/compile/ops/fully_connected.py) */
    const int shared = p->shared_rescale;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = input + b * depth;
        int8_t *out = output + b * units;
        const uint32_t *ww = (const uint32_t *)(const void *)weights;
        const uint32_t *const steps_in = (const uint32_t *)(const void *)x;
        if (shared && depth % 16 == 0) {
            ww = all_groups(x, steps_in, ww, depth, groups, bias, multiplier, shift, out, odd_offset, lo, hi, 1, 1);
        } else {
            ww = all_groups(x, steps_in, ww, depth, groups, bias, multiplier, shift, out, odd_offset, lo, hi, shared, 0);
        }
        const int8_t *w = (const int8_t *)(const void *)ww;
        for (int32_t u = grouped; u < units; ++u, w += depth) {
            const int32_t k = shared ? 0 : u;
            const emu_dsp_rescale r = emu_dsp_rescale_for(multiplier[k], shift[k]);
            out[u] = (int8_t)emu_dsp_output(&r, one_row(x, w, depth, bias[u]), offset, lo, hi);
        }
    }
}
