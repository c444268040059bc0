/* DEPTHWISE_CONV_2D, int8, 3x3 filter, depth multiplier 1, output channels a multiple of 8,
 * with Helium (MVE): eight channels per group, their products in int16 lanes.
 *
 * Per tap, the eight input bytes and the eight filter bytes load widened to int16
 * (VLDRB.S16); VMULLB and VMULLT give the even and the odd channels' int32 products and two
 * VADDs sum them. The nine taps and the rescale of a group are one assembly block, ordered so
 * that a vector instruction seldom follows one of the same pipe (load/store, integer,
 * multiply) or reads the result of the one before it: in the taps loads, multiplies and adds
 * take turns, and the next group's bias, first filter tap and first input tap load between
 * this group's output steps.
 *
 * The compiler arranges, per group of eight channels (emu/compile/ops/depthwise_conv_2d.py,
 * `three_by_three_mve_block`), 160 bytes the block reads in order with one pointer:
 *   bias (folded, int32) of channels 0 2 4 6 1 3 5 7, the nine taps' filter bytes (channel
 *   order), multipliers (int32, 0 2 4 6 1 3 5 7), then as int8, same order: the left shifts
 *   max(shift, 0), a 1 where the shift is negative, and min(shift, 0);
 * and 40 bytes of zeros after the last group (the last group's block reads ahead that far).
 *
 * The rescale is emu_mve.h's, with two of its integer steps (VAND, VSHR) made one on the
 * multiply pipe: the rounding correction -1 where the product and the shift are negative is
 * VQDMULH of the product by that 0 or 1 (2x/2^32 rounded down: -1 for x < 0, 0 otherwise). The zero point
 * and the clamp act on int16 lanes (VQMOVNB/VQMOVNT saturate the rescaled values, which keeps
 * any value past int16 past the clamp): with D = 32767 - act_max, VQADD of output_offset + D
 * saturates exactly the values at or above act_max, VMAX with act_min + D raises the rest,
 * and subtracting D leaves clamp(value + offset, act_min, act_max). That needs
 * act_min <= output_offset <= act_max, which TFLM's activation ranges always hold (the
 * compiler checks).
 *
 * The windows read padded copies of the input rows, with the input zero point in the padding
 * (which with the folded bias contributes nothing, as in the reference arithmetic): a ring of
 * 2 dilation_h + 1 rows in the scratch, each as wide as the output row's windows reach
 * ((output_w - 1) stride_w + 2 dilation_w + 1 pixels), each input row copied once, with
 * sixteen-byte vector moves; then one assembly call runs a whole output row.
 */
#include "depthwise_3x3_mve.h"

#if defined(__ARM_FEATURE_MVE)

#include <arm_mve.h>

#define EMU_DW3_MAX_SLOTS 9 /* rows in the ring of padded input rows: 2 dilation_h + 1 */

/* What the pixel loop keeps in memory, read once per pixel. */
typedef struct {
    const int8_t *block;  /* the first group's block */
    int32_t advance;      /* from a pixel's row pointers after its groups to the next pixel's */
    int32_t groups;
} dw3_run;

/* n pixels of one output row: the first one's window rows at rows[0..2], the next pixel's
 * stride_w * channels further on; taps col_step apart within a row. */
