/* int8 ADD, SUB and MUL with Helium (MVE): four elements per vector in int32 lanes, the last
 * n % 4 of a run predicated (VCTP).
 *
 * The arithmetic is that of elementwise_dsp.c, whose bounds make emu_mve.h's rescale exact
 * here too (ADD's values stay below 2^29; the compiler picks MUL's kernel only for output
 * shifts that keep its product in int32). The inputs' steps along a run are 0 (broadcast:
 * that input's value is offset and rescaled once per run) or 1, which is all the compiler's
 * broadcast description produces for the innermost dimension (emu/compile/ops/elementwise.py).
 */
#include "elementwise_mve.h"

#if defined(__ARM_FEATURE_MVE)

#include <arm_mve.h>

#include "elementwise_runs.h"
#include "emu_mve.h"

/* Four elements from x (step 1) or x's one value in every lane (step 0), widened to int32. */
static inline int32x4_t load_four(const int8_t *x, int32_t step, int32_t i, mve_pred16_t lanes)
{
    return step ? vldrbq_z_s32(x + i, lanes) : vdupq_n_s32(x[0]);
}

/* An input, offset, shifted left for headroom and rescaled to the common scale. */
static inline int32x4_t add_input(int32x4_t x, int32_t offset, int32_t left_shift, int32_t multiplier,
                                  int32_t shift)
{
    return emu_mve_rescale_n(vshlq_r_s32(vaddq_n_s32(x, offset), left_shift), multiplier, shift);
}

/* ADD, or SUB (the second rescaled input subtracted, as in elementwise.c) when `subtract`. */
static inline void add_sub_run(const emu_add_s8_params *p, const int8_t *a, int32_t step_a, const int8_t *b,
                               int32_t step_b, int8_t *out, int32_t n, int subtract)
{
    const int32_t shift = p->left_shift, offset = p->output_offset;
    const int32_t m1 = p->input1_multiplier, s1 = p->input1_shift, off1 = p->input1_offset;
    const int32_t m2 = p->input2_multiplier, s2 = p->input2_shift, off2 = p->input2_offset;
    const int32_t mo = p->output_multiplier, so = p->output_shift;
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    /* a broadcast input is the same in every lane of every vector: rescaled once */
    const int32x4_t fixed_a = add_input(vdupq_n_s32(a[0]), off1, shift, m1, s1);
    const int32x4_t fixed_b = add_input(vdupq_n_s32(b[0]), off2, shift, m2, s2);
    for (int32_t i = 0; i < n; i += 4) {
        const mve_pred16_t lanes = vctp32q((uint32_t)(n - i));
        const int32x4_t xa = step_a ? add_input(load_four(a, 1, i, lanes), off1, shift, m1, s1) : fixed_a;
        const int32x4_t xb = step_b ? add_input(load_four(b, 1, i, lanes), off2, shift, m2, s2) : fixed_b;
        const int32x4_t sum = subtract ? vsubq_s32(xa, xb) : vaddq_s32(xa, xb);
        const int32x4_t y = vaddq_n_s32(emu_mve_rescale_n(sum, mo, so), offset);
        vstrbq_p_s32(out + i, vminq_s32(vmaxq_s32(y, lo), hi), lanes);
    }
}

/* emu_mve_rescale_n for a shift of 0 or less, whether it is negative (`divide`) known where
 * the loop is compiled, so the loop has no branch on it. */
static inline __attribute__((always_inline)) int32x4_t rescaled(int32x4_t x, int32_t multiplier, int32_t shift,
                                                                int divide)
{
    x = vqrdmulhq_n_s32(x, multiplier);
    return divide ? vrshlq_n_s32(vaddq_s32(x, vshrq_n_s32(x, 31)), shift) : x;
}

/* ADD of two runs read in step (no broadcast along the run), for the usual rescales: the
 * inputs' shifts 0 or less, the output's negative (add_run picks it). Eight elements per pass
 * in two independent vectors, so that each instruction's wait on the one before is covered
 * by the other's; the last n % 8 predicated. An input's offset and the headroom shift are one
 * VMLAS: x * 2^left_shift + offset * 2^left_shift, the integers of the shifted sum. */
