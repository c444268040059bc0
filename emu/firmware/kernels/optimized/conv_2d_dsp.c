/* CONV_2D, int8, with SMLAD: two output channels of three output pixels per pass.
 *
 * The arithmetic is that of conv_2d.c: the bias with the input offset folded in at compile
 * time, padded taps reading the input zero point, so each output is a plain dot product of
 * its window with its filter. Here the windows of three output pixels are first expanded to
 * int16 halves in scratch (emu_dsp.h's packed order; for every four bytes of the window,
 * each pixel's even and odd halves in turn), once for all output channels. The inner loop
 * then takes two output channels at a time: their two filter words, expanded once (four
 * SXTB16), meet each pixel's two window words in four SMLADs, so one step of 24
 * multiply-accumulates loads 8 words and keeps its six sums, four filter halves and two
 * window words in registers. Three pixels (not four) is what the core's 14 registers hold
 * with two channels; against one channel of four pixels it loads a third fewer words per
 * multiply-accumulate, which is what the M4 waits on (a load costs 1 or 2 cycles, an SMLAD 1).
 *
 * The filter: where it is constant, the compiler stores the channels in pairs
 * (emu/compile/ops/conv_2d.py's paired_rows): for every four bytes of the window, the first
 * channel's word then the second's, then each one's last len % 4 bytes; an odd last channel
 * keeps its row. `filter_pairs` in the parameters says so; a filter written at run time
 * (decoded) keeps the model's rows and runs one channel at a time.
 *
 * The rescale is emu_dsp.h's, which the compiler chooses these kernels for only where it is
 * exact. A channel whose shift is EMU_DSP_CONSTANT_SHIFT has one output for every input, its
 * folded bias, and no row in the filter: pruned channels cost no multiplies, and the
 * channels around them pair up as if they were not there.
 *
 * Around the steps, where most of a short window's time went: in the usual form the loop over
 * a group's channel pairs, its steps and the six outputs of a pair are one block of assembly
 * (pairs_asm); a group's three pixels write their outputs at one pointer and a stride; a 3x3
 * window on three channels is put together from the image without a gathered copy.
 *
 * Scratch (emu/compile/ops/conv_2d.py's dsp_scratch_bytes): each live output channel's folded
 * bias and rescale (live_channel, 16 bytes), then each constant channel's number and output in
 * the slots left, and the live channels' numbers (two bytes each, the list a whole number of
 * words), three pixels' outputs for a short
 * last group (a whole number of words), 6 x (window & ~3) bytes of expanded windows, then,
 * where a window cannot be expanded from the image in place, window bytes for a gathered one.
 */
#include "conv_2d_dsp.h"

#include <stddef.h>
#include <string.h>

#include "emu_dsp.h"
#include "window.h"

#define PIXELS 3

/* Pixels waiting for their group to fill: where the first one's outputs go (the others' follow
 * it, output_c bytes apart: pixels join in raster order), and the last len & 3 bytes of their
 * windows. Everything a group reads of its inputs is copied (expanded or here) before it writes
 * any output, so the output may stream over the input (emu/compile/overlap.py) even when a
 * group spans two rows. */
typedef struct {
    int8_t *out;
    int8_t tail[PIXELS][4];
    int count;
} pending_group;

/* n words of window from x, expanded into a pixel's place in the group from dst on; returns
 * where the next word goes. Two words per pass, their loads together (the M4 pipelines them). */
static inline uint32_t *expand_words(uint32_t *dst, const int8_t *x, int32_t n)
{
    for (; n >= 2; n -= 2, x += 8, dst += 4 * PIXELS) {
        const uint32_t a = emu_read_u32(x), b = emu_read_u32(x + 4);
        dst[0] = emu_sxtb16(a);
        dst[1] = emu_sxtb16_ror8(a);
        dst[2 * PIXELS] = emu_sxtb16(b);
        dst[2 * PIXELS + 1] = emu_sxtb16_ror8(b);
    }
    if (n) {
        const uint32_t a = emu_read_u32(x);
        dst[0] = emu_sxtb16(a);
        dst[1] = emu_sxtb16_ror8(a);
        dst += 2 * PIXELS;
    }
    return dst;
}

/* A window of len bytes joins the group: its first len & ~3 bytes expanded into the
 * pixel's place, the rest copied. */
static inline __attribute__((always_inline)) void join_group(pending_group *g, const int8_t *x, int32_t len,
                                                             uint32_t *group, int8_t *out)
{
    expand_words(group + 2 * g->count, x, len >> 2);
    x += len & ~3;
    for (int32_t k = 0; k < (len & 3); ++k) {
        g->tail[g->count][k] = x[k];
    }
    if (g->count++ == 0) {
        g->out = out;
    }
}

/* The window of the output pixel whose first tap would read (iy0, ix0) joins the group
 * straight from the image, where the input has a whole number of words per pixel (every word
 * of the window then lies in one tap): a row of taps inside the image is one run of words,
 * a tap in the padding the input zero point's expanded word, zero_word. No gathered copy. */
static void join_window(pending_group *g, const emu_conv2d_s8_params *p, const int8_t *image, int iy0, int ix0,
                        uint32_t zero_word, uint32_t *group, int8_t *out)
{
    uint32_t *dst = group + 2 * g->count;
    const int32_t words = p->input_c >> 2, row_bytes = (int32_t)p->input_w * p->input_c;
    const int row_fits = p->dilation_w == 1 && ix0 >= 0 && ix0 + p->filter_w <= p->input_w;
    for (int fy = 0; fy < p->filter_h; ++fy) {
        const int iy = iy0 + fy * p->dilation_h;
        const int8_t *row = image + (int32_t)iy * row_bytes;
        if (iy >= 0 && iy < p->input_h && row_fits) {
            dst = expand_words(dst, row + (int32_t)ix0 * p->input_c, words * p->filter_w);
            continue;
        }
        for (int fx = 0; fx < p->filter_w; ++fx) {
            const int ix = ix0 + fx * p->dilation_w;
            if (iy >= 0 && iy < p->input_h && ix >= 0 && ix < p->input_w) {
                dst = expand_words(dst, row + (int32_t)ix * p->input_c, words);
                continue;
            }
            for (int32_t n = 0; n < words; ++n, dst += 2 * PIXELS) {
                dst[0] = zero_word;
                dst[1] = zero_word;
            }
        }
    }
    if (g->count++ == 0) {
        g->out = out;
    }
}

/* A live channel's output stage, in the order a pair of channels reads it: the folded bias its
 * sums start from, then its rescale. */
typedef struct {
    int32_t bias;
    emu_dsp_rescale r;
} live_channel;

/* What every group of a call shares: the live (not constant) channels in order, then the
 * constant channels (in scratch, worked out once per call), the filter and how its rows are
 * laid out, and the output stage's form. */
typedef struct layer_plan layer_plan;

/* The loop over a group's channel pairs that suits the layer (plan_layer chooses it). */
typedef void pairs_loop(const layer_plan *l, const uint32_t *group, const uint32_t *group_end,
                        const int8_t (*tail)[4], int8_t *out, int32_t stride);

