/* DEPTHWISE_CONV_2D, int8, depth multiplier 1 or a multiple of 4, with SXTB16 and
 * SMLABB / SMLATT / SMLATB: four output channels per tap in four multiplies.
 *
 * The arithmetic is that of depthwise_conv_2d.c (bias with the input offset folded in at
 * compile time); a tap in the padding reads the input zero point, which with the folded
 * bias contributes nothing, as in the reference arithmetic, so border pixels cost what
 * interior ones do. Each tap's four filter bytes are loaded as one word and expanded to
 * int16 halves (bytes 0 and 2, bytes 1 and 3).
 *
 * - Depth multiplier 1: each pixel lists where its taps read (on the stack), an image pixel
 *   or a row of the input zero point; along a row of interior pixels the list just moves one
 *   stride on. The four input bytes of a tap are expanded too, and bottom and top halves
 *   multiply into four accumulators. A 3x3 filter on a layer with a short table and the full
 *   int8 range takes two pixels per pass (pair_groups, below).
 * - A multiple of 4: four output channels share one input byte, which multiplies each
 *   filter half; interior pixels read the image in place, border pixels a copy of their
 *   window (input_c bytes per tap, the zero point in the padding).
 *
 * - One input channel (emu_depthwise_conv2d_1ch_s8_dsp): every output channel reads the same
 *   window, so this is a convolution, done with SMLAD. The window is gathered into one run of
 *   taps, and the filter comes arranged by the compiler so that four taps of one channel are
 *   one word: for each four taps, the words of all channels in turn, then the last
 *   taps % 4 taps with the channels' bytes side by side. Four channels share each expanded
 *   window word: one load, two SXTB16, then per channel one load, two SXTB16 and two SMLADs;
 *   a last tap multiplies the four channels' bytes as the multiple-of-4 form does.
 *
 * The rescale is emu_dsp.h's, which the compiler chooses this kernel for only where it is
 * exact. Scratch: each output channel's rescale (EMU_DSP_RESCALE_BYTES), then input_c bytes
 * of the input zero point (multiplier 1) or the gathered window (taps x input_c bytes).
 */
#include "depthwise_conv_2d_dsp.h"

#include <stddef.h>
#include <string.h>

#include "emu_dsp.h"
#include "window.h"

typedef struct {
    const int32_t *bias;
    const emu_dsp_rescale *rescale;
    int32_t offset, lo, hi;
    int full_range;
    int short_form; /* the rescale table is short (emu_dsp_rescale_short) */
} output_stage;

/* Requantizes four accumulators into out[0..3]. */
static inline __attribute__((always_inline)) void store_four(const output_stage *o, int oc, int32_t a0,
                                                             int32_t a1, int32_t a2, int32_t a3, int8_t *out)
{
    const emu_dsp_rescale *r = o->rescale + oc;
    int32_t y0, y1, y2, y3;
    if (o->short_form) {
        y0 = emu_dsp_output_short(r, a0);
        y1 = emu_dsp_output_short(r + 1, a1);
        y2 = emu_dsp_output_short(r + 2, a2);
        y3 = emu_dsp_output_short(r + 3, a3);
        if (o->full_range) {
            y0 = emu_sat8(y0);
            y1 = emu_sat8(y1);
            y2 = emu_sat8(y2);
            y3 = emu_sat8(y3);
        } else {
            y0 = emu_clamp(y0, o->lo, o->hi);
            y1 = emu_clamp(y1, o->lo, o->hi);
            y2 = emu_clamp(y2, o->lo, o->hi);
            y3 = emu_clamp(y3, o->lo, o->hi);
        }
    } else if (o->full_range) {
        y0 = emu_dsp_output_full(r, a0, o->offset);
        y1 = emu_dsp_output_full(r + 1, a1, o->offset);
        y2 = emu_dsp_output_full(r + 2, a2, o->offset);
        y3 = emu_dsp_output_full(r + 3, a3, o->offset);
    } else {
        y0 = emu_dsp_output(r, a0, o->offset, o->lo, o->hi);
        y1 = emu_dsp_output(r + 1, a1, o->offset, o->lo, o->hi);
        y2 = emu_dsp_output(r + 2, a2, o->offset, o->lo, o->hi);
        y3 = emu_dsp_output(r + 3, a3, o->offset, o->lo, o->hi);
    }
    out[oc] = (int8_t)y0;
    out[oc + 1] = (int8_t)y1;
    out[oc + 2] = (int8_t)y2;
    out[oc + 3] = (int8_t)y3;
}

