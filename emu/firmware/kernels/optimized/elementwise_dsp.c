/* int8 ADD, SUB and MUL, with emu_dsp.h's rescale in place of TFLM's 64-bit one.
 *
 * The arithmetic is that of elementwise.c. Each of ADD's three rescales (both inputs to
 * their common scale, the sum to the output) becomes SMMULR and a rounding shift, exact
 * because every value it sees is far inside int32: an input shifted left by 20 is below
 * 2^28, and so is each rescaled input (their multipliers are below one), so the sum is below
 * 2^29. MUL's product of two offset inputs is below 2^16. Within an ADD's run, an input
 * that is broadcast (step 0) is rescaled once, not once per element. SUB is ADD with the
 * second rescaled input subtracted (as in elementwise.c), so the same bounds hold.
 */
#include "elementwise_dsp.h"

#include "elementwise_runs.h"
#include "emu_dsp.h"

typedef struct {
    const emu_add_s8_params *p;
    emu_dsp_rescale in1, in2, out;
} add_context;

/* An input element, offset, shifted left for headroom and rescaled to the common scale. */
static inline int32_t add_input(const emu_dsp_rescale *r, int32_t offset, int32_t left_shift, int8_t x)
{
    return emu_dsp_rescale_apply(r, (offset + x) * (1 << left_shift));
}

/* The rescales and bounds are copied into locals first: stores of int8_t may alias anything,
 * so the compiler would read each field again after every element written. */
/* ADD, or SUB when `subtract`; always inlined, so each operator gets its own loop with the
 * choice folded away (as a call, it cost ADD 3 instructions per element on the M4F). */
static inline __attribute__((always_inline)) void add_sub_run(const add_context *c, const int8_t *a,
                                                              int32_t step_a, const int8_t *b, int32_t step_b,
                                                              int8_t *out, int32_t n, int subtract)
{
    const emu_add_s8_params *p = c->p;
    const emu_dsp_rescale r1 = c->in1, r2 = c->in2, ro = c->out;
    const int32_t shift = p->left_shift, off1 = p->input1_offset, off2 = p->input2_offset;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
#define ADD_OUTPUT(sum) \
    do { \
        const int32_t y_ = emu_dsp_rescale_apply(&ro, (sum)) + offset; \
        *out++ = (int8_t)(y_ < lo ? lo : y_ > hi ? hi : y_); \
    } while (0)
    if (step_b == 0) {
        const int32_t yb = subtract ? -add_input(&r2, off2, shift, b[0]) : add_input(&r2, off2, shift, b[0]);
        for (int32_t i = 0; i < n; i++, a += step_a) {
            ADD_OUTPUT(add_input(&r1, off1, shift, *a) + yb);
        }
    } else if (step_a == 0) {
        const int32_t ya = add_input(&r1, off1, shift, a[0]);
        for (int32_t i = 0; i < n; i++, b += step_b) {
            const int32_t yb = add_input(&r2, off2, shift, *b);
            ADD_OUTPUT(subtract ? ya - yb : ya + yb);
        }
    } else {
        for (int32_t i = 0; i < n; i++, a += step_a, b += step_b) {
            const int32_t ya = add_input(&r1, off1, shift, *a), yb = add_input(&r2, off2, shift, *b);
            ADD_OUTPUT(subtract ? ya - yb : ya + yb);
        }
    }
#undef ADD_OUTPUT
}

static void add_run(const add_context *c, const int8_t *a, int32_t step_a, const int8_t *b, int32_t step_b,
                    int8_t *out, int32_t n)
{
    add_sub_run(c, a, step_a, b, step_b, out, n, 0);
}

static void sub_run(const add_context *c, const int8_t *a, int32_t step_a, const int8_t *b, int32_t step_b,
                    int8_t *out, int32_t n)
{
    add_sub_run(c, a, step_a, b, step_b, out, n, 1);
}

static add_context add_context_for(const emu_add_s8_params *p)
{
    const add_context c = {p, emu_dsp_rescale_for(p->input1_multiplier, p->input1_shift),
                           emu_dsp_rescale_for(p->input2_multiplier, p->input2_shift),
                           emu_dsp_rescale_for(p->output_multiplier, p->output_shift)};
    return c;
}

void emu_add_s8_dsp(const emu_add_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const add_context c = add_context_for(p);
    FOR_EACH_RUN(p, &c, input1, input2, output, add_run);
}