struct layer_plan {
    pairs_loop *pairs_of;
    const live_channel *live_table; /* the live channels, in their order; then the constant ones' slots */
    const uint16_t *channel;        /* the live channels' numbers */
    const int8_t *filter;
    int32_t len;                    /* bytes of each window and filter row */
    int32_t output_c;               /* bytes from one pixel's outputs to the next's */
    int8_t *dump;                   /* a short group's outputs, PIXELS x output_c bytes */
    int live, pairs, channels;      /* pairs: of live channels, whose rows the filter interleaves */
    int32_t offset, lo, hi;
    int short_form, full_range;
    int others;                     /* channels not in a pair: a live one alone, or constant ones */
};

/* One output: rescale, zero point, clamp (SHORT: the short rescale; FULL: the activation range
 * is all of int8, one SSAT). */
static inline __attribute__((always_inline)) int8_t output_of(const layer_plan *l, const emu_dsp_rescale *r,
                                                              int32_t acc, const int SHORT, const int FULL)
{
    if (SHORT) {
        const int32_t y = emu_dsp_output_short(r, acc);
        return (int8_t)(FULL ? emu_sat8(y) : emu_clamp(y, l->lo, l->hi));
    }
    return (int8_t)emu_dsp_output(r, acc, l->offset, l->lo, l->hi); /* the clamp is exact for any range */
}

/* The three windows' four bytes at v (six words) against filter word wv: their sums s0..s2. */
#define ONE_STEP(v, wv, s0, s1, s2)                                         \
    do {                                                                    \
        const uint32_t we = emu_sxtb16(wv), wo = emu_sxtb16_ror8(wv);       \
        uint32_t ve, vo;                                                    \
        EMU_LOAD_PAIR(v, 0, ve, vo);                                        \
        s0 = emu_smlad(vo, wo, emu_smlad(ve, we, s0));                      \
        EMU_LOAD_PAIR(v, 2, ve, vo);                                        \
        s1 = emu_smlad(vo, wo, emu_smlad(ve, we, s1));                      \
        EMU_LOAD_PAIR(v, 4, ve, vo);                                        \
        s2 = emu_smlad(vo, wo, emu_smlad(ve, we, s2));                      \
    } while (0)

/* The sums of channels a and b over the three windows, from the expanded windows v .. v_end
 * (six words per four bytes of window) and the paired filter at s (two words per four
 * bytes): for every four bytes, each filter word expanded once and each window word loaded
 * once, into four SMLADs. */
typedef struct {
    int32_t a0, a1, a2, b0, b1, b2;
} pair_sums;

#if defined(__ARM_FEATURE_DSP)
/* One step of four window bytes as assembly: GCC, left to schedule the C, spills the sums
 * (six sums, four filter halves, two window words and the two pointers take all 14
 * registers). Two orders of the same instructions: where the core issues one instruction at
 * a time (M4, M33) the loads go in runs, which the M4 pipelines (n + 1 cycles for n loads)
 * and after which the M33's two-cycle load results are ready; where it issues two
 * (EMU_DUAL_ISSUE, the M7: the board's cflags), each load or SXTB16 goes beside an SMLAD
 * it can issue with. VO and SO are the step's byte offsets from v and s, as strings. Every
 * instruction is a 32-bit one (LDR.W), so that a step is 96 bytes wherever it stands:
 * pairs_asm jumps into its loop at an address worked out from the step to enter at. */
#if defined(EMU_DUAL_ISSUE)
#define PAIR_STEP_ASM(VO, SO)                                                               \
    "ldr.w  %[wa], [%[s], #" SO "]\n\t"                                                     \
    "ldr.w  %[wb], [%[s], #" SO "+4]\n\t"                                                   \
    "sxtb16 %[ae], %[wa]\n\t"                                                               \
    "ldr.w  %[ve], [%[v], #" VO "]\n\t"                                                     \
    "sxtb16 %[wa], %[wa], ror #8\n\t"                                                       \
    "ldr.w  %[vo], [%[v], #" VO "+4]\n\t"                                                   \
    "sxtb16 %[be], %[wb]\n\t"                                                               \
    "smlad  %[a0], %[ve], %[ae], %[a0]\n\t"                                                 \
    "sxtb16 %[wb], %[wb], ror #8\n\t"                                                       \
    "smlad  %[a0], %[vo], %[wa], %[a0]\n\t"                                                 \
    "smlad  %[b0], %[ve], %[be], %[b0]\n\t"                                                 \
    "ldr.w  %[ve], [%[v], #" VO "+8]\n\t"                                                   \
    "smlad  %[b0], %[vo], %[wb], %[b0]\n\t"                                                 \
    "ldr.w  %[vo], [%[v], #" VO "+12]\n\t"                                                  \
    "smlad  %[a1], %[ve], %[ae], %[a1]\n\t"                                                 \
    "smlad  %[a1], %[vo], %[wa], %[a1]\n\t"                                                 \
    "smlad  %[b1], %[ve], %[be], %[b1]\n\t"                                                 \
    "ldr.w  %[ve], [%[v], #" VO "+16]\n\t"                                                  \
    "smlad  %[b1], %[vo], %[wb], %[b1]\n\t"                                                 \
    "ldr.w  %[vo], [%[v], #" VO "+20]\n\t"                                                  \
    "smlad  %[a2], %[ve], %[ae], %[a2]\n\t"                                                 \
    "smlad  %[a2], %[vo], %[wa], %[a2]\n\t"                                                 \
    "smlad  %[b2], %[ve], %[be], %[b2]\n\t"                                                 \
    "smlad  %[b2], %[vo], %[wb], %[b2]\n\t"
#else
#define PAIR_STEP_ASM(VO, SO)                                                               \
    "ldr.w  %[wa], [%[s], #" SO "]\n\t"                                                     \
    "ldr.w  %[wb], [%[s], #" SO "+4]\n\t"                                                   \
    "ldr.w  %[ve], [%[v], #" VO "]\n\t"                                                     \
    "ldr.w  %[vo], [%[v], #" VO "+4]\n\t"                                                   \
    "sxtb16 %[ae], %[wa]\n\t"                                                               \
    "sxtb16 %[wa], %[wa], ror #8\n\t"                                                       \
    "sxtb16 %[be], %[wb]\n\t"                                                               \
    "sxtb16 %[wb], %[wb], ror #8\n\t"                                                       \
    "smlad  %[a0], %[ve], %[ae], %[a0]\n\t"                                                 \
    "smlad  %[b0], %[ve], %[be], %[b0]\n\t"                                                 \
    "smlad  %[a0], %[vo], %[wa], %[a0]\n\t"                                                 \
    "smlad  %[b0], %[vo], %[wb], %[b0]\n\t"                                                 \
    "ldr.w  %[ve], [%[v], #" VO "+8]\n\t"                                                   \
    "ldr.w  %[vo], [%[v], #" VO "+12]\n\t"                                                  \
    "smlad  %[a1], %[ve], %[ae], %[a1]\n\t"                                                 \
    "smlad  %[b1], %[ve], %[be], %[b1]\n\t"                                                 \
    "smlad  %[a1], %[vo], %[wa], %[a1]\n\t"                                                 \
    "smlad  %[b1], %[vo], %[wb], %[b1]\n\t"                                                 \
    "ldr.w  %[ve], [%[v], #" VO "+16]\n\t"                                                  \
    "ldr.w  %[vo], [%[v], #" VO "+20]\n\t"                                                  \
    "smlad  %[a2], %[ve], %[ae], %[a2]\n\t"                                                 \
    "smlad  %[b2], %[ve], %[be], %[b2]\n\t"                                                 \
    "smlad  %[a2], %[vo], %[wa], %[a2]\n\t"                                                 \
    "smlad  %[b2], %[vo], %[wb], %[b2]\n\t"