static inline int8_t store_one(const output_stage *o, int oc, int32_t acc)
{
    const emu_dsp_rescale *r = o->rescale + oc;
    if (o->short_form) {
        const int32_t y = emu_dsp_output_short(r, acc);
        return (int8_t)(o->full_range ? emu_sat8(y) : emu_clamp(y, o->lo, o->hi));
    }
    return (int8_t)(o->full_range ? emu_dsp_output_full(r, acc, o->offset)
                                  : emu_dsp_output(r, acc, o->offset, o->lo, o->hi));
}

/* Not inlined: on its own its inner loop keeps every value in a register. */
static __attribute__((noinline)) void pixel_dm1(const emu_depthwise_conv2d_s8_params *p, const output_stage *o,
                                                const int8_t *const *tap, const int8_t *const *tap_end,
                                                const int8_t *filter, int8_t *out)
{
    const int channels = p->output_c, lanes = channels & ~3;
    int oc = 0;
    for (; oc < lanes; oc += 4) {
        int32_t a0 = o->bias[oc], a1 = o->bias[oc + 1], a2 = o->bias[oc + 2], a3 = o->bias[oc + 3];
        const int8_t *w = filter + oc;
        for (const int8_t *const *t = tap; t < tap_end; ++t, w += channels) {
            const uint32_t xv = emu_read_u32(*t + oc), wv = emu_read_u32(w);
            const uint32_t xe = emu_sxtb16(xv), we = emu_sxtb16(wv);
            const uint32_t xo = emu_sxtb16_ror8(xv), wo = emu_sxtb16_ror8(wv);
            a0 = emu_smlabb(xe, we, a0);
            a2 = emu_smlatt(xe, we, a2);
            a1 = emu_smlabb(xo, wo, a1);
            a3 = emu_smlatt(xo, wo, a3);
        }
        store_four(o, oc, a0, a1, a2, a3, out);
    }
    for (; oc < channels; ++oc) {
        int32_t acc = o->bias[oc];
        const int8_t *w = filter + oc;
        for (const int8_t *const *t = tap; t < tap_end; ++t, w += channels) {
            acc += *w * (*t)[oc];
        }
        out[oc] = store_one(o, oc, acc);
    }
}

/* Depth multiplier 1, a 3x3 filter (nine taps) and the filter arranged by the compiler
 * (emu/compile/ops/depthwise_conv_2d.py's three_by_three_filter): for each four channels,
 * the nine taps' words one after the other, so every filter word is at a constant offset
 * from one pointer; then the last channels % 4 channels' taps, a row of them per tap. The
 * taps are written out: no loop counter and no branch per tap. Kept apart (noinline) so that
 * GCC keeps its accumulators in registers. */
#if defined(__ARM_FEATURE_DSP)
/* One tap as one block of assembly: GCC, left to schedule nine taps of C, hoists their loads
 * and spills the accumulators. The tap's input address is loaded first and the filter word
 * between it and the input word, so the three loads pipeline on the M4. */
#define TAP_FOUR_CHANNELS(k)                                                              \
    do {                                                                                  \
        uint32_t t_, x_, w_, xx_, ww_;                                                    \
        __asm__("ldr %[t], [%[tap], %[to]]\n\t"                                         \
                "ldr %[w], [%[wp], %[wo]]\n\t"                                          \
                "ldr %[x], [%[t], %[oc]]\n\t"                                           \
                "sxtb16 %[xx], %[x]\n\t"                                                \
                "sxtb16 %[ww], %[w]\n\t"                                                \
                "smlabb %[a0], %[xx], %[ww], %[a0]\n\t"                                 \
                "smlatt %[a2], %[xx], %[ww], %[a2]\n\t"                                 \
                "sxtb16 %[xx], %[x], ror #8\n\t"                                        \
                "sxtb16 %[ww], %[w], ror #8\n\t"                                        \
                "smlabb %[a1], %[xx], %[ww], %[a1]\n\t"                                 \
                "smlatt %[a3], %[xx], %[ww], %[a3]"                                       \
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [t] "=&r"(t_), \
                  [x] "=&r"(x_), [w] "=&r"(w_), [xx] "=&r"(xx_), [ww] "=&r"(ww_)          \
                : [tap] "r"(tap), [to] "i"(4 * (k)), [wp] "r"(w), [wo] "i"(4 * (k)), [oc] "r"(oc) \
                : "memory");                                                              \
    } while (0)