static __attribute__((noinline)) void pixels_3x3(const int8_t *const rows[3], int32_t col_step, const dw3_run *run,
                                                 int8_t *out, int32_t n, int32_t add, int32_t sub, int32_t low)
{
    register const int8_t *r0 __asm__("r0") = rows[0];
    register const int8_t *r1 __asm__("r1") = rows[1];
    register const int8_t *r2 __asm__("r2") = rows[2];
    register int32_t r3 __asm__("r3") = low;
    register const int8_t *r5 __asm__("r5") = run->block;
    register int32_t r6 __asm__("r6") = col_step;
    register int8_t *r7 __asm__("r7") = out;
    register int32_t r9 __asm__("r9") = add;
    register int32_t r10 __asm__("r10") = sub;
    register const dw3_run *r11 __asm__("r11") = run;
    register int32_t r12 __asm__("r12") = n;
    /* Registers: r0-r2 the window's rows at the group's first channel (r1 and r2 post-incremented
     * by their first tap, r0 by the read-ahead), r3 and r4 the second and third taps of a row,
     * r5 the block, r6 the step between taps of a row, r7 the output. q0 and q1 the even and
     * odd channels' sums, q2 the input tap, q3 and q4 the filter taps in turn, q5 and q6 the
     * products, q7 act_min + D. */
    __asm__ volatile(
        "vdup.16 q7, r3\n"
        "2:\n" /* a pixel: its first group's head */
        "ldr lr, [r11, #8]\n"
        "adds r3, r0, r6\n"
        "vldrb.s16 q2, [r0]\n"
        "vldrw.32 q0, [r5], #16\n"
        "vldrw.32 q1, [r5], #16\n"
        "vldrb.s16 q3, [r5], #8\n"
        "dls lr, lr\n"
        "1:\n"
        /* tap 0: its input in q2, its filter in q3 */
        "vmullb.s16 q5, q2, q3\n"
        "vldrb.s16 q4, [r5], #8\n"
        "vmullt.s16 q6, q2, q3\n"
        "vadd.i32 q0, q0, q5\n"
        /* taps 1 and 2 */
        "vldrb.s16 q2, [r3]\n"
        "vadd.i32 q1, q1, q6\n"
        "vmullb.s16 q5, q2, q4\n"
        "vldrb.s16 q3, [r5], #8\n"
        "vmullt.s16 q6, q2, q4\n"
        "adds r4, r3, r6\n"
        "adds r3, r1, r6\n"
        "vadd.i32 q0, q0, q5\n"
        "vldrb.s16 q2, [r4]\n"
        "vadd.i32 q1, q1, q6\n"
        "vmullb.s16 q5, q2, q3\n"
        "vldrb.s16 q4, [r5], #8\n"
        "vmullt.s16 q6, q2, q3\n"
        "vadd.i32 q0, q0, q5\n"
        /* taps 3, 4, 5: the second row */
        "vldrb.s16 q2, [r1], #8\n"
        "vadd.i32 q1, q1, q6\n"
        "vmullb.s16 q5, q2, q4\n"
        "vldrb.s16 q3, [r5], #8\n"
        "vmullt.s16 q6, q2, q4\n"
        "vadd.i32 q0, q0, q5\n"
        "vldrb.s16 q2, [r3]\n"
        "vadd.i32 q1, q1, q6\n"
        "vmullb.s16 q5, q2, q3\n"
        "vldrb.s16 q4, [r5], #8\n"
        "vmullt.s16 q6, q2, q3\n"
        "adds r4, r3, r6\n"
        "adds r3, r2, r6\n"
        "vadd.i32 q0, q0, q5\n"
        "vldrb.s16 q2, [r4]\n"
        "vadd.i32 q1, q1, q6\n"
        "vmullb.s16 q5, q2, q4\n"
        "vldrb.s16 q3, [r5], #8\n"
        "vmullt.s16 q6, q2, q4\n"
        "vadd.i32 q0, q0, q5\n"
        /* taps 6, 7, 8: the third row; the last one's free slot loads the even multipliers */
        "vldrb.s16 q2, [r2], #8\n"
        "vadd.i32 q1, q1, q6\n"
        "vmullb.s16 q5, q2, q3\n"
        "vldrb.s16 q4, [r5], #8\n"
        "vmullt.s16 q6, q2, q3\n"
        "vadd.i32 q0, q0, q5\n"
        "vldrb.s16 q2, [r3]\n"
        "vadd.i32 q1, q1, q6\n"
        "vmullb.s16 q5, q2, q4\n"
        "vldrb.s16 q3, [r5], #8\n"
        "vmullt.s16 q6, q2, q4\n"
        "adds r4, r3, r6\n"
        "vadd.i32 q0, q0, q5\n"
        "vldrb.s16 q2, [r4]\n"
        "vadd.i32 q1, q1, q6\n"
        "vmullb.s16 q5, q2, q3\n"
        "vldrw.32 q4, [r5]\n"
        "vmullt.s16 q6, q2, q3\n"
        "vadd.i32 q0, q0, q5\n"
        /* the rescale: left shift, high multiply, rounding correction */
        "vldrb.s32 q2, [r5, #32]\n"
        "vadd.i32 q1, q1, q6\n"
        "vldrb.s32 q3, [r5, #36]\n"
        "vshl.s32 q0, q0, q2\n"
        "vldrw.32 q5, [r5, #16]\n"
        "vshl.s32 q1, q1, q3\n"
        "vqrdmulh.s32 q0, q0, q4\n"
        "vldrb.s32 q2, [r5, #40]\n"
        "vqrdmulh.s32 q1, q1, q5\n"
        "vldrb.s32 q3, [r5, #44]\n"
        "vqdmulh.s32 q4, q0, q2\n"
        "vldrb.s32 q2, [r5, #48]\n"
        "vqdmulh.s32 q5, q1, q3\n"
        "vadd.i32 q0, q0, q4\n"
        "vldrb.s32 q3, [r5, #52]\n"
        "vadd.i32 q1, q1, q5\n"
        "adds r5, #56\n"
        /* the rounding right shift and the output, the next group's head loaded between */
        "vrshl.s32 q0, q0, q2\n"
        "vldrb.s16 q2, [r0, #8]!\n"
        "vrshl.s32 q1, q1, q3\n"
        "vldrb.s16 q3, [r5, #32]\n"
        "vqmovnb.s32 q5, q0\n"
        "vldrw.32 q0, [r5], #16\n"
        "vqmovnt.s32 q5, q1\n"
        "vldrw.32 q1, [r5], #24\n"
        "vqadd.s16 q5, q5, r9\n"
        "adds r3, r0, r6\n"
        "vmax.s16 q5, q5, q7\n"
        "vsub.i16 q5, q5, r10\n"
        "vstrb.16 q5, [r7], #8\n"
        "le lr, 1b\n"
        /* the next pixel: its rows, the block from its start */
        "ldr r4, [r11, #4]\n"
        "ldr r5, [r11]\n"
        "add r0, r4\n"
        "add r1, r4\n"
        "add r2, r4\n"
        "subs r12, #1\n"
        "bne 2b\n"
        : "+r"(r0), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(r5), "+r"(r7), "+r"(r12)
        : "r"(r6), "r"(r9), "r"(r10), "r"(r11)
        : "r4", "lr", "q0", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "memory", "cc");
}