#endif

static inline __attribute__((always_inline)) pair_sums pair_dot(pair_sums t, const uint32_t *v,
                                                                const uint32_t *v_end, const int8_t **ws)
{
    if (v == v_end) {
        return t;
    }
    const int8_t *s = *ws;
    /* Four steps per pass, the first pass entered at the step that leaves a whole number of
     * passes, v and s moved back to match (by 24 and 8 bytes a step). The loop's end goes on
     * the stack: no register is left for it. `ve` carries it in, `wa` the step to enter at. */
    uint32_t wa = (uint32_t)(-(v_end - v) / (2 * PIXELS)) & 3, wb, ae, be, ve = (uint32_t)v_end, vo;
    __asm__ volatile("str    %[ve], [sp, #-8]!\n\t"
                     "add    %[wb], %[wa], %[wa], lsl #1\n\t"
                     "sub    %[v], %[v], %[wb], lsl #3\n\t"
                     "sub    %[s], %[s], %[wa], lsl #3\n\t"
                     "cmp    %[wa], #1\n\t"
                     "beq    11f\n\t"
                     "cmp    %[wa], #2\n\t"
                     "beq    12f\n\t"
                     "cmp    %[wa], #3\n\t"
                     "beq    13f\n"
                     "1:\n\t"
                     PAIR_STEP_ASM("0", "0")
                     "11:\n\t"
                     PAIR_STEP_ASM("24", "8")
                     "12:\n\t"
                     PAIR_STEP_ASM("48", "16")
                     "13:\n\t"
                     PAIR_STEP_ASM("72", "24")
                     "adds   %[s], #32\n\t"
                     "adds   %[v], #96\n\t"
                     "ldr    %[ve], [sp]\n\t"
                     "cmp    %[v], %[ve]\n\t"
                     "bne    1b\n\t"
                     "add    sp, #8"
                     : [a0] "+r"(t.a0), [a1] "+r"(t.a1), [a2] "+r"(t.a2), [b0] "+r"(t.b0), [b1] "+r"(t.b1),
                       [b2] "+r"(t.b2), [v] "+r"(v), [s] "+r"(s), [wa] "+&r"(wa), [wb] "=&r"(wb),
                       [ae] "=&r"(ae), [be] "=&r"(be), [ve] "+&r"(ve), [vo] "=&r"(vo)
                     :
                     : "memory", "cc");
    *ws = s;
    return t;
}
#else
static inline pair_sums pair_dot(pair_sums t, const uint32_t *v, const uint32_t *v_end, const int8_t **ws)
{
    const int8_t *s = *ws;
    for (; v < v_end; v += 2 * PIXELS, s += 8) {
        const uint32_t wa = emu_read_u32(s), wb = emu_read_u32(s + 4);
        const uint32_t ae = emu_sxtb16(wa), ao = emu_sxtb16_ror8(wa);
        const uint32_t be = emu_sxtb16(wb), bo = emu_sxtb16_ror8(wb);
        t.a0 = emu_smlad(v[1], ao, emu_smlad(v[0], ae, t.a0));
        t.b0 = emu_smlad(v[1], bo, emu_smlad(v[0], be, t.b0));
        t.a1 = emu_smlad(v[3], ao, emu_smlad(v[2], ae, t.a1));
        t.b1 = emu_smlad(v[3], bo, emu_smlad(v[2], be, t.b1));
        t.a2 = emu_smlad(v[5], ao, emu_smlad(v[4], ae, t.a2));
        t.b2 = emu_smlad(v[5], bo, emu_smlad(v[4], be, t.b2));
    }
    *ws = s;
    return t;
}
#endif

#if defined(__ARM_FEATURE_DSP)
/* One step of the short rescale on the sum in register ACC (a string): the output before the
 * clamp, emu_dsp_output_short's (high + half + (high >> 31)) >> right, as one SMMLAR:
 * SMMLAR x, m, a is a + (x * m + 2^31) >> 32, the rounded high word plus a, so with x = acc << 1
 * and a = half + (acc >> 31) it is high + half + (acc >> 31). acc's sign bit stands in for
 * high's: the multiplier is positive, so high has acc's sign or is 0, and for high = 0 both
 * give the same output (half + 0 and half - 1 are offset << right plus 2^(right - 1) or
 * 2^(right - 1) - 1, which the shift right by right >= 1 takes to offset alike). */
#define SHORT_RESCALE_ASM(ACC, M, HALF, RIGHT, T)                                            \
    "add    %[" T "], %[" HALF "], %[" ACC "], asr #31\n\t"                                      \
    "lsl    %[" ACC "], %[" ACC "], #1\n\t"                                                      \
    "smmlar %[" ACC "], %[" ACC "], %[" M "], %[" T "]\n\t"                                      \
    "asr    %[" ACC "], %[" ACC "], %[" RIGHT "]\n\t"                                            \
    "ssat   %[" ACC "], #8, %[" ACC "]\n\t"

/* Every pair of live channels of a group whose filter rows are whole words (no tail), in the
 * usual form: one block of assembly for the loop over pairs, the loop over steps
 * (PAIR_STEP_ASM, eight a pass, entered at the step that leaves whole passes) and the output
 * stage, so that nothing is spilled and reloaded around them as GCC does: what lasts from
 * pair to pair (the channels' and outputs' places, the entry) waits in a frame on the stack,
 * loaded where a register is free. The output stage takes 47 instructions (51 with a channel
 * list) where GCC's C took about 60: the rescale's fields in two loads a channel, the stores
 * with immediate offsets from addresses worked out ahead (a register-offset STRB takes the M4
 * two cycles, and an address from the instruction just before it one more). */
#define FRAME_END "0"     /* group_end */
#define FRAME_V "4"       /* group, moved back by the steps skipped on entry (24 bytes each) */
#define FRAME_JUMP "8"    /* the address of the step to enter at (Thumb: bit 0 set) */
#define FRAME_R "12"      /* the pair's live_channel entries */
#define FRAME_R_END "16"
#define FRAME_OUT "20"    /* the pair's first output, or with a channel list the pixel's */
#define FRAME_STRIDE "24"
#define FRAME_BACK "28"   /* the steps skipped on entry, in filter bytes (8 each) */
#define FRAME_CHANNEL "32" /* with a channel list: the pair's two channels */
#define FRAME_BYTES "40"