#else
#define TAP_FOUR_CHANNELS(k)                                                              \
    do {                                                                                  \
        const uint32_t xv = emu_read_u32(tap[(k)] + oc), wv = emu_read_u32(w + 4 * (k));  \
        const uint32_t xe = emu_sxtb16(xv), we = emu_sxtb16(wv);                          \
        const uint32_t xo = emu_sxtb16_ror8(xv), wo = emu_sxtb16_ror8(wv);                \
        a0 = emu_smlabb(xe, we, a0);                                                      \
        a2 = emu_smlatt(xe, we, a2);                                                      \
        a1 = emu_smlabb(xo, wo, a1);                                                      \
        a3 = emu_smlatt(xo, wo, a3);                                                      \
    } while (0)
#endif

static __attribute__((noinline)) void pixel_dm1_3x3(const emu_depthwise_conv2d_s8_params *p, const output_stage *o,
                                                    const int8_t *const *tap, const int8_t *filter, int8_t *out)
{
    const int channels = p->output_c, lanes = channels & ~3;
    const int8_t *w = filter;
    int oc = 0;
    for (; oc < lanes; oc += 4, w += 36) {
        int32_t a0 = o->bias[oc], a1 = o->bias[oc + 1], a2 = o->bias[oc + 2], a3 = o->bias[oc + 3];
        TAP_FOUR_CHANNELS(0);
        TAP_FOUR_CHANNELS(1);
        TAP_FOUR_CHANNELS(2);
        TAP_FOUR_CHANNELS(3);
        TAP_FOUR_CHANNELS(4);
        TAP_FOUR_CHANNELS(5);
        TAP_FOUR_CHANNELS(6);
        TAP_FOUR_CHANNELS(7);
        TAP_FOUR_CHANNELS(8);
        store_four(o, oc, a0, a1, a2, a3, out);
    }
    const int rest = channels - lanes;
    for (int c = 0; oc < channels; ++oc, ++c) {
        int32_t acc = o->bias[oc];
        for (int k = 0; k < 9; ++k) {
            acc += w[k * rest + c] * tap[k][oc];
        }
        out[oc] = store_one(o, oc, acc);
    }
}

/* Two pixels per pass for the usual layer (short table, full int8 range): each filter word,
 * expanded once per call into scratch (for each four channels and tap, SXTB16 of the word, then
 * SXTB16 ROR 8: 72 bytes per four channels), feeds both pixels' multiplies, and each channel's
 * rescale is loaded once for both outputs. Eight accumulators, the filter pointer and the
 * channel offset leave four registers, so the 18 tap addresses are read from the stack and the
 * whole pass is one assembly function: per tap five loads (two tap addresses, two input words,
 * one expanded filter word), then per pixel SXTB16 and two multiplies, a second filter word, and
 * again; 20 cycles for 8 MACs on the M4, where one pixel at a time takes 24.
 *
 * pair_groups(taps: 18 addresses, pixel 0's nine then pixel 1's; the expanded filter; the biases;
 * the rescale table; out: pixel 0's output; out_step: pixel 1's output - pixel 0's; groups:
 * channels / 4). A leftover pixel passes itself twice with out_step 0. */
#if defined(__ARM_FEATURE_DSP)
#define PAIR_TAP(k)                                                                       \
    "ldr r10, [sp, #4*" #k "]\n\t"                                                        \
    "ldr r11, [sp, #36+4*" #k "]\n\t"                                                     \
    "ldr r12, [r10, r9]\n\t"                                                              \
    "ldr lr, [r11, r9]\n\t"                                                               \
    "ldr r10, [r8, #8*" #k "]\n\t"                                                        \
    "sxtb16 r11, r12\n\t"                                                                 \
    "smlabb r0, r11, r10, r0\n\t"                                                         \
    "smlatt r2, r11, r10, r2\n\t"                                                         \
    "sxtb16 r11, lr\n\t"                                                                  \
    "smlabb r4, r11, r10, r4\n\t"                                                         \
    "smlatt r6, r11, r10, r6\n\t"                                                         \
    "ldr r10, [r8, #8*" #k "+4]\n\t"                                                      \
    "sxtb16 r12, r12, ror #8\n\t"                                                         \
    "smlabb r1, r12, r10, r1\n\t"                                                         \
    "smlatt r3, r12, r10, r3\n\t"                                                         \
    "sxtb16 lr, lr, ror #8\n\t"                                                           \
    "smlabb r5, lr, r10, r5\n\t"                                                          \
    "smlatt r7, lr, r10, r7\n\t"
