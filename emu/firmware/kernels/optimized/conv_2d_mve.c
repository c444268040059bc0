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
 * emu_conv2d_s8_mve: any other filter, one group: each output pixel's window gathered into
 * scratch (as window.h does, in vector runs; the padding reads the input zero point), then
 * summed as the first form sums a pixel, its length the window's.
 *
 * Scratch: the general form's one gathered window; the 1x1 forms need none (the rescale
 * reads the model's multipliers and shifts as they are).
 *
 * The arranged forms (emu_conv2d_1x1_s8_mve_arranged, emu_conv2d_s8_mve_arranged), for a
 * constant filter, do the same sums over one block the compiler arranges
 * (emu/compile/ops/conv_2d.py, across_block): per group of four output channels their folded
 * biases, their filter rows interleaved sixteen bytes at a time (the last length % 16 padded
 * with zeros), their multipliers, then as bytes their left shifts max(shift, 0), a 1 where the
 * shift is negative and min(shift, 0). A pixel's groups run in one assembly block, read with
 * one pointer: the biases load into the four VMLADAVA accumulators (LDM, the next group's
 * during this one's rescale), the input chunk loads a pass ahead so that no two loads meet
 * (its last read-ahead is the tail pass's input: the filter bytes past the window are zeros,
 * so no predication), and the rescale is emu_mve.h's with the rounding correction -1 where the
 * product and the shift are negative as VQDMULH of the product by that 0 or 1 (2x/2^32 rounded
 * down), on the multiply pipe. The read-ahead reads up to 16 bytes past a pixel's input: the
 * im2col scratch has room for them; a 1x1 layer's last pixel reads them past its tensor, in RAM.
 */
#include "conv_2d_mve.h"

#if defined(__ARM_FEATURE_MVE)

#include "emu_mve.h"
#include "window.h"


/* Every output channel of one pixel, whose input_c bytes are at x. */
typedef void pixel_fn(const emu_mve_output_stage *o, const int8_t *x, int32_t ic, int32_t oc, const int8_t *filter,
                      int8_t *out);

static inline __attribute__((always_inline)) void pixel_across(const emu_mve_output_stage *o, const int8_t *x, int32_t ic,
                                                               int32_t oc, const int8_t *w, int8_t *out)
{
    int32_t c = 0;
    /* Eight channels per pass where they come in eights: the two groups' rescales are
     * independent, so each one's instructions fill the other's waits. */
    for (; c + 8 <= oc; c += 8, w += 8 * ic) {
        const int32x4_t a = emu_mve_dot_four(x, w, ic, vldrwq_s32(o->bias + c));
        const int32x4_t b = emu_mve_dot_four(x, w + 4 * ic, ic, vldrwq_s32(o->bias + c + 4));
        emu_mve_store_four(o, c, a, out);
        emu_mve_store_four(o, c + 4, b, out);
    }
    if (c < oc) {
        emu_mve_store_four(o, c, emu_mve_dot_four(x, w, ic, vldrwq_s32(o->bias + c)), out);
    }
}

static inline __attribute__((always_inline)) void pixel_outer(const emu_mve_output_stage *o, const int8_t *x, int32_t ic,
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
        emu_mve_store_four(o, c, a0, out);
        emu_mve_store_four(o, c + 4, a1, out);
    }
    if (c < oc) {
        int32x4_t a = vldrwq_s32(o->bias + c);
        for (int32_t k = 0; k < ic; ++k) {
            a = vmlaq_n_s32(a, vldrbq_s32(w + 4 * k), x[k]);
        }
        emu_mve_store_four(o, c, a, out);
    }
}