/* The frame from the inputs (v group, ve group_end, vo the step to enter at, 0..7, wa wb the
 * entries and their end, ae the output, be the stride, a0 the channel list), then the loop over
 * pairs up to the outputs worked out: a0..a2 and b0..b2 the two channels' int8 outputs for the
 * three pixels, v the pair's entries, ve vo wa wb ae be free. Eight steps a pass (the pass's
 * five instructions and taken branch come to a cycle a step), entered by a load of the PC from
 * the frame: the same two cycles for any entry, where comparing for eight would take more. */
#define PAIRS_ASM_HEAD                                                                      \
    "sub    sp, sp, #" FRAME_BYTES "\n\t"                                                   \
    "str    %[a0], [sp, #" FRAME_CHANNEL "]\n\t"                                            \
    "str    %[ve], [sp, #" FRAME_END "]\n\t"                                                \
    "add    %[a0], %[vo], %[vo], lsl #1\n\t"                                                \
    "sub    %[v], %[v], %[a0], lsl #3\n\t"                                                  \
    "str    %[v], [sp, #" FRAME_V "]\n\t"                                                   \
    "adr.w  %[a1], 1f\n\t" /* step 0, then 96 bytes (3 x 32) a step */                   \
    "add    %[a1], %[a1], %[a0], lsl #5\n\t"                                                \
    "orr    %[a1], %[a1], #1\n\t"                                                           \
    "str    %[a1], [sp, #" FRAME_JUMP "]\n\t"                                               \
    "lsl    %[a0], %[vo], #3\n\t"                                                           \
    "str    %[a0], [sp, #" FRAME_BACK "]\n\t"                                               \
    "str    %[wa], [sp, #" FRAME_R "]\n\t"                                                  \
    "str    %[wb], [sp, #" FRAME_R_END "]\n\t"                                              \
    "str    %[ae], [sp, #" FRAME_OUT "]\n\t"                                                \
    "str    %[be], [sp, #" FRAME_STRIDE "]\n"                                               \
    "2:\n\t" /* a pair: wa holds its entries */                                             \
    "ldr    %[a0], [%[wa]]\n\t"                                                             \
    "ldr    %[b0], [%[wa], #16]\n\t"                                                        \
    "ldr    %[v], [sp, #" FRAME_V "]\n\t"                                                   \
    "ldr    %[vo], [sp, #" FRAME_BACK "]\n\t"                                               \
    "mov    %[a1], %[a0]\n\t"                                                               \
    "mov    %[a2], %[a0]\n\t"                                                               \
    "mov    %[b1], %[b0]\n\t"                                                               \
    "mov    %[b2], %[b0]\n\t"                                                               \
    "sub    %[s], %[s], %[vo]\n\t"                                                          \
    "ldr    pc, [sp, #" FRAME_JUMP "]\n"                                                    \
    "1:\n\t"                                                                                \
    PAIR_STEP_ASM("0", "0")                                                                 \
    PAIR_STEP_ASM("24", "8")                                                                \
    PAIR_STEP_ASM("48", "16")                                                               \
    PAIR_STEP_ASM("72", "24")                                                               \
    PAIR_STEP_ASM("96", "32")                                                               \
    PAIR_STEP_ASM("120", "40")                                                              \
    PAIR_STEP_ASM("144", "48")                                                              \
    PAIR_STEP_ASM("168", "56")                                                              \
    "adds   %[s], #64\n\t"                                                                  \
    "adds   %[v], #192\n\t"                                                                 \
    "ldr    %[ve], [sp, #" FRAME_END "]\n\t"                                                \
    "cmp    %[v], %[ve]\n\t"                                                                \
    "bne    1b\n\t"                                                                         \
    /* the rescale: wa wb ae the multiplier, half and right, be a temporary */              \
    "ldr    %[v], [sp, #" FRAME_R "]\n\t"                                                   \
    "ldrd   %[wa], %[wb], [%[v], #4]\n\t"                                                   \
    "ldrb   %[ae], [%[v], #14]\n\t"                                                         \
    SHORT_RESCALE_ASM("a0", "wa", "wb", "ae", "be")                                         \
    SHORT_RESCALE_ASM("a1", "wa", "wb", "ae", "be")                                         \
    SHORT_RESCALE_ASM("a2", "wa", "wb", "ae", "be")                                         \
    "ldrd   %[wa], %[wb], [%[v], #20]\n\t"                                                  \
    "ldrb   %[ae], [%[v], #30]\n\t"                                                         \
    SHORT_RESCALE_ASM("b0", "wa", "wb", "ae", "be")                                         \
    SHORT_RESCALE_ASM("b1", "wa", "wb", "ae", "be")                                         \
    SHORT_RESCALE_ASM("b2", "wa", "wb", "ae", "be")

/* The next pair, if any, and the frame's end. */
#define PAIRS_ASM_TAIL                                                                      \
    "add    %[wa], %[v], #32\n\t"                                                           \
    "str    %[wa], [sp, #" FRAME_R "]\n\t"                                                  \
    "ldr    %[wb], [sp, #" FRAME_R_END "]\n\t"                                              \
    "cmp    %[wa], %[wb]\n\t"                                                               \
    "bne    2b\n\t"                                                                         \
    "add    sp, sp, #" FRAME_BYTES

/* All 14 registers, each in or out (the sums' registers carry the channel list in). */
#define PAIRS_ASM_OPERANDS                                                                  \
    : [a0] "+&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [b0] "=&r"(b0), [b1] "=&r"(b1),      \
      [b2] "=&r"(b2), [v] "+&r"(v), [s] "+&r"(s), [wa] "+&r"(wa), [wb] "+&r"(wb),          \
      [ae] "+&r"(ae), [be] "+&r"(be), [ve] "+&r"(ve), [vo] "+&r"(vo)                       \
    :                                                                                       \
    : "memory", "cc"

/* The pairs r .. r_end (filter at w, its rows paired) of the group's windows, the outputs of
 * pair k at out + 2k (LISTED 0: every channel live) or at out + channel[2k] and
 * out + channel[2k + 1], each pixel's stride bytes after the one before. */