/* channel i's rescale (r8: the group's table entries) applied to a (pixel 0) and b (pixel 1):
 * emu_dsp_output_short's sum taken as (high + (high >> 31)) + half, so half stays for b */
#define PAIR_RESCALE(i, a, b)                                                             \
    "ldr r10, [r8, #12*" #i "]\n\t"                                                       \
    "ldr r11, [r8, #12*" #i "+4]\n\t"                                                     \
    "ldrb r12, [r8, #12*" #i "+10]\n\t"                                                   \
    "lsl " a ", " a ", #1\n\t"                                                            \
    "smmulr " a ", " a ", r10\n\t"                                                        \
    "lsl " b ", " b ", #1\n\t"                                                            \
    "smmulr " b ", " b ", r10\n\t"                                                        \
    "add " a ", " a ", " a ", asr #31\n\t"                                                \
    "add " a ", " a ", r11\n\t"                                                           \
    "add " b ", " b ", " b ", asr #31\n\t"                                                \
    "add " b ", " b ", r11\n\t"                                                           \
    "asr " a ", " a ", r12\n\t"                                                           \
    "asr " b ", " b ", r12\n\t"                                                           \
    "ssat " a ", #8, " a "\n\t"                                                           \
    "ssat " b ", #8, " b "\n\t"

/* Frame: 0-71 the tap addresses, 72 biases, 76 rescale table, 84 end of the channel offsets,
 * 88 filter pointer, 92 channel offset; the caller's out, out_step and groups at 132, 136, 140. */
static __attribute__((naked, noinline)) void pair_groups(const int8_t *const *taps, const uint32_t *filter,
                                                         const int32_t *bias, const emu_dsp_rescale *rescale,
                                                         int8_t *out, int32_t out_step, int32_t groups)
{
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "sub sp, sp, #96\n\t"
        "mov r8, r1\n\t"
        "ldmia r0!, {r4-r7, r9-r12}\n\t"
        "mov lr, sp\n\t"
        "stmia lr!, {r4-r7, r9-r12}\n\t"
        "ldmia r0!, {r4-r7, r9-r12}\n\t"
        "stmia lr!, {r4-r7, r9-r12}\n\t"
        "ldmia r0!, {r4, r5}\n\t"
        "stmia lr!, {r4, r5}\n\t"
        "str r2, [sp, #72]\n\t"
        "str r3, [sp, #76]\n\t"
        "ldr r4, [sp, #140]\n\t"
        "lsl r4, r4, #2\n\t"
        "str r4, [sp, #84]\n\t"
        "mov r9, #0\n\t"
        "1:\n\t"
        "ldr r10, [sp, #72]\n\t"
        "add r10, r10, r9, lsl #2\n\t"
        "ldmia r10, {r0-r3}\n\t"
        "mov r4, r0\n\t"
        "mov r5, r1\n\t"
        "mov r6, r2\n\t"
        "mov r7, r3\n\t"
        PAIR_TAP(0) PAIR_TAP(1) PAIR_TAP(2) PAIR_TAP(3) PAIR_TAP(4) PAIR_TAP(5) PAIR_TAP(6) PAIR_TAP(7)
        PAIR_TAP(8)
        "str r8, [sp, #88]\n\t"
        "str r9, [sp, #92]\n\t"
        "ldr r8, [sp, #76]\n\t"
        "add r8, r8, r9, lsl #3\n\t"
        "add r8, r8, r9, lsl #2\n\t"
        PAIR_RESCALE(0, "r0", "r4") PAIR_RESCALE(1, "r1", "r5") PAIR_RESCALE(2, "r2", "r6")
        PAIR_RESCALE(3, "r3", "r7")
        "ldr r10, [sp, #132]\n\t"
        "ldr lr, [sp, #136]\n\t"
        "add r10, r10, r9\n\t"
        "strb r0, [r10]\n\t"
        "strb r1, [r10, #1]\n\t"
        "strb r2, [r10, #2]\n\t"
        "strb r3, [r10, #3]\n\t"
        "add r10, r10, lr\n\t"
        "strb r4, [r10]\n\t"
        "strb r5, [r10, #1]\n\t"
        "strb r6, [r10, #2]\n\t"
        "strb r7, [r10, #3]\n\t"
        "ldr r8, [sp, #88]\n\t"
        "ldr r10, [sp, #84]\n\t"
        "add r9, r9, #4\n\t"
        "add r8, r8, #72\n\t"
        "cmp r9, r10\n\t"
        "blt 1b\n\t"
        "add sp, sp, #96\n\t"
        "pop {r4-r11, pc}");
}
#else
static void pair_groups(const int8_t *const *taps, const uint32_t *filter, const int32_t *bias,
                        const emu_dsp_rescale *rescale, int8_t *out, int32_t out_step, int32_t groups)
{
    for (int32_t oc = 0; oc < 4 * groups; oc += 4, filter += 18) {
        for (int px = 0; px < 2; ++px) {
            const int8_t *const *tap = taps + 9 * px;
            int32_t a0 = bias[oc], a1 = bias[oc + 1], a2 = bias[oc + 2], a3 = bias[oc + 3];
            for (int k = 0; k < 9; ++k) {
                const uint32_t xv = emu_read_u32(tap[k] + oc), we = filter[2 * k], wo = filter[2 * k + 1];
                a0 = emu_smlabb(emu_sxtb16(xv), we, a0);
                a2 = emu_smlatt(emu_sxtb16(xv), we, a2);
                a1 = emu_smlabb(emu_sxtb16_ror8(xv), wo, a1);
                a3 = emu_smlatt(emu_sxtb16_ror8(xv), wo, a3);
            }
            int8_t *o = out + oc + px * out_step;
            const emu_dsp_rescale *r = rescale + oc;
            o[0] = (int8_t)emu_sat8(emu_dsp_output_short(r, a0));
            o[1] = (int8_t)emu_sat8(emu_dsp_output_short(r + 1, a1));
            o[2] = (int8_t)emu_sat8(emu_dsp_output_short(r + 2, a2));
            o[3] = (int8_t)emu_sat8(emu_dsp_output_short(r + 3, a3));
        }
    }
}
#endif