static inline __attribute__((always_inline)) void add_in_step(const emu_add_s8_params *p, const int8_t *a,
                                                              const int8_t *b, int8_t *out, int32_t n, int divide1,
                                                              int divide2)
{
    const int32_t m1 = p->input1_multiplier, s1 = p->input1_shift, m2 = p->input2_multiplier, s2 = p->input2_shift;
    const int32_t mo = p->output_multiplier, so = p->output_shift, offset = p->output_offset;
    const int32x4_t scale = vdupq_n_s32((int32_t)(1u << p->left_shift));
    const int32_t add1 = (int32_t)((uint32_t)p->input1_offset << p->left_shift);
    const int32_t add2 = (int32_t)((uint32_t)p->input2_offset << p->left_shift);
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        int32x4_t x0 = vmlasq_n_s32(vldrbq_s32(a + i), scale, add1);
        int32x4_t x1 = vmlasq_n_s32(vldrbq_s32(a + i + 4), scale, add1);
        int32x4_t y0 = vmlasq_n_s32(vldrbq_s32(b + i), scale, add2);
        int32x4_t y1 = vmlasq_n_s32(vldrbq_s32(b + i + 4), scale, add2);
        x0 = vaddq_s32(rescaled(x0, m1, s1, divide1), rescaled(y0, m2, s2, divide2));
        x1 = vaddq_s32(rescaled(x1, m1, s1, divide1), rescaled(y1, m2, s2, divide2));
        x0 = vaddq_n_s32(rescaled(x0, mo, so, 1), offset);
        x1 = vaddq_n_s32(rescaled(x1, mo, so, 1), offset);
        vstrbq_s32(out + i, vminq_s32(vmaxq_s32(x0, lo), hi));
        vstrbq_s32(out + i + 4, vminq_s32(vmaxq_s32(x1, lo), hi));
    }
    for (; i < n; i += 4) {
        const mve_pred16_t lanes = vctp32q((uint32_t)(n - i));
        const int32x4_t x = rescaled(vmlasq_n_s32(vldrbq_z_s32(a + i, lanes), scale, add1), m1, s1, divide1);
        const int32x4_t y = rescaled(vmlasq_n_s32(vldrbq_z_s32(b + i, lanes), scale, add2), m2, s2, divide2);
        const int32x4_t z = vaddq_n_s32(rescaled(vaddq_s32(x, y), mo, so, 1), offset);
        vstrbq_p_s32(out + i, vminq_s32(vmaxq_s32(z, lo), hi), lanes);
    }
}

static void add_run(const emu_add_s8_params *p, const int8_t *a, int32_t step_a, const int8_t *b, int32_t step_b,
                    int8_t *out, int32_t n)
{
    const int32_t s1 = p->input1_shift, s2 = p->input2_shift;
    if (!step_a || !step_b || s1 > 0 || s2 > 0 || p->output_shift >= 0) {
        add_sub_run(p, a, step_a, b, step_b, out, n, 0);
    } else if (s1 < 0 && s2 < 0) {
        add_in_step(p, a, b, out, n, 1, 1);
    } else if (s1 < 0) {
        add_in_step(p, a, b, out, n, 1, 0);
    } else if (s2 < 0) {
        add_in_step(p, a, b, out, n, 0, 1);
    } else {
        add_in_step(p, a, b, out, n, 0, 0);
    }
}

static void sub_run(const emu_add_s8_params *p, const int8_t *a, int32_t step_a, const int8_t *b, int32_t step_b,
                    int8_t *out, int32_t n)
{
    add_sub_run(p, a, step_a, b, step_b, out, n, 1);
}

void emu_add_s8_mve(const emu_add_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, add_run);
}

void emu_sub_s8_mve(const emu_add_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, sub_run);
}

static void mul_run(const emu_mul_s8_params *p, const int8_t *a, int32_t step_a, const int8_t *b, int32_t step_b,
                    int8_t *out, int32_t n)
{
    const int32_t off1 = p->input1_offset, off2 = p->input2_offset, offset = p->output_offset;
    const int32_t m = p->output_multiplier, s = p->output_shift;
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    for (int32_t i = 0; i < n; i += 4) {
        const mve_pred16_t lanes = vctp32q((uint32_t)(n - i));
        const int32x4_t xa = vaddq_n_s32(load_four(a, step_a, i, lanes), off1);
        const int32x4_t xb = vaddq_n_s32(load_four(b, step_b, i, lanes), off2);
        const int32x4_t y = vaddq_n_s32(emu_mve_rescale_n(vmulq_s32(xa, xb), m, s), offset);
        vstrbq_p_s32(out + i, vminq_s32(vmaxq_s32(y, lo), hi), lanes);
    }
}

void emu_mul_s8_mve(const emu_mul_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    FOR_EACH_RUN(p, p, input1, input2, output, mul_run);
}

#else
typedef int emu_elementwise_mve_needs_helium; /* the host build has no MVE: nothing to compile */
#endif