/* n bytes (a multiple of 8) from src to dst, sixteen at a time. */
static void copy_bytes(int8_t *dst, const int8_t *src, int32_t n)
{
    for (; n >= 16; n -= 16, src += 16, dst += 16) {
        vstrbq_s8(dst, vldrbq_s8(src));
    }
    if (n > 0) {
        const mve_pred16_t p = vctp8q((uint32_t)n);
        vstrbq_p_s8(dst, vldrbq_z_s8(src, p), p);
    }
}

/* n bytes (a multiple of 8) of the value z. */
static void fill_bytes(int8_t *dst, int8x16_t z, int32_t n)
{
    for (; n >= 16; n -= 16, dst += 16) {
        vstrbq_s8(dst, z);
    }
    if (n > 0) {
        vstrbq_p_s8(dst, z, vctp8q((uint32_t)n));
    }
}

/* The padded copy of input row iy (the input zero point where the row is outside the image)
 * in its slot of the ring, copied only where the slot holds another row. */
static const int8_t *ring_row(const emu_depthwise_conv2d_s8_params *p, const int8_t *image, int8_t *ring,
                              int32_t *held, int iy, int32_t width, int8x16_t zero_point)
{
    const int c = p->output_c, slots = 2 * p->dilation_h + 1;
    const int inside = iy >= 0 && iy < p->input_h;
    const int slot = ((iy % slots) + slots) % slots;
    int8_t *row = ring + slot * width * c;
    const int32_t tag = inside ? iy : -1; /* every row outside is the same row of zero points */
    if (held[slot] != tag) {
        held[slot] = tag;
        if (!inside) {
            fill_bytes(row, zero_point, width * c);
        } else {
            const int left = p->pad_w;
            const int copied = p->input_w < width - left ? p->input_w : width - left;
            fill_bytes(row, zero_point, left * c);
            copy_bytes(row + left * c, image + (int32_t)iy * p->input_w * c, copied * c);
            fill_bytes(row + (left + copied) * c, zero_point, (width - left - copied) * c);
        }
    }
    return row;
}

void emu_depthwise_conv2d_3x3_s8_mve(const emu_depthwise_conv2d_s8_params *p, const int8_t *input,
                                     const int8_t *block, int8_t *output, void *scratch)
{
    const int c = p->output_c, ow = p->output_w, dh = p->dilation_h;
    const int8x16_t zero_point = vdupq_n_s8((int8_t)-p->input_offset);
    const int32_t image_size = (int32_t)p->input_h * p->input_w * c;
    /* a padded row: every column a window of the output row reads, from the left padding on */
    const int32_t width = (ow - 1) * p->stride_w + 2 * p->dilation_w + 1;
    const int32_t d = 32767 - p->act_max;
    const int32_t add = p->output_offset + d, sub = d, low = p->act_min + d;
    const dw3_run run = {block, (int32_t)p->stride_w * c - c, c / 8};
    int32_t held[EMU_DW3_MAX_SLOTS];
    int8_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * image_size;
        for (int k = 0; k < 2 * dh + 1; ++k) {
            held[k] = -2; /* no row */
        }
        for (int oy = 0; oy < p->output_h; ++oy, out += ow * c) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            const int8_t *rows[3];
            for (int k = 0; k < 3; ++k) {
                rows[k] = ring_row(p, image, (int8_t *)scratch, held, iy0 + k * dh, width, zero_point);
            }
            pixels_3x3(rows, (int32_t)p->dilation_w * c, &run, out, ow, add, sub, low);
        }
    }
}

#else
typedef int emu_depthwise_3x3_mve_needs_helium; /* the host build has no MVE: nothing to compile */
#endif