/* The last channels % 4 of one pixel, from the arranged filter's tail rows (w). */
static void pixel_rest(const output_stage *o, const int32_t *bias, int lanes, int channels,
                       const int8_t *const *tap, const int8_t *w, int8_t *out)
{
    const int rest = channels - lanes;
    for (int oc = lanes, c = 0; oc < channels; ++oc, ++c) {
        int32_t acc = bias[oc];
        for (int k = 0; k < 9; ++k) {
            acc += w[k * rest + c] * tap[k][oc];
        }
        out[oc] = store_one(o, oc, acc);
    }
}

/* The pixels taken two at a time in the order they are stored (a pair may span two rows). An
 * interior pixel's nine tap addresses are its window's corner plus nine offsets worked out once;
 * a border pixel's are listed with the zero row for the padding. */
static void run_dm1_pairs(const emu_depthwise_conv2d_s8_params *p, const output_stage *o, const int32_t *bias,
                          const int8_t *input, const uint32_t *expanded, const int8_t *filter, int8_t *output,
                          int8_t *zero_row)
{
    const int8_t *tap[18];
    int32_t offset[9];
    const int channels = p->output_c, lanes = channels & ~3, ic = p->input_c;
    const int8_t *const rest_w = filter + 9 * lanes;
    const int32_t image_size = (int32_t)p->input_h * p->input_w * ic;
    const int32_t pixels = (int32_t)p->output_h * p->output_w;
    for (int k = 0; k < 9; ++k) {
        offset[k] = ((int32_t)(k / 3) * p->dilation_h * p->input_w + (k % 3) * p->dilation_w) * ic;
    }
    memset(zero_row, (int8_t)-p->input_offset, (size_t)ic);
    int8_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * image_size;
        int oy = 0, ox = 0;
        for (int32_t i = 0; i < pixels; i += 2, out += 2 * channels) {
            const int count = i + 1 < pixels ? 2 : 1;
            for (int s = 0; s < count; ++s) {
                const int iy0 = oy * p->stride_h - p->pad_h, ix0 = ox * p->stride_w - p->pad_w;
                const int8_t **list = tap + 9 * s;
                if (oy >= p->inner_y0 && oy < p->inner_y1 && ox >= p->inner_x0 && ox < p->inner_x1) {
                    const int8_t *corner = image + ((int32_t)iy0 * p->input_w + ix0) * ic;
                    for (int k = 0; k < 9; ++k) {
                        list[k] = corner + offset[k];
                    }
                } else {
                    emu_list_taps(list, image, zero_row, p->input_h, p->input_w, ic, 3, 3, p->dilation_h,
                                  p->dilation_w, iy0, ix0);
                }
                if (++ox == p->output_w) {
                    ox = 0;
                    ++oy;
                }
            }
            if (count == 1) {
                memcpy(tap + 9, tap, sizeof(tap[0]) * 9);
            }
            pair_groups(tap, expanded, bias, o->rescale, out, count == 2 ? channels : 0, lanes / 4);
            if (lanes < channels) {
                for (int s = 0; s < count; ++s) {
                    pixel_rest(o, bias, lanes, channels, tap + 9 * s, rest_w, out + s * channels);
                }
            }
        }
    }
}

