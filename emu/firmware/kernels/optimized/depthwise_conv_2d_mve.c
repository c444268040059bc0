/* DEPTHWISE_CONV_2D, int8, with Helium (MVE): four output channels per vector, their int32
 * accumulators in the four lanes. The compiler picks this kernel when output_c is a multiple
 * of 4 and the depth multiplier is 1 or a multiple of 4.
 *
 * The arithmetic is that of depthwise_conv_2d.c (bias with the input offset folded in at
 * compile time); a tap in the padding reads the input zero point, which with the folded bias
 * contributes nothing, as in the reference arithmetic.
 * - Depth multiplier 1: each lane is its own input channel. Per tap, four input bytes and
 *   four filter bytes load widened to int32 (VLDRB.S32), and VMUL + VADD accumulate them;
 *   eight channels at a time load as int16 and multiply long (pixel_dm1). Each pixel lists where its taps read
 *   (the image, or a row of the input zero point); along a row of interior pixels the list
 *   stays that of the row's first one and the kernel adds how far the pixel has moved to each
 *   tap's address as it reads it (with the channel offset, so at no cost).
 * - A multiple of 4: the four lanes share one input byte, so per tap one VMLA multiplies the
 *   four filter bytes by it. Interior pixels read the image in place, border pixels a
 *   gathered window. One input channel with several outputs (a first layer) is this form.
 * The four sums go through emu_mve.h's rescale and are stored as four bytes.
 *
 * Scratch: for multiplier 1 the tap list (a pointer per tap) and input_c bytes of the input
 * zero point, otherwise a gathered window (taps x input_c bytes).
 */
#include "depthwise_conv_2d_mve.h"

#if defined(__ARM_FEATURE_MVE)

#include <string.h>

#include "emu_mve.h"
#include "window.h"


/* Four channels' sum over the taps: the input bytes at each tap + oc times the filter's. */
static inline __attribute__((always_inline)) int32x4_t taps_dm1(int32x4_t a, const int8_t *const *tap,
                                                                const int8_t *const *tap_end, int oc,
                                                                const int8_t *w, int channels)
{
    for (const int8_t *const *k = tap; k < tap_end; ++k, w += channels) {
        a = vaddq_s32(a, vmulq_s32(vldrbq_s32(*k + oc), vldrbq_s32(w)));
    }
    return a;
}

/* Eight channels' sums over the taps (at least one), added to even (channels 0, 2, ..) and odd:
 * per tap the input and filter bytes widened to int16 and multiplied long (VMULLB, VMULLT).
 * Written in assembly as a software pipeline: each tap's products are added during the next
 * tap's loads, so no instruction waits on the multiply before it (GCC puts each VADD right
 * after its VMULL). VLDRB.S16 takes its address in r0-r7 ("l"). */
static inline __attribute__((always_inline)) void taps_dm1_eight(int32x4_t *even, int32x4_t *odd,
                                                                 const int8_t *const *k, int32_t taps, int32_t oc,
                                                                 const int8_t *w, int32_t channels)
{
    int32x4_t e = *even, o = *odd, t0, t1;
    int16x8_t x, f;
    const int8_t *p;
    __asm__ volatile("vmov.i32 %q[t0], #0\n"
                     "vmov.i32 %q[t1], #0\n"
                     "dls lr, %[n]\n"
                     "1:\n"
                     "ldr %[p], [%[k]], #4\n"
                     "vldrb.s16 %q[f], [%[w]]\n"
                     "add %[p], %[oc]\n"
                     "vadd.i32 %q[e], %q[e], %q[t0]\n"
                     "vldrb.s16 %q[x], [%[p]]\n"
                     "vadd.i32 %q[o], %q[o], %q[t1]\n"
                     "add %[w], %[ch]\n"
                     "vmullb.s16 %q[t0], %q[x], %q[f]\n"
                     "vmullt.s16 %q[t1], %q[x], %q[f]\n"
                     "le lr, 1b\n"
                     "vadd.i32 %q[e], %q[e], %q[t0]\n"
                     "vadd.i32 %q[o], %q[o], %q[t1]\n"
                     : [e] "+w"(e), [o] "+w"(o), [k] "+r"(k), [w] "+l"(w), [p] "=&l"(p), [x] "=&w"(x),
                       [f] "=&w"(f), [t0] "=&w"(t0), [t1] "=&w"(t1)
                     : [n] "r"(taps), [oc] "r"(oc), [ch] "r"(channels)
                     : "lr", "memory");
    *even = e;
    *odd = o;
}

/* Eight channels at a time: per tap their input and filter bytes load widened to int16
 * (VLDRB.S16), VMULLB and VMULLT give the even and the odd channels' int32 products, and two
 * accumulators sum them; the bias, multipliers and shifts load split the same way (VLD2, and
 * VMOVLB/VMOVLT of the shifts), and VMOVNB/VMOVNT put the outputs back in channel order.
 * Then a last four channels, one lane each. */
