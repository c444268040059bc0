/* CONV_2D 1x1, int8, with Helium (MVE), in two forms.
 *
 * emu_conv2d_1x1_s8_mve: VMLADAVA, sixteen multiply-accumulates in one instruction, across a
 * pixel's input channels: for deep inputs.
 *
 * The arithmetic is that of conv_2d.c: the bias with the input offset folded in at compile
 * time, so each output is the folded bias plus the dot product of the pixel's input_c bytes
 * with the channel's filter row. Four output channels share each load of sixteen input bytes
 * (the compiler picks this kernel when output_c is a multiple of 4); the last input_c % 16
 * bytes are a predicated pass (VCTP: lanes past the end load zero). The four sums go through
 * emu_mve.h's rescale as one vector and are stored as four bytes.
 *
 * emu_conv2d_1x1_s8_mve_outer: for inputs shallower than a vector, where the sums across it
 * would be mostly set-up: four output channels in the lanes, and per input channel one VMLA
 * adds the input byte times the four channels' filter bytes (eight channels share each byte).
 * The compiler stores the filter arranged for it: for each group of four output channels,
 * input_c words of their four bytes.
 *
 * No scratch (the rescale reads the model's multipliers and shifts as they are).
 */
#include "conv_2d_mve.h"

#if defined(__ARM_FEATURE_MVE)

#include "emu_mve.h"

/* The four dot products of x[0..len) with the rows w, w + len, w + 2 len, w + 3 len. */
static inline __attribute__((always_inline)) int32x4_t dot_four(const int8_t *x, const int8_t *w, int32_t len,
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

typedef struct {
    const int32_t *bias, *multiplier;
    const int8_t *shift;
    int32_t offset;
    int32x4_t lo, hi;
} output_stage;

/* Every output channel of one pixel, whose input_c bytes are at x. */
typedef void pixel_fn(const output_stage *o, const int8_t *x, int32_t ic, int32_t oc, const int8_t *filter,
                      int8_t *out);

static inline __attribute__((always_inline)) void pixel_across(const output_stage *o, const int8_t *x, int32_t ic,
                                                               int32_t oc, const int8_t *w, int8_t *out)
{
    for (int32_t c = 0; c < oc; c += 4, w += 4 * ic) {
        const int32x4_t a = dot_four(x, w, ic, vldrwq_s32(o->bias + c));
        vstrbq_s32(out + c, emu_mve_output(o->multiplier, o->shift, c, a, o->offset, o->lo, o->hi));
    }
}

static inline __attribute__((always_inline)) void pixel_outer(const output_stage *o, const int8_t *x, int32_t ic,
                                                              int32_t oc, const int8_t *w, int8_t *out)
{
    int32_t c = 0;
    /* Eight channels (two groups) share each input byte; then a last group of four. */
    for (; c + 8 <= oc; c += 8, w += 8 * ic) {
        int32x4_t a0 = vldrwq_s32(o->bias + c), a1 = vldrwq_s32(o->bias + c + 4);
        const int8_t *w1 = w + 4 * ic;
        for (int32_t k = 0; k < ic; ++k) {
            const int32_t v = x[k];
            a0 = vmlaq_n_s32(a0, vldrbq_s32(w + 4 * k), v);
            a1 = vmlaq_n_s32(a1, vldrbq_s32(w1 + 4 * k), v);
        }
        vstrbq_s32(out + c, emu_mve_output(o->multiplier, o->shift, c, a0, o->offset, o->lo, o->hi));
        vstrbq_s32(out + c + 4, emu_mve_output(o->multiplier, o->shift, c + 4, a1, o->offset, o->lo, o->hi));
    }
    if (c < oc) {
        int32x4_t a = vldrwq_s32(o->bias + c);
        for (int32_t k = 0; k < ic; ++k) {
            a = vmlaq_n_s32(a, vldrbq_s32(w + 4 * k), x[k]);
        }
        vstrbq_s32(out + c, emu_mve_output(o->multiplier, o->shift, c, a, o->offset, o->lo, o->hi));
    }
}

/* Every output pixel in turn (1x1 windows never pad: each is input_c bytes in place). */
static inline __attribute__((always_inline)) void each_pixel(const emu_conv2d_s8_params *p, const int8_t *input,
                                                             const int8_t *filter, int8_t *output, pixel_fn *pixel)
{
    const output_stage o = {p->folded_bias, p->multiplier, p->shift, p->output_offset, vdupq_n_s32(p->act_min),
                            vdupq_n_s32(p->act_max)};
    const int32_t ic = p->input_c, oc = p->output_c;
    const int32_t step_x = p->stride_w * ic;
    const int32_t step_y = (int32_t)p->stride_h * p->input_w * ic;
    const int32_t image_size = (int32_t)p->input_h * p->input_w * ic;
    const int batches = p->batches, output_h = p->output_h, output_w = p->output_w;
    int8_t *out = output;
    for (int b = 0; b < batches; ++b) {
        const int8_t *row = input + b * image_size;
        for (int oy = 0; oy < output_h; ++oy, row += step_y) {
            const int8_t *x = row;
            for (int ox = 0; ox < output_w; ++ox, x += step_x, out += oc) {
                pixel(&o, x, ic, oc, filter, out);
            }
        }
    }
}

void emu_conv2d_1x1_s8_mve(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                           int8_t *output)
{
    each_pixel(p, input, filter, output, pixel_across);
}

void emu_conv2d_1x1_s8_mve_outer(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter,
                                 int8_t *output)
{
    each_pixel(p, input, filter, output, pixel_outer);
}

#else
typedef int emu_conv_2d_mve_needs_helium; /* the host build has no MVE: nothing to compile */
#endif