/* One input byte x against four channels' filter bytes, the word at w: the bytes of the
 * multiple-of-4 form and the last taps of the one-channel form. */
#define ONE_BYTE_FOUR_CHANNELS(x, w)                                                      \
    do {                                                                                  \
        const uint32_t xv = (uint32_t)(int32_t)(x), wv = emu_read_u32(w);                 \
        const uint32_t we = emu_sxtb16(wv), wo = emu_sxtb16_ror8(wv);                     \
        a0 = emu_smlabb(we, xv, a0);                                                      \
        a2 = emu_smlatb(we, xv, a2);                                                      \
        a1 = emu_smlabb(wo, xv, a1);                                                      \
        a3 = emu_smlatb(wo, xv, a3);                                                      \
    } while (0)

/* A multiple of 4: the window starts at x; taps col_step apart, rows next_row further on
 * after each row of taps. */
static void pixel_dm4n(const emu_depthwise_conv2d_s8_params *p, const output_stage *o, const int8_t *x0,
                       int32_t col_step, int32_t next_row, const int8_t *filter, int8_t *out)
{
    const int channels = p->output_c, dm = p->depth_multiplier, fh = p->filter_h, fw = p->filter_w;
    for (int oc = 0; oc < channels; oc += 4) {
        int32_t a0 = o->bias[oc], a1 = o->bias[oc + 1], a2 = o->bias[oc + 2], a3 = o->bias[oc + 3];
        const int8_t *w = filter + oc, *x = x0 + oc / dm;
        for (int fy = 0; fy < fh; ++fy, x += next_row) {
            for (int fx = 0; fx < fw; ++fx, w += channels, x += col_step) {
                ONE_BYTE_FOUR_CHANNELS(*x, w);
            }
        }
        store_four(o, oc, a0, a1, a2, a3, out);
    }
}

static void run_dm1(const emu_depthwise_conv2d_s8_params *p, const output_stage *o, const int8_t *input,
                    const int8_t *filter, int8_t *output, int8_t *zero_row, const int arranged_3x3)
{
    const int taps = p->filter_h * p->filter_w;
    const int32_t image_size = (int32_t)p->input_h * p->input_w * p->input_c;
    const int8_t *tap[taps]; /* a few words on the stack */
    const int8_t *const *tap_end = tap + taps;
    const int32_t tap_step = (int32_t)p->stride_w * p->input_c; /* one output pixel to the right */
    memset(zero_row, (int8_t)-p->input_offset, (size_t)p->input_c);
    int8_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            const int row_inner = oy >= p->inner_y0 && oy < p->inner_y1;
            int listed_inner = 0; /* the tap list is that of the previous pixel, which saw no padding */
            for (int ox = 0; ox < p->output_w; ++ox, out += p->output_c) {
                const int inner = row_inner && ox >= p->inner_x0 && ox < p->inner_x1;
                if (inner && listed_inner) {
                    for (int k = 0; k < taps; ++k) {
                        tap[k] += tap_step;
                    }
                } else {
                    emu_list_taps(tap, image, zero_row, p->input_h, p->input_w, p->input_c, p->filter_h,
                                  p->filter_w, p->dilation_h, p->dilation_w, iy0, ox * p->stride_w - p->pad_w);
                }
                listed_inner = inner;
                if (arranged_3x3) {
                    pixel_dm1_3x3(p, o, tap, filter, out);
                } else {
                    pixel_dm1(p, o, tap, tap_end, filter, out);
                }
            }
        }
    }
}