/* Every output pixel in turn (1x1 windows never pad: each is input_c bytes in place). */
static inline __attribute__((always_inline)) void each_pixel(const emu_conv2d_s8_params *p, const int8_t *input,
                                                             const int8_t *filter, int8_t *output, pixel_fn *pixel)
{
    const emu_mve_output_stage o = emu_mve_stage(p->folded_bias, p->multiplier, p->shift, p->output_offset,
                                                 p->act_min, p->act_max);
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

/* n bytes from src to dst, sixteen per vector, the last n % 16 predicated: a window row of a
 * few dozen bytes in a few instructions, where memcpy is a call that moves a byte or a word
 * at a time. */
static inline void copy_row(int8_t *dst, const int8_t *src, int32_t n)
{
    int32_t k = 0;
    for (; k + 16 <= n; k += 16) {
        vstrbq_s8(dst + k, vldrbq_s8(src + k));
    }
    if (k < n) {
        const mve_pred16_t lanes = vctp8q((uint32_t)(n - k));
        vstrbq_p_s8(dst + k, vldrbq_z_s8(src + k, lanes), lanes);
    }
}

/* n bytes of the value in every lane of v, as copy_row. */
static inline void fill_row(int8_t *dst, int8x16_t v, int32_t n)
{
    int32_t k = 0;
    for (; k + 16 <= n; k += 16) {
        vstrbq_s8(dst + k, v);
    }
    if (k < n) {
        vstrbq_p_s8(dst + k, v, vctp8q((uint32_t)(n - k)));
    }
}

/* window.h's emu_gather_window, with its copies and fills made vector runs. Without dilation
 * across a row, a row's taps inside the image are one span: one copy, and a fill on either
 * side for the taps in the padding (a single predicated load and store each when shorter than
 * a vector). With it, tap by tap: vector runs when a tap is a vector or more, else window.h's
 * word and byte copies (a one-byte tap costs less than a predicated vector). */
static __attribute__((noinline)) void gather_window(int8_t *run, const int8_t *image, const emu_conv2d_s8_params *p,
                                                    int iy0, int ix0)
{
    const int32_t channels = p->input_c, row_bytes = (int32_t)p->filter_w * channels;
    const int8x16_t zero_point = vdupq_n_s8((int8_t)-p->input_offset);
    /* without dilation: the taps [first, end) of each row are inside the image */
    int first = ix0 < 0 ? -ix0 : 0, end = p->input_w - ix0;
    end = end > p->filter_w ? p->filter_w : end;
    first = first > end ? end : first;
    end = end < first ? first : end;
    const int32_t before = first * channels, inside = (end - first) * channels;
    const int row_fits = p->dilation_w == 1 && inside == row_bytes;
    for (int fy = 0; fy < p->filter_h; ++fy, run += row_bytes) {
        const int iy = iy0 + fy * p->dilation_h;
        if (iy < 0 || iy >= p->input_h) {
            fill_row(run, zero_point, row_bytes);
            continue;
        }
        const int8_t *row = image + ((int32_t)iy * p->input_w + ix0) * channels;
        if (row_fits) {
            copy_row(run, row, row_bytes);
            continue;
        }
        if (p->dilation_w == 1) {
            if (before) {
                fill_row(run, zero_point, before);
            }
            copy_row(run + before, row + before, inside);
            if (before + inside < row_bytes) {
                fill_row(run + before + inside, zero_point, row_bytes - before - inside);
            }
            continue;
        }
        for (int fx = 0; fx < p->filter_w; ++fx) {
            const int ix = ix0 + fx * p->dilation_w;
            int8_t *tap = run + fx * channels;
            if (ix >= 0 && ix < p->input_w) {
                if (channels >= 16) {
                    copy_row(tap, row + (int32_t)fx * p->dilation_w * channels, channels);
                } else {
                    emu_copy_bytes(tap, row + (int32_t)fx * p->dilation_w * channels, channels);
                }
            } else if (channels >= 16) {
                fill_row(tap, zero_point, channels);
            } else {
                memset(tap, (int8_t)-p->input_offset, (size_t)channels);
            }
        }
    }
}

/* Any other filter: each output pixel's window gathered into scratch (the padding reads the
 * input zero point), then summed against the filter rows as a 1x1 pixel of window bytes. */
void emu_conv2d_s8_mve(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *filter, int8_t *output,
                       void *scratch)
{
    const emu_mve_output_stage o = emu_mve_stage(p->folded_bias, p->multiplier, p->shift, p->output_offset,
                                                 p->act_min, p->act_max);
    int8_t *window = (int8_t *)scratch;
    const int32_t length = (int32_t)p->filter_h * p->filter_w * p->input_c, oc = p->output_c;
    const int32_t image_size = (int32_t)p->input_h * p->input_w * p->input_c;
    int8_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            for (int ox = 0; ox < p->output_w; ++ox, out += oc) {
                gather_window(window, image, p, iy0, ox * p->stride_w - p->pad_w);
                pixel_across(&o, window, length, oc, filter, out);
            }
        }
    }
}