static inline __attribute__((always_inline)) void pairs_asm(const live_channel *r, const live_channel *r_end,
                                                            const int8_t *w, const uint32_t *group,
                                                            const uint32_t *group_end, int8_t *out,
                                                            int32_t stride, const uint16_t *channel,
                                                            const int LISTED)
{
    uint32_t a0 = (uint32_t)channel, a1, a2, b0, b1, b2;
    uint32_t v = (uint32_t)group, s = (uint32_t)w, wa = (uint32_t)r, wb = (uint32_t)r_end;
    uint32_t ae = (uint32_t)out, be = (uint32_t)stride, ve = (uint32_t)group_end;
    uint32_t vo = (uint32_t)(-(group_end - group) / (2 * PIXELS)) & 7;
    if (!LISTED) {
        __asm__ volatile(PAIRS_ASM_HEAD
                         /* ve the pair's first output, vo the stride */
                         "ldr    %[ve], [sp, #" FRAME_OUT "]\n\t"
                         "ldr    %[vo], [sp, #" FRAME_STRIDE "]\n\t"
                         "add    %[wa], %[ve], %[vo]\n\t"
                         "add    %[wb], %[wa], %[vo]\n\t"
                         "strb   %[a0], [%[ve]]\n\t"
                         "strb   %[b0], [%[ve], #1]\n\t"
                         "strb   %[a1], [%[wa]]\n\t"
                         "strb   %[b1], [%[wa], #1]\n\t"
                         "strb   %[a2], [%[wb]]\n\t"
                         "strb   %[b2], [%[wb], #1]\n\t"
                         "adds   %[ve], #2\n\t"
                         "str    %[ve], [sp, #" FRAME_OUT "]\n\t"
                         PAIRS_ASM_TAIL
                         PAIRS_ASM_OPERANDS);
    } else {
        __asm__ volatile(PAIRS_ASM_HEAD
                         /* ve the channel list, then the pixel's outputs; wa wb the pair's */
                         "ldr    %[ve], [sp, #" FRAME_CHANNEL "]\n\t"
                         "ldr    %[vo], [sp, #" FRAME_STRIDE "]\n\t"
                         "ldr    %[wa], [%[ve]], #4\n\t"
                         "str    %[ve], [sp, #" FRAME_CHANNEL "]\n\t"
                         "ldr    %[ve], [sp, #" FRAME_OUT "]\n\t"
                         "uxtah  %[wb], %[ve], %[wa]\n\t"
                         "add    %[wa], %[ve], %[wa], lsr #16\n\t"
                         "strb   %[a0], [%[wb]]\n\t"
                         "strb   %[b0], [%[wa]]\n\t"
                         "add    %[wb], %[wb], %[vo]\n\t"
                         "add    %[wa], %[wa], %[vo]\n\t"
                         "strb   %[a1], [%[wb]]\n\t"
                         "strb   %[b1], [%[wa]]\n\t"
                         "add    %[wb], %[wb], %[vo]\n\t"
                         "add    %[wa], %[wa], %[vo]\n\t"
                         "strb   %[a2], [%[wb]]\n\t"
                         "strb   %[b2], [%[wa]]\n\t"
                         PAIRS_ASM_TAIL
                         PAIRS_ASM_OPERANDS);
    }
}

/* One channel's three sums through the short rescale, saturated to int8 and stored at o,
 * o + stride and o + 2 * stride: the output stage of the C loop over pairs (windows with a
 * tail), a channel at a time, which leaves GCC the registers to keep the second channel's sums
 * and place across the first's. */
static inline __attribute__((always_inline)) void store_one_short_full(int32_t s0, int32_t s1, int32_t s2,
                                                                       const emu_dsp_rescale *r, int8_t *o,
                                                                       int32_t stride)
{
    uint32_t m, half, right, tmp;
    __asm__ volatile("ldrd   %[m], %[half], [%[r]]\n\t"
                     "ldrb   %[right], [%[r], %[right_at]]\n\t"
                     SHORT_RESCALE_ASM("s0", "m", "half", "right", "t")
                     SHORT_RESCALE_ASM("s1", "m", "half", "right", "t")
                     SHORT_RESCALE_ASM("s2", "m", "half", "right", "t")
                     "add    %[m], %[o], %[stride]\n\t"
                     "add    %[half], %[m], %[stride]\n\t"
                     "strb   %[s0], [%[o]]\n\t"
                     "strb   %[s1], [%[m]]\n\t"
                     "strb   %[s2], [%[half]]"
                     : [s0] "+&r"(s0), [s1] "+&r"(s1), [s2] "+&r"(s2), [m] "=&r"(m), [half] "=&r"(half),
                       [right] "=&r"(right), [t] "=&r"(tmp)
                     : [r] "r"(r), [o] "r"(o), [stride] "r"(stride),
                       [right_at] "i"(offsetof(emu_dsp_rescale, right))
                     : "memory");
}
#endif

/* Every pair of live channels of a group, whose windows are in group .. group_end and tail,
 * the outputs of its pixels at out, out + stride and out + 2 * stride: one pointer where three
 * would each take a register (or a stack slot, then a load per pair). LISTED: some channel is
 * constant, so live channel i is channel[i]; otherwise it is i, and the outputs of a pair are
 * the next two bytes. Inlined into the functions below, each kept apart (noinline) so that the
 * sums stay in registers. */
static inline __attribute__((always_inline)) void channel_pairs(const layer_plan *l, const uint32_t *group,
                                                                const uint32_t *group_end,
                                                                const int8_t (*tail)[4], int8_t *out,
                                                                int32_t stride, const int SHORT, const int FULL,
                                                                const int LISTED)
{
    /* What the loop reads of l, in locals: a byte store may alias it for GCC. */
    const int32_t rest = l->len & 3;
    const int8_t *w = l->filter;
    const live_channel *r = l->live_table, *const r_end = r + 2 * l->pairs;
    const uint16_t *channel = l->channel;
    for (; r < r_end; r += 2, out += LISTED ? 0 : 2) {
        const int32_t ba = r[0].bias, bb = r[1].bias;
        pair_sums t = {ba, ba, ba, bb, bb, bb};
        t = pair_dot(t, group, group_end, &w); /* w moves past the pair's words */
        if (rest) {
            for (int32_t k = 0; k < rest; ++k) {
                const int32_t wa = w[k], wb = w[rest + k];
                t.a0 += wa * tail[0][k];
                t.a1 += wa * tail[1][k];
                t.a2 += wa * tail[2][k];
                t.b0 += wb * tail[0][k];
                t.b1 += wb * tail[1][k];
                t.b2 += wb * tail[2][k];
            }
            w += 2 * rest;
        }
        int8_t *oa = out, *ob = out + 1;
        if (LISTED) {
            oa = out + channel[0];
            ob = out + channel[1];
            channel += 2;
        }
#if defined(__ARM_FEATURE_DSP)
        if (SHORT && FULL) {
            store_one_short_full(t.a0, t.a1, t.a2, &r[0].r, oa, stride);
            store_one_short_full(t.b0, t.b1, t.b2, &r[1].r, ob, stride);
            continue;
        }
#endif
        /* Every output worked out before any is stored: a byte store may alias the tables, and
         * GCC would read them again after each. */
        const emu_dsp_rescale ra = r[0].r, rb = r[1].r;
        const int8_t ya0 = output_of(l, &ra, t.a0, SHORT, FULL), ya1 = output_of(l, &ra, t.a1, SHORT, FULL);
        const int8_t ya2 = output_of(l, &ra, t.a2, SHORT, FULL), yb0 = output_of(l, &rb, t.b0, SHORT, FULL);
        const int8_t yb1 = output_of(l, &rb, t.b1, SHORT, FULL), yb2 = output_of(l, &rb, t.b2, SHORT, FULL);
        oa[0] = ya0;
        oa[stride] = ya1;
        oa[2 * stride] = ya2;
        ob[0] = yb0;
        ob[stride] = yb1;
        ob[2 * stride] = yb2;
    }
}