/* Interior pixels read the image where it lies; border pixels a gathered window. */
static void run_dm4n(const emu_depthwise_conv2d_s8_params *p, const output_stage *o, const int8_t *input,
                     const int8_t *filter, int8_t *output, int8_t *win)
{
    const int ic = p->input_c;
    const int32_t image_size = (int32_t)p->input_h * p->input_w * ic;
    const int32_t col_step = (int32_t)p->dilation_w * ic;
    const int32_t next_row = (int32_t)p->dilation_h * p->input_w * ic - p->filter_w * col_step;
    int8_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            const int row_inner = oy >= p->inner_y0 && oy < p->inner_y1;
            for (int ox = 0; ox < p->output_w; ++ox, out += p->output_c) {
                const int ix0 = ox * p->stride_w - p->pad_w;
                if (row_inner && ox >= p->inner_x0 && ox < p->inner_x1) {
                    pixel_dm4n(p, o, image + ((int32_t)iy0 * p->input_w + ix0) * ic, col_step, next_row,
                               filter, out);
                } else {
                    emu_gather_window(win, image, p->input_h, p->input_w, ic, p->filter_h, p->filter_w,
                                      p->dilation_h, p->dilation_w, iy0, ix0, (int8_t)-p->input_offset);
                    pixel_dm4n(p, o, win, ic, 0, filter, out);
                }
            }
        }
    }
}

/* Four taps of four channels: the window word xv against the channel words at w[0..3]. */
#define FOUR_CHANNELS(xv, w)                                                              \
    do {                                                                                  \
        const uint32_t xe = emu_sxtb16(xv), xo = emu_sxtb16_ror8(xv);                     \
        uint32_t wv = emu_read_u32((w));                                                  \
        a0 = emu_smlad(xe, emu_sxtb16(wv), a0);                                           \
        a0 = emu_smlad(xo, emu_sxtb16_ror8(wv), a0);                                      \
        wv = emu_read_u32((w) + 4);                                                       \
        a1 = emu_smlad(xe, emu_sxtb16(wv), a1);                                           \
        a1 = emu_smlad(xo, emu_sxtb16_ror8(wv), a1);                                      \
        wv = emu_read_u32((w) + 8);                                                       \
        a2 = emu_smlad(xe, emu_sxtb16(wv), a2);                                           \
        a2 = emu_smlad(xo, emu_sxtb16_ror8(wv), a2);                                      \
        wv = emu_read_u32((w) + 12);                                                      \
        a3 = emu_smlad(xe, emu_sxtb16(wv), a3);                                           \
        a3 = emu_smlad(xo, emu_sxtb16_ror8(wv), a3);                                      \
    } while (0)

/* One input channel: every output channel of the pixel whose window is win: `words` words of
 * four taps, then `tail` taps. The arranged filter holds, for each word of taps, `channels`
 * words, then for each tail tap a byte per channel. */
static void pixel_1ch(const emu_depthwise_conv2d_s8_params *p, const output_stage *o, const int8_t *win,
                      int32_t words, int32_t tail, const int8_t *filter, int8_t *out)
{
    const int channels = p->output_c, lanes = channels & ~3;
    const int32_t row = 4 * channels; /* arranged bytes per word of taps */
    const int8_t *const tail_x = win + 4 * words, *const tail_w = filter + words * row;
    int oc = 0;
    for (; oc < lanes; oc += 4) {
        int32_t a0 = o->bias[oc], a1 = o->bias[oc + 1], a2 = o->bias[oc + 2], a3 = o->bias[oc + 3];
        const int8_t *w = filter + 4 * oc;
        for (int32_t k = 0; k < words; ++k, w += row) {
            FOUR_CHANNELS(emu_read_u32(win + 4 * k), w);
        }
        w = tail_w + oc;
        for (int32_t j = 0; j < tail; ++j, w += channels) {
            ONE_BYTE_FOUR_CHANNELS(tail_x[j], w);
        }
        store_four(o, oc, a0, a1, a2, a3, out);
    }
    for (; oc < channels; ++oc) {
        int32_t acc = o->bias[oc];
        const int8_t *w = filter + 4 * oc;
        for (int32_t k = 0; k < words; ++k, w += row) {
            const uint32_t xv = emu_read_u32(win + 4 * k), wv = emu_read_u32(w);
            acc = emu_smlad(emu_sxtb16(xv), emu_sxtb16(wv), acc);
            acc = emu_smlad(emu_sxtb16_ror8(xv), emu_sxtb16_ror8(wv), acc);
        }
        for (int32_t j = 0; j < tail; ++j) {
            acc += tail_x[j] * tail_w[j * channels + oc];
        }
        out[oc] = store_one(o, oc, acc);
    }
}