/* ---- The arranged forms: the filter and the rescale in one block per group of four ---- */

/* The group loop of one pixel for the arranged forms (the comment at the top of this file): TAIL
 * is the last pass over the window's last length % 16 bytes, or nothing; EMU_ACROSS_TAIL is also
 * each whole sixteen bytes' step of the loop. */
#define EMU_ACROSS_TAIL                                                                                      \
    "vldrb.8 q1, [r1], #16\n"                                                                                \
    "vmladava.s8 r4, q0, q1\n"                                                                               \
    "vldrb.8 q2, [r1], #16\n"                                                                                \
    "vmladava.s8 r6, q0, q2\n"                                                                               \
    "vldrb.8 q1, [r1], #16\n"                                                                                \
    "vmladava.s8 r8, q0, q1\n"                                                                               \
    "vldrb.8 q2, [r1], #16\n"                                                                                \
    "vmladava.s8 r10, q0, q2\n"
#define EMU_ACROSS_PIXEL(TAIL)                                                                               \
    register const int8_t *r0 __asm__("r0");                                                                 \
    register const int8_t *r1 __asm__("r1") = block;                                                         \
    register int8_t *r3 __asm__("r3") = out;                                                                 \
    register int32_t r4 __asm__("r4") = lo;                                                                  \
    register int32_t r5 __asm__("r5") = offset;                                                              \
    register int32_t r6 __asm__("r6") = hi;                                                                  \
    register const int8_t *r7 __asm__("r7") = x;                                                             \
    register int32_t r9 __asm__("r9") = steps;                                                               \
    register int32_t r12 __asm__("r12") = groups;                                                            \
    __asm__ volatile("vdup.32 q6, r4\n"                                                                      \
                     "vdup.32 q7, r6\n"                                                                      \
                     "ldm r1!, {r4, r6, r8, r10}\n"                                                          \
                     "2:\n"                                                                                  \
                     "mov r0, r7\n"                                                                          \
                     "vldrb.8 q0, [r0], #16\n"                                                               \
                     "wls lr, r9, 3f\n"                                                                      \
                     "1:\n" EMU_ACROSS_TAIL /* the same four sums, over a whole sixteen bytes */             \
                     "vldrb.8 q0, [r0], #16\n"                                                               \
                     "le lr, 1b\n"                                                                           \
                     "3:\n" TAIL                                                                             \
                     "vmov.32 q3[0], r4\n"                                                                   \
                     "vldrw.32 q1, [r1], #16\n"                                                              \
                     "vmov.32 q3[1], r6\n"                                                                   \
                     "vldrb.s32 q0, [r1], #4\n"                                                              \
                     "vmov.32 q3[2], r8\n"                                                                   \
                     "vldrb.s32 q2, [r1], #4\n"                                                              \
                     "vmov.32 q3[3], r10\n"                                                                  \
                     "vshl.s32 q3, q3, q0\n"                                                                 \
                     "vqrdmulh.s32 q3, q3, q1\n"                                                             \
                     "vldrb.s32 q0, [r1], #4\n"                                                              \
                     "vqdmulh.s32 q1, q3, q2\n"                                                              \
                     "ldm r1!, {r4, r6, r8, r10}\n"                                                          \
                     "vadd.i32 q3, q3, q1\n"                                                                 \
                     "subs r12, #1\n"                                                                        \
                     "vrshl.s32 q3, q3, q0\n"                                                                \
                     "vadd.i32 q3, q3, r5\n"                                                                 \
                     "vmax.s32 q3, q3, q6\n"                                                                 \
                     "vmin.s32 q3, q3, q7\n"                                                                 \
                     "vstrb.32 q3, [r3], #4\n"                                                               \
                     "bne 2b\n"                                                                              \
                     : "=&r"(r0), "+r"(r1), "+r"(r3), "+r"(r4), "+r"(r6), "+r"(r12)                          \
                     : "r"(r5), "r"(r7), "r"(r9)                                                            \
                     : "r8", "r10", "lr", "q0", "q1", "q2", "q3", "q6", "q7", "memory", "cc")

/* Every output channel of one pixel, whose window is at x: groups of four, each `steps`
 * sixteen-byte passes and, in pixel_tail, a last one over the window's last length % 16 bytes. */