/* The usual form (every shift from -1 to -22, no activation narrower than int8) with the
 * form's choices made at compile time: with whole-word rows as assembly, every channel live
 * or not; with a tail in C (each channel listed, the list i -> i where none is constant); and
 * every other form choosing per output. */
static __attribute__((noinline)) void pairs_short_full(const layer_plan *l, const uint32_t *group,
                                                       const uint32_t *group_end, const int8_t (*tail)[4],
                                                       int8_t *out, int32_t stride)
{
#if defined(__ARM_FEATURE_DSP)
    (void)tail; /* none: plan_layer chose pairs_short_full_tail for windows with one */
    pairs_asm(l->live_table, l->live_table + 2 * l->pairs, l->filter, group, group_end, out, stride, l->channel, 0);
#else
    channel_pairs(l, group, group_end, tail, out, stride, 1, 1, 0);
#endif
}

static __attribute__((noinline)) void pairs_short_full_listed(const layer_plan *l, const uint32_t *group,
                                                              const uint32_t *group_end,
                                                              const int8_t (*tail)[4], int8_t *out,
                                                              int32_t stride)
{
#if defined(__ARM_FEATURE_DSP)
    (void)tail;
    pairs_asm(l->live_table, l->live_table + 2 * l->pairs, l->filter, group, group_end, out, stride, l->channel, 1);
#else
    channel_pairs(l, group, group_end, tail, out, stride, 1, 1, 1);
#endif
}

static __attribute__((noinline)) void pairs_short_full_tail(const layer_plan *l, const uint32_t *group,
                                                            const uint32_t *group_end,
                                                            const int8_t (*tail)[4], int8_t *out,
                                                            int32_t stride)
{
    channel_pairs(l, group, group_end, tail, out, stride, 1, 1, 1);
}

static __attribute__((noinline)) void pairs_any(const layer_plan *l, const uint32_t *group,
                                                const uint32_t *group_end, const int8_t (*tail)[4],
                                                int8_t *out, int32_t stride)
{
    channel_pairs(l, group, group_end, tail, out, stride, l->short_form, l->full_range, 1);
}

/* Live channel i of the group alone (the odd last one of a paired filter, or each of a
 * filter that keeps the model's rows), from its row at w. */
static __attribute__((noinline)) void channel_one(const layer_plan *l, int i, const uint32_t *group,
                                                  const uint32_t *group_end, const int8_t (*tail)[4],
                                                  int8_t *out, int32_t stride, const int8_t *w)
{
    const live_channel *r = l->live_table + i;
    int8_t *const o = out + l->channel[i];
    int32_t a0 = r->bias, a1 = a0, a2 = a0;
    const uint32_t *v = group;
    const int8_t *s = w;
    for (; v < group_end; v += 2 * PIXELS, s += 4) {
        const uint32_t wv = emu_read_u32(s);
        ONE_STEP(v, wv, a0, a1, a2);
    }
    for (int32_t k = 0; k < (l->len & 3); ++k) {
        const int32_t wk = s[k];
        a0 += wk * tail[0][k];
        a1 += wk * tail[1][k];
        a2 += wk * tail[2][k];
    }
    if (l->short_form) {
        o[0] = output_of(l, &r->r, a0, 1, 0);
        o[stride] = output_of(l, &r->r, a1, 1, 0);
        o[2 * stride] = output_of(l, &r->r, a2, 1, 0);
    } else {
        o[0] = output_of(l, &r->r, a0, 0, 0);
        o[stride] = output_of(l, &r->r, a1, 0, 0);
        o[2 * stride] = output_of(l, &r->r, a2, 0, 0);
    }
}

/* Every output channel of a group of three pixels, whose windows (len bytes each, laid out
 * like a filter row) are in group and tail, their outputs at out, out + stride and
 * out + 2 * stride: the live channels two at a time where the filter is paired, the rest one
 * at a time, then the constant channels from their folded bias. */
static void pixel_group(const layer_plan *l, const uint32_t *group, const int8_t (*tail)[4], int8_t *out,
                        int32_t stride)
{
    const uint32_t *group_end = group + (l->len >> 2) * 2 * PIXELS;
    if (l->pairs) {
        l->pairs_of(l, group, group_end, tail, out, stride);
    }
    if (!l->others) {
        return;
    }
    const int8_t *w = l->filter + 2 * l->pairs * l->len;
    for (int i = 2 * l->pairs; i < l->live; ++i, w += l->len) {
        channel_one(l, i, group, group_end, tail, out, stride, w);
    }
    /* the constant channels: the same output for every input, from their slots in the table */
    int8_t *const out1 = out + stride, *const out2 = out1 + stride;
    for (const live_channel *k = l->live_table + l->live, *const end = l->live_table + l->channels; k < end; ++k) {
        const uint32_t v = (uint32_t)k->bias;
        const uint32_t c = v & 0xFFFFu;
        const int8_t y = (int8_t)(v >> 16);
        out[c] = y;
        out1[c] = y;
        out2[c] = y;
    }
}

/* The call's plan, its tables in scratch; returns where the scratch after them starts. */
static uint32_t *plan_layer(const emu_conv2d_s8_params *p, const int8_t *filter, int32_t len, void *scratch,
                            layer_plan *l)
{
    const int channels = p->output_c;
    live_channel *table = (live_channel *)scratch;
    uint16_t *channel = (uint16_t *)(table + channels);
    int live = 0, last = channels;
    for (int c = 0; c < channels; ++c) {
        if (p->shift[c] == EMU_DSP_CONSTANT_SHIFT) {
            /* a constant channel's slot holds the channel and its output, one word for the
             * groups to read (pixel_group) */
            table[--last].bias = (int32_t)((uint32_t)c | (uint32_t)(uint8_t)(int8_t)p->folded_bias[c] << 16);
        } else {
            table[live].bias = p->folded_bias[c];
            table[live].r = emu_dsp_rescale_for(p->multiplier[c], p->shift[c]);
            channel[live++] = (uint16_t)c;
        }
    }
    /* the short form where every live channel takes it (a copy asked first, so that the table
     * is rewritten for all or none) */
    int short_form = 1;
    for (int i = 0; i < live; ++i) {
        emu_dsp_rescale r = table[i].r;
        short_form &= emu_dsp_rescale_short(&r, 1, p->output_offset);
    }
    for (int i = 0; short_form && i < live; ++i) {
        emu_dsp_rescale_short(&table[i].r, 1, p->output_offset);
    }
    l->live_table = table;
    l->channel = channel;
    l->filter = filter;
    l->len = len;
    l->output_c = p->output_c;
    l->live = live;
    l->pairs = p->filter_pairs;
    l->channels = channels;
    l->offset = p->output_offset;
    l->lo = p->act_min;
    l->hi = p->act_max;
    l->short_form = short_form;
    l->full_range = p->act_min == -128 && p->act_max == 127;
    l->others = live > 2 * l->pairs || live < channels;
    if (!short_form || !l->full_range) {
        l->pairs_of = pairs_any;
    } else if (len & 3) {
        l->pairs_of = pairs_short_full_tail;
    } else if (live == channels) {
        l->pairs_of = pairs_short_full;
    } else {
        l->pairs_of = pairs_short_full_listed;
    }
    l->dump = (int8_t *)(channel + ((channels + 1) & ~1));
    return (uint32_t *)(l->dump + ((PIXELS * channels + 3) & ~3));
}