void emu_depthwise_conv2d_1ch_s8_dsp(const emu_depthwise_conv2d_s8_params *p, const int8_t *input,
                                     const int8_t *filter, int8_t *output, void *scratch)
{
    emu_dsp_rescale *rescale = (emu_dsp_rescale *)scratch;
    int8_t *win = (int8_t *)scratch + EMU_DSP_RESCALE_BYTES * p->output_c;
    output_stage o = {p->folded_bias, rescale, p->output_offset, p->act_min, p->act_max,
                      p->act_min == -128 && p->act_max == 127, 0};
    const int32_t taps = (int32_t)p->filter_h * p->filter_w, words = taps >> 2, tail = taps & 3;
    const int32_t image_size = (int32_t)p->input_h * p->input_w;
    emu_dsp_rescale_table(p->multiplier, p->shift, p->output_c, rescale);
    o.short_form = emu_dsp_rescale_short(rescale, p->output_c, p->output_offset);
    int8_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            for (int ox = 0; ox < p->output_w; ++ox, out += p->output_c) {
                /* channels as the constant 1: the compiler specializes the gather for single bytes */
                emu_gather_window(win, image, p->input_h, p->input_w, 1, p->filter_h, p->filter_w, p->dilation_h,
                                  p->dilation_w, iy0, ox * p->stride_w - p->pad_w, (int8_t)-p->input_offset);
                pixel_1ch(p, &o, win, words, tail, filter, out);
            }
        }
    }
}

void emu_depthwise_conv2d_s8_dsp(const emu_depthwise_conv2d_s8_params *p, const int8_t *input,
                                 const int8_t *filter, int8_t *output, void *scratch)
{
    emu_dsp_rescale *rescale = (emu_dsp_rescale *)scratch;
    int8_t *rest = (int8_t *)scratch + EMU_DSP_RESCALE_BYTES * p->output_c;
    output_stage o = {p->folded_bias, rescale, p->output_offset, p->act_min, p->act_max,
                      p->act_min == -128 && p->act_max == 127, 0};
    emu_dsp_rescale_table(p->multiplier, p->shift, p->output_c, rescale);
    o.short_form = emu_dsp_rescale_short(rescale, p->output_c, p->output_offset);
    if (p->depth_multiplier == 1) {
        run_dm1(p, &o, input, filter, output, rest, 0);
    } else {
        run_dm4n(p, &o, input, filter, output, rest);
    }
}

/* Scratch: the rescale table, a copy of the biases, the zero row, then a copy of the arranged
 * filter (9 x channels bytes): every pixel reads all of the biases and the filter, and from RAM
 * they cost no flash wait states. */
void emu_depthwise_conv2d_3x3_s8_dsp(const emu_depthwise_conv2d_s8_params *p, const int8_t *input,
                                     const int8_t *filter, int8_t *output, void *scratch)
{
    emu_dsp_rescale *rescale = (emu_dsp_rescale *)scratch;
    int32_t *bias_copy = (int32_t *)((int8_t *)scratch + EMU_DSP_RESCALE_BYTES * p->output_c);
    int8_t *zero_row = (int8_t *)(bias_copy + p->output_c);
    int8_t *filter_copy = zero_row + ((p->input_c + 3) & ~3);
    const int8_t *const flash_filter = filter;
    memcpy(bias_copy, p->folded_bias, (size_t)4 * p->output_c);
    output_stage o = {bias_copy, rescale, p->output_offset, p->act_min, p->act_max,
                      p->act_min == -128 && p->act_max == 127, 0};
    emu_dsp_rescale_table(p->multiplier, p->shift, p->output_c, rescale);
    o.short_form = emu_dsp_rescale_short(rescale, p->output_c, p->output_offset);
    if (o.short_form && o.full_range) {
        /* the filter copy's room (18 bytes per channel) holds each word expanded instead */
        uint32_t *expanded = (uint32_t *)filter_copy;
        const int groups = p->output_c / 4;
        for (int k = 0; k < 9 * groups; ++k) {
            const uint32_t wv = emu_read_u32(flash_filter + 4 * k);
            expanded[2 * k] = emu_sxtb16(wv);
            expanded[2 * k + 1] = emu_sxtb16_ror8(wv);
        }
        run_dm1_pairs(p, &o, bias_copy, input, expanded, flash_filter, output, zero_row);
        return;
    }
    memcpy(filter_copy, flash_filter, (size_t)9 * p->output_c);
    run_dm1(p, &o, input, filter_copy, output, zero_row, 1);
}