static __attribute__((noinline)) void pixel_whole(const int8_t *x, const int8_t *block, int8_t *out, int32_t groups,
                                                  int32_t steps, int32_t offset, int32_t lo, int32_t hi)
{
    EMU_ACROSS_PIXEL("");
}

static __attribute__((noinline)) void pixel_tail(const int8_t *x, const int8_t *block, int8_t *out, int32_t groups,
                                                 int32_t steps, int32_t offset, int32_t lo, int32_t hi)
{
    EMU_ACROSS_PIXEL(EMU_ACROSS_TAIL);
}

static inline void pixel_arranged(const emu_conv2d_s8_params *p, const int8_t *x, int32_t length,
                                  const int8_t *block, int8_t *out)
{
    (length & 15 ? pixel_tail : pixel_whole)(x, block, out, p->output_c / 4, length >> 4, p->output_offset,
                                             p->act_min, p->act_max);
}

/* rows runs of n bytes, src_step apart, to dst one after the other: sixteen bytes per load and
 * store in a tail-predicated loop (DLSTP/LETP: the last n % 16 bytes are its last pass). */
static __attribute__((noinline)) void copy_rows(int8_t *dst, const int8_t *src, int32_t rows, int32_t n,
                                                int32_t src_step)
{
    const int8_t *s;
    int8_t *d;
    __asm__ volatile("2:\n"
                     "mov %[s], %[src]\n"
                     "mov %[d], %[dst]\n"
                     "dlstp.8 lr, %[n]\n"
                     "1:\n"
                     "vldrb.8 q0, [%[s]], #16\n"
                     "vstrb.8 q0, [%[d]], #16\n"
                     "letp lr, 1b\n"
                     "add %[src], %[step]\n"
                     "add %[dst], %[n]\n"
                     "subs %[rows], #1\n"
                     "bne 2b\n"
                     : [s] "=&r"(s), [d] "=&r"(d), [src] "+r"(src), [dst] "+r"(dst), [rows] "+r"(rows)
                     : [n] "r"(n), [step] "r"(src_step)
                     : "lr", "q0", "memory", "cc");
}

void emu_conv2d_1x1_s8_mve_arranged(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *block,
                                    int8_t *output)
{
    const int32_t ic = p->input_c, oc = p->output_c;
    const int32_t step_x = p->stride_w * ic, step_y = (int32_t)p->stride_h * p->input_w * ic;
    const int32_t image_size = (int32_t)p->input_h * p->input_w * ic;
    int8_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *row = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy, row += step_y) {
            const int8_t *x = row;
            for (int ox = 0; ox < p->output_w; ++ox, x += step_x, out += oc) {
                pixel_arranged(p, x, ic, block, out);
            }
        }
    }
}

void emu_conv2d_s8_mve_arranged(const emu_conv2d_s8_params *p, const int8_t *input, const int8_t *block,
                                int8_t *output, void *scratch)
{
    int8_t *window = (int8_t *)scratch;
    const int32_t length = (int32_t)p->filter_h * p->filter_w * p->input_c, oc = p->output_c;
    const int32_t image_size = (int32_t)p->input_h * p->input_w * p->input_c;
    const int32_t row_bytes = (int32_t)p->filter_w * p->input_c;
    const int32_t row_step = (int32_t)p->dilation_h * p->input_w * p->input_c;
    int8_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            const int rows_inside = iy0 >= 0 && iy0 + (p->filter_h - 1) * p->dilation_h < p->input_h;
            for (int ox = 0; ox < p->output_w; ++ox, out += oc) {
                const int ix0 = ox * p->stride_w - p->pad_w;
                if (rows_inside && p->dilation_w == 1 && ix0 >= 0 && ix0 + p->filter_w <= p->input_w) {
                    /* every tap in the image: each window row one run, copied sixteen bytes at a time */
                    copy_rows(window, image + ((int32_t)iy0 * p->input_w + ix0) * p->input_c, p->filter_h,
                              row_bytes, row_step);
                } else {
                    gather_window(window, image, p, iy0, ix0);
                }
                pixel_arranged(p, window, length, block, out);
            }
        }
    }
}

#else
typedef int emu_conv_2d_mve_needs_helium; /* the host build has no MVE: nothing to compile */
#endif