/* A group's pixels' outputs lie output_c bytes apart. A short one (the call's last) repeats its
 * last pixel (copies of its expanded window and tail) and is written to the dump in scratch,
 * from which its pixels' outputs are copied: its third pixel's place may lie past the output. */
static void finish_group(const layer_plan *l, uint32_t *group, pending_group *g)
{
    if (g->count == PIXELS) {
        pixel_group(l, group, (const int8_t(*)[4])g->tail, g->out, l->output_c);
    } else {
        const int last = g->count - 1;
        for (int k = g->count; k < PIXELS; ++k) {
            for (int32_t n = 0; n < (l->len >> 2); ++n) {
                group[n * 2 * PIXELS + 2 * k] = group[n * 2 * PIXELS + 2 * last];
                group[n * 2 * PIXELS + 2 * k + 1] = group[n * 2 * PIXELS + 2 * last + 1];
            }
            memcpy(g->tail[k], g->tail[last], sizeof g->tail[k]);
        }
        pixel_group(l, group, (const int8_t(*)[4])g->tail, l->dump, l->output_c);
        memcpy(g->out, l->dump, (size_t)g->count * (size_t)l->output_c);
    }
    g->count = 0;
}

/* Three 1x1 windows of len bytes at x0, x1 and x2, expanded into the group (each word of the
 * three in one pass) and their last len & 3 bytes into a tail, then the group's outputs at out,
 * out + output_c and out + 2 * output_c. */
static __attribute__((noinline)) void group_of_three(const layer_plan *l, uint32_t *group, const int8_t *x0,
                                                     const int8_t *x1, const int8_t *x2, int8_t *out)
{
    const int32_t len = l->len;
    uint32_t *dst = group;
    int32_t k = 0;
    for (; k + 4 <= len; k += 4, dst += 2 * PIXELS) {
        const uint32_t a = emu_read_u32(x0 + k), b = emu_read_u32(x1 + k), c = emu_read_u32(x2 + k);
        dst[0] = emu_sxtb16(a);
        dst[1] = emu_sxtb16_ror8(a);
        dst[2] = emu_sxtb16(b);
        dst[3] = emu_sxtb16_ror8(b);
        dst[4] = emu_sxtb16(c);
        dst[5] = emu_sxtb16_ror8(c);
    }
    int8_t tail[PIXELS][4];
    for (int32_t j = 0; k + j < len; ++j) {
        tail[0][j] = x0[k + j];
        tail[1][j] = x1[k + j];
        tail[2][j] = x2[k + j];
    }
    pixel_group(l, group, (const int8_t(*)[4])tail, out, l->output_c);
}

/* 1x1 filters never pad, and each output pixel's window is already one run of input_c
 * bytes in the input: pixels group directly, across rows too, their windows read where they
 * are. A short last group repeats its last pixel and is written to the dump (finish_group). */
void emu_conv2d_1x1_s8_dsp(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                           int8_t *output, void *scratch)
{
    const int32_t ic = p->input_c, oc = p->output_c;
    const int32_t step_x = p->stride_w * ic;
    const int32_t step_y = (int32_t)p->stride_h * p->input_w * ic;
    const int32_t image_size = (int32_t)p->input_h * p->input_w * ic;
    layer_plan l;
    uint32_t *group = plan_layer(p, filter, ic, scratch, &l);
    const int8_t *x[PIXELS];
    int n = 0;
    int8_t *out = output; /* the group's first pixel's outputs */
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *row = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy, row += step_y) {
            const int8_t *at = row;
            for (int ox = 0; ox < p->output_w; ++ox, at += step_x) {
                x[n] = at;
                if (++n == PIXELS) {
                    group_of_three(&l, group, x[0], x[1], x[2], out);
                    out += PIXELS * oc;
                    n = 0;
                }
            }
        }
    }
    if (n) {
        group_of_three(&l, group, x[0], x[n > 1], x[n - 1], l.dump);
        memcpy(out, l.dump, (size_t)n * (size_t)oc);
    }
}

/* Four bytes to any address (one STR). */
static inline void write_u32(int8_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof v);
}

/* A window of rows runs of run_bytes (>= 4) bytes each, step bytes apart in the image, side by
 * side at dst: each run a word at a time, its last word its last four bytes (overlapping the
 * word before where run_bytes is not a multiple of 4), so no byte loop and nothing read or
 * written past the run. The M4, M7 and M33 allow unaligned LDR and STR on normal memory. */
static inline __attribute__((always_inline)) void copy_runs(int8_t *dst, const int8_t *src, int32_t run_bytes,
                                                            int32_t step, int rows)
{
    for (int r = 0; r < rows; ++r, src += step, dst += run_bytes) {
        for (int32_t k = 0; k < run_bytes - 4; k += 4) {
            write_u32(dst + k, emu_read_u32(src + k));
        }
        write_u32(dst + run_bytes - 4, emu_read_u32(src + run_bytes - 4));
    }
}

/* The windows of the general form where the input has a whole number of words per pixel and
 * the rows are not padded: each joins from the image itself (join_window). */
static __attribute__((noinline)) void windows_in_place(const emu_conv2d_s8_params *p, const int8_t *input,
                                                       int8_t *output, const layer_plan *l, uint32_t *group)
{
    const int32_t image_size = (int32_t)p->input_h * p->input_w * p->input_c;
    const uint32_t zero_word = emu_sxtb16((uint32_t)(uint8_t)-p->input_offset * 0x01010101u);
    pending_group g = {NULL, {{0}}, 0};
    int8_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            for (int ox = 0; ox < p->output_w; ++ox, out += l->output_c) {
                join_window(&g, p, image, iy0, ox * p->stride_w - p->pad_w, zero_word, group, out);
                if (g.count == PIXELS) {
                    finish_group(l, group, &g);
                }
            }
        }
    }
    if (g.count) {
        finish_group(l, group, &g);
    }
}

/* The same for runs of fewer than four bytes (a 3x3 filter on one channel), a byte at a time:
 * out of line, so that the loop keeps its registers for the usual forms. */