void emu_sub_s8_dsp(const emu_add_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const add_context c = add_context_for(p);
    FOR_EACH_RUN(p, &c, input1, input2, output, sub_run);
}

/* ADD and SUB through tables (emu_add_s8_table_dsp): an input's rescaled value depends on its
 * int8 value alone, so the compiler works out all 256 of each input's at build time
 * (emu/compile/ops/elementwise.py, add_tables) and the loop reads them: two byte loads, two
 * table loads and the output's rescale per element, where computing both input rescales
 * takes fourteen more instructions and eight more constants than the core has registers for.
 * The second input's table holds SUB's rescaled values negated, so SUB is the same sum.
 * The output's rescale is the short one (emu_dsp.h): the compiler takes this form only for an
 * output shift from -1 to -EMU_DSP_SHORT_MAX_RIGHT, and the zero point joins the rounding
 * constant; the sum is below 2^29 (see the top of this file), so doubling it fits. */
typedef struct {
    const emu_add_s8_params *p;
    const int32_t *table1, *table2; /* indexed by the int8 value itself: each points at value 0 */
    emu_dsp_rescale out;
} table_context;

static inline __attribute__((always_inline)) void table_run_form(const table_context *c, const int8_t *a,
                                                                 int32_t step_a, const int8_t *b, int32_t step_b,
                                                                 int8_t *out, int32_t n, const int FULL)
{
    const int32_t *const t1 = c->table1, *const t2 = c->table2;
    const int32_t multiplier = c->out.multiplier, half = c->out.half, right = c->out.right;
    const int32_t lo = c->p->act_min, hi = c->p->act_max;
    for (int8_t *const end = out + n; out < end; a += step_a, b += step_b) {
        const int32_t high = emu_smmulr((int32_t)((uint32_t)(t1[*a] + t2[*b]) << 1), multiplier);
        const int32_t y = (high + half + (high >> 31)) >> right;
        *out++ = (int8_t)(FULL ? emu_sat8(y) : emu_clamp(y, lo, hi));
    }
}

/* Two inputs read in step (no broadcast, the usual case) get loops of their own, with the steps
 * constants: in registers, the steps would push the multiplier out to the stack. */
static void table_run(const table_context *c, const int8_t *a, int32_t step_a, const int8_t *b, int32_t step_b,
                      int8_t *out, int32_t n)
{
    const int full = c->p->act_min == -128 && c->p->act_max == 127;
    if (step_a == 1 && step_b == 1) {
        if (full) {
            table_run_form(c, a, 1, b, 1, out, n, 1);
        } else {
            table_run_form(c, a, 1, b, 1, out, n, 0);
        }
    } else if (full) {
        table_run_form(c, a, step_a, b, step_b, out, n, 1);
    } else {
        table_run_form(c, a, step_a, b, step_b, out, n, 0);
    }
}

void emu_add_s8_table_dsp(const emu_add_s8_params *p, const int8_t *input1, const int8_t *input2,
                          int8_t *output, const int32_t *tables)
{
    table_context c = {p, tables + 128, tables + 256 + 128,
                       emu_dsp_rescale_for(p->output_multiplier, p->output_shift)};
    c.out.half += (int32_t)((uint32_t)p->output_offset << c.out.right);
    FOR_EACH_RUN(p, &c, input1, input2, output, table_run);
}

typedef struct {
    const emu_mul_s8_params *p;
    emu_dsp_rescale out;
} mul_context;

static void mul_run(const mul_context *c, const int8_t *a, int32_t step_a, const int8_t *b, int32_t step_b,
                    int8_t *out, int32_t n)
{
    const emu_mul_s8_params *p = c->p;
    const emu_dsp_rescale r = c->out; /* in locals, as in add_run */
    const int32_t off1 = p->input1_offset, off2 = p->input2_offset, offset = p->output_offset;
    const int32_t lo = p->act_min, hi = p->act_max;
    for (int32_t i = 0; i < n; i++, a += step_a, b += step_b) {
        const int32_t y = emu_dsp_rescale_apply(&r, (off1 + *a) * (off2 + *b)) + offset;
        out[i] = (int8_t)(y < lo ? lo : y > hi ? hi : y);
    }
}

void emu_mul_s8_dsp(const emu_mul_s8_params *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    const mul_context c = {p, emu_dsp_rescale_for(p->output_multiplier, p->output_shift)};
    FOR_EACH_RUN(p, &c, input1, input2, output, mul_run);
}