static __attribute__((noinline)) void pixel_dm1(const emu_mve_output_stage *o, int channels, const int8_t *const *tap,
                                                const int8_t *const *tap_end, int32_t moved, const int8_t *filter,
                                                int8_t *out)
{
    int oc = 0;
    for (; oc + 8 <= channels; oc += 8) {
        const int32x4x2_t bias = vld2q_s32(o->bias + oc);
        int32x4_t even = bias.val[0], odd = bias.val[1];
        taps_dm1_eight(&even, &odd, tap, (int32_t)(tap_end - tap), moved + oc, filter + oc, channels);
        const int32x4x2_t m = vld2q_s32(o->multiplier + oc);
        const int16x8_t s = vldrbq_s16(o->shift + oc);
        const int32x4_t ye = emu_mve_output_lanes(even, m.val[0], vmovlbq_s16(s), o->offset, o->lo, o->hi);
        const int32x4_t yo = emu_mve_output_lanes(odd, m.val[1], vmovltq_s16(s), o->offset, o->lo, o->hi);
        vstrbq_s16(out + oc, vmovntq_s32(vmovnbq_s32(vdupq_n_s16(0), ye), yo));
    }
    if (oc < channels) {
        emu_mve_store_four(o, oc, taps_dm1(vldrwq_s32(o->bias + oc), tap, tap_end, moved + oc, filter + oc, channels),
                           out);
    }
}

/* The window starts at x; taps col_step apart, rows next_row further on after each row. */
static __attribute__((noinline)) void pixel_dm4n(const emu_depthwise_conv2d_s8_params *p, const emu_mve_output_stage *o,
                                                 const int8_t *x0, int32_t col_step, int32_t next_row,
                                                 const int8_t *filter, int8_t *out)
{
    const int channels = p->output_c, dm = p->depth_multiplier, fh = p->filter_h, fw = p->filter_w;
    for (int oc = 0; oc < channels; oc += 4) {
        int32x4_t a = vldrwq_s32(o->bias + oc);
        const int8_t *w = filter + oc, *x = x0 + oc / dm;
        for (int fy = 0; fy < fh; ++fy, x += next_row) {
            for (int fx = 0; fx < fw; ++fx, w += channels, x += col_step) {
                a = vmlaq_n_s32(a, vldrbq_s32(w), *x);
            }
        }
        emu_mve_store_four(o, oc, a, out);
    }
}

void emu_depthwise_conv2d_s8_mve(const emu_depthwise_conv2d_s8_params *p, const int8_t *input,
                                 const int8_t *filter, int8_t *output, void *scratch)
{
    const int ic = p->input_c, channels = p->output_c, taps = p->filter_h * p->filter_w;
    const emu_mve_output_stage o = emu_mve_stage(p->folded_bias, p->multiplier, p->shift, p->output_offset,
                                                 p->act_min, p->act_max);
    /* depth multiplier 1: the tap list, then the zero-point row; otherwise a gathered window */
    const int8_t **tap = (const int8_t **)scratch;
    int8_t *rest = p->depth_multiplier == 1 ? (int8_t *)(tap + taps) : (int8_t *)tap;
    const int8_t zero_point = (int8_t)-p->input_offset;
    const int32_t image_size = (int32_t)p->input_h * p->input_w * ic;
    const int32_t col_step = (int32_t)p->dilation_w * ic;
    const int32_t next_row = (int32_t)p->dilation_h * p->input_w * ic - p->filter_w * col_step;
    if (p->depth_multiplier == 1) {
        memset(rest, zero_point, (size_t)ic);
    }
    const int32_t tap_step = (int32_t)p->stride_w * ic; /* one output pixel to the right */
    int8_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            const int row_inner = oy >= p->inner_y0 && oy < p->inner_y1;
            int listed_inner = 0; /* the tap list is that of an earlier pixel of the row, which saw no padding */
            int32_t moved = 0;    /* bytes from that pixel's taps to this one's */
            for (int ox = 0; ox < p->output_w; ++ox, out += channels) {
                const int ix0 = ox * p->stride_w - p->pad_w;
                const int inner = row_inner && ox >= p->inner_x0 && ox < p->inner_x1;
                if (p->depth_multiplier == 1) {
                    if (inner && listed_inner) {
                        moved += tap_step;
                    } else {
                        emu_list_taps(tap, image, rest, p->input_h, p->input_w, ic, p->filter_h, p->filter_w,
                                      p->dilation_h, p->dilation_w, iy0, ix0);
                        moved = 0;
                    }
                    listed_inner = inner;
                    pixel_dm1(&o, channels, tap, tap + taps, moved, filter, out);
                } else if (inner) {
                    pixel_dm4n(p, &o, image + ((int32_t)iy0 * p->input_w + ix0) * ic, col_step, next_row,
                               filter, out);
                } else {
                    emu_gather_window(rest, image, p->input_h, p->input_w, ic, p->filter_h, p->filter_w,
                                      p->dilation_h, p->dilation_w, iy0, ix0, zero_point);
                    pixel_dm4n(p, &o, rest, ic, 0, filter, out);
                }
            }
        }
    }
}

#else
typedef int emu_depthwise_conv_2d_mve_needs_helium; /* the host build has no MVE: nothing to compile */
#endif