static __attribute__((noinline)) void copy_short_runs(int8_t *dst, const int8_t *src, int32_t run_bytes,
                                                      int32_t step, int rows)
{
    for (int r = 0; r < rows; ++r, src += step, dst += run_bytes) {
        for (int32_t k = 0; k < run_bytes; ++k) {
            dst[k] = src[k];
        }
    }
}

/* A window that reaches into the padding or is dilated across its rows, the few of a layer:
 * kept out of line, where its many variables do not crowd the loop's registers. */
static __attribute__((noinline)) void gather_edge(const emu_conv2d_s8_params *p, int8_t *runs,
                                                  const int8_t *image, int iy0, int ix0)
{
    emu_gather_window(runs, image, p->input_h, p->input_w, p->input_c, p->filter_h, p->filter_w, p->dilation_h,
                      p->dilation_w, iy0, ix0, (int8_t)-p->input_offset);
}

/* The window of three runs of 9 bytes at x, x + step and x + 2 * step (a 3x3 filter on three
 * channels, the first layer of most image models; its row padded to 28 bytes) joins the group
 * straight from the image: its seven words put together from ten word loads, each inside a
 * run (a word across two runs is the first run's last bytes shifted down, ORed with the
 * second's first bytes shifted up; the last word's fourth byte, which the padded row's zero
 * multiplies, is left 0), with no gathered copy to write and read back. */
static inline __attribute__((always_inline)) void join_three_runs_of_9(pending_group *g, const int8_t *x,
                                                                       int32_t step, uint32_t *group,
                                                                       int8_t *out)
{
    const int8_t *x1 = x + step, *x2 = x1 + step;
    uint32_t *dst = group + 2 * g->count;
    const uint32_t w0 = emu_read_u32(x), w1 = emu_read_u32(x + 4);
    const uint32_t w2 = (emu_read_u32(x + 5) >> 24) | (emu_read_u32(x1) << 8), w3 = emu_read_u32(x1 + 3);
    const uint32_t w4 = (emu_read_u32(x1 + 5) >> 16) | (emu_read_u32(x2) << 16), w5 = emu_read_u32(x2 + 2);
    const uint32_t w6 = emu_read_u32(x2 + 5) >> 8;
    dst[0] = emu_sxtb16(w0);
    dst[1] = emu_sxtb16_ror8(w0);
    dst[2 * PIXELS * 1] = emu_sxtb16(w1);
    dst[2 * PIXELS * 1 + 1] = emu_sxtb16_ror8(w1);
    dst[2 * PIXELS * 2] = emu_sxtb16(w2);
    dst[2 * PIXELS * 2 + 1] = emu_sxtb16_ror8(w2);
    dst[2 * PIXELS * 3] = emu_sxtb16(w3);
    dst[2 * PIXELS * 3 + 1] = emu_sxtb16_ror8(w3);
    dst[2 * PIXELS * 4] = emu_sxtb16(w4);
    dst[2 * PIXELS * 4 + 1] = emu_sxtb16_ror8(w4);
    dst[2 * PIXELS * 5] = emu_sxtb16(w5);
    dst[2 * PIXELS * 5 + 1] = emu_sxtb16_ror8(w5);
    dst[2 * PIXELS * 6] = emu_sxtb16(w6);
    dst[2 * PIXELS * 6 + 1] = emu_sxtb16_ror8(w6);
    if (g->count++ == 0) {
        g->out = out;
    }
}

/* The windows of every other general form, each gathered into runs (row bytes, of which the
 * window is the first fh x fw x ic: what lies past it in scratch is multiplied by the filter
 * row's zeros) and joined from there. */
static __attribute__((noinline)) void windows_gathered(const emu_conv2d_s8_params *p, const int8_t *input,
                                                       int8_t *output, const layer_plan *l, uint32_t *group,
                                                       int8_t *runs)
{
    /* The shape as locals: every byte the loop stores might otherwise alias *p for GCC, which
     * would then read it again for each pixel. */
    const int ih = p->input_h, iw = p->input_w, ic = p->input_c, fh = p->filter_h, fw = p->filter_w;
    const int dh = p->dilation_h, dw = p->dilation_w, oh = p->output_h, ow = p->output_w, oc = p->output_c;
    const int sh = p->stride_h, sw = p->stride_w, ph = p->pad_h, pw = p->pad_w;
    const int32_t image_size = (int32_t)ih * iw * ic, len = l->len;
    const int32_t row_bytes = (int32_t)fw * ic, row_step = (int32_t)dh * iw * ic, step_x = (int32_t)sw * ic;
    const int three_runs_of_9 = fh == 3 && row_bytes == 9 && len == 28; /* 3x3 on RGB */
    pending_group g = {NULL, {{0}}, 0};
    int8_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * image_size;
        for (int oy = 0; oy < oh; ++oy) {
            const int iy0 = oy * sh - ph;
            /* every row of taps inside the image, each one run of row_bytes where its pixel's is */
            const int rows_inside = dw == 1 && iy0 >= 0 && iy0 + (fh - 1) * dh < ih;
            int32_t at = ((int32_t)iy0 * iw - pw) * ic; /* where the window's first run starts */
            for (int ox = 0, ix0 = -pw; ox < ow; ++ox, ix0 += sw, at += step_x, out += oc) {
                if (rows_inside && ix0 >= 0 && ix0 + fw <= iw) {
                    if (three_runs_of_9) {
                        join_three_runs_of_9(&g, image + at, row_step, group, out);
                    } else {
                        if (row_bytes >= 4) {
                            copy_runs(runs, image + at, row_bytes, row_step, fh);
                        } else {
                            copy_short_runs(runs, image + at, row_bytes, row_step, fh);
                        }
                        join_group(&g, runs, len, group, out);
                    }
                } else {
                    gather_edge(p, runs, image, iy0, ix0);
                    join_group(&g, runs, len, group, out);
                }
                if (g.count == PIXELS) {
                    finish_group(l, group, &g);
                }
            }
        }
    }
    if (g.count) {
        finish_group(l, group, &g);
    }
}

/* The general form; each filter row is row bytes, the window (window <= row) followed by
 * zeros. */
static void conv_im2col(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter, int8_t *output,
                        void *scratch, int32_t row)
{
    layer_plan l;
    uint32_t *group = plan_layer(p, filter, row, scratch, &l);
    if ((p->input_c & 3) == 0 && row == (int32_t)p->filter_h * p->filter_w * p->input_c) {
        windows_in_place(p, input, output, &l, group);
    } else {
        windows_gathered(p, input, output, &l, group, (int8_t *)group + 2 * PIXELS * (row & ~3));
    }
}

void emu_conv2d_s8_dsp(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                       int8_t *output, void *scratch)
{
    conv_im2col(p, input, filter, output, scratch, (int32_t)p->filter_h * p->filter_w * p->input_c);
}

void emu_conv2d_padded_s8_dsp(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                              int8_t *output, void *scratch)
{
    conv_im2col(p, input, filter, output, scratch, ((int32_t)p->filter_h * p->filter_w * p->input_c + 3) & ~3);
}
