/* FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D, 16x8, with Helium (MVE).
 *
 * The arithmetic is that of the reference kernels (see int16_dsp.c). Dot products
 * (fully connected, convolution) are VMLALDAVA: eight int16 inputs against eight weights
 * widened to int16 by their load (VLDRB.S16), summed straight into a 64-bit accumulator, so
 * the sum is exact however long; the last n % 8 one at a time. Two output channels
 * share each input load. Depthwise: four output channels per vector, inputs and weights
 * widened to int32 by their loads, multiplied and summed (VMUL, VADD) in int32, exact for at
 * most EMU_S16_RUN taps; the last channels % 4 under a predicate. With a depth multiplier m
 * above 1, output channel c reads input channel c / m: the four lanes' inputs come by one
 * gather load (VLDRH.S32 with a vector of offsets worked out once per four channels). The
 * rescale is the reference's, one channel at a time.
 */
#include "int16_mve.h"

#if defined(__ARM_FEATURE_MVE)

#include <arm_mve.h>

#include "emu_quant.h"
#include "int16_dsp.h"
#include "int16_walk.h"

/* s0 += x . w0 and s1 += x . w1 over n values, exact. */
static inline void dot_two(const int16_t *x, const int8_t *w0, const int8_t *w1, int32_t n, int64_t *s0, int64_t *s1)
{
    int64_t t0 = *s0, t1 = *s1;
    int32_t k = 0;
    for (; k + 8 <= n; k += 8) {
        const int16x8_t v = vldrhq_s16(x + k);
        t0 = vmlaldavaq_s16(t0, v, vldrbq_s16(w0 + k));
        t1 = vmlaldavaq_s16(t1, v, vldrbq_s16(w1 + k));
    }
    for (; k < n; ++k) {  /* at most 7 */
        t0 += (int32_t)x[k] * w0[k];
        t1 += (int32_t)x[k] * w1[k];
    }
    *s0 = t0;
    *s1 = t1;
}

static inline int16_t output_s16(int64_t acc, int accumulate_32, int32_t multiplier, int shift, int32_t lo,
                                 int32_t hi)
{
    return (int16_t)emu_clamp_i32(emu_rescale_s16(acc, accumulate_32, multiplier, shift), lo, hi);
}

/* The convolutions' step (emu_s16_window_step, `core` the parameters): channels [first, end) of
 * one output pixel from its window x, two at a time. */
static void channels_s16(const void *core, const int16_t *x, int32_t len, const int8_t *filter, int first, int end,
                         int16_t *out)
{
    const emu_conv2d_s16_params *p = core;
    for (int c = first; c < end; c += 2) {
        const int c1 = c + 1 < end ? c + 1 : c;
        int64_t s0 = p->bias[c], s1 = p->bias[c1];
        dot_two(x, filter + (int32_t)c * len, filter + (int32_t)c1 * len, len, &s0, &s1);
        const int16_t y0 = output_s16(s0, p->accumulate_32, p->multiplier[c], p->shift[c], p->act_min, p->act_max);
        const int16_t y1 = output_s16(s1, p->accumulate_32, p->multiplier[c1], p->shift[c1], p->act_min, p->act_max);
        out[c] = y0;
        out[c1] = y1;
    }
}

void emu_fully_connected_s16_mve(const emu_fully_connected_s16_params *p, const int16_t *input,
                                 const int8_t *weights, int16_t *output)
{
    const int32_t depth = p->depth, units = p->units;
    for (int32_t b = 0; b < p->batches; ++b, input += depth, output += units) {
        for (int32_t u = 0; u < units; u += 2) {
            const int32_t u1 = u + 1 < units ? u + 1 : u;
            int64_t s0 = p->bias[u], s1 = p->bias[u1];
            dot_two(input, weights + u * depth, weights + u1 * depth, depth, &s0, &s1);
            const int16_t y0 = output_s16(s0, p->accumulate_32, p->multiplier[u], p->shift[u], p->act_min, p->act_max);
            const int16_t y1 =
                output_s16(s1, p->accumulate_32, p->multiplier[u1], p->shift[u1], p->act_min, p->act_max);
            output[u] = y0;
            output[u1] = y1;
        }
    }
}

void emu_conv2d_s16_mve(const emu_conv2d_s16_params *p, const int16_t *input, const int8_t *filter,
                        int16_t *output, void *scratch)
{
    emu_conv2d_s16_walk(p, input, filter, output, (int16_t *)scratch, channels_s16, p);
}

void emu_conv2d_1x1_s16_mve(const emu_conv2d_s16_params *p, const int16_t *input, const int8_t *filter,
                            int16_t *output)
{
    emu_conv2d_1x1_s16_walk(p, input, filter, output, channels_s16, p);
}

/* The depthwise steps: four output channels in one vector over the window's taps, inputs and
 * weights widened to int32 by their loads; fewer (the last channels % 4) under a predicate. With a
 * depth multiplier of 1 each lane's input channel is its output channel (one contiguous load);
 * with others a gather load fetches lane j's input channel (c + j) / multiplier. The two are
 * separate steps, so each kernel's loop holds no test of the multiplier. */
EMU_S16_WALK_INLINE void window_sums(emu_s16_dw_window win, int32_t c, int n, int32_t sums[4], const int gather)
{
    const mve_pred16_t pr = vctp32q((uint32_t)n);
    const int32_t dm = win.p->depth_multiplier;
    const int32_t first = gather ? c / dm : c;
    uint32x4_t offsets = vdupq_n_u32(0);
    if (gather) {
        uint32_t lanes[4];
        for (int j = 0; j < 4; ++j) {
            lanes[j] = (uint32_t)((c + j) / dm - first);
        }
        offsets = vldrwq_u32(lanes);
    }
    int32x4_t acc = vdupq_n_s32(0);
    for (int fy = win.fy0; fy < win.fy1; ++fy) {
        const int16_t *x = emu_s16_dw_input_row(win, fy, first);
        const int8_t *w = emu_s16_dw_filter_row(win, fy, c);
        for (int k = 0; k < win.cols; ++k, x += win.col_step, w += win.w_step) {
            const int32x4_t v = gather ? vldrhq_gather_shifted_offset_z_s32(x, offsets, pr) : vldrhq_z_s32(x, pr);
            acc = vaddq_s32(acc, vmulq_s32(v, vldrbq_z_s32(w, pr)));
        }
    }
    vstrwq_s32(sums, acc);
}

EMU_S16_WALK_INLINE void four_channels(emu_s16_dw_window win, int32_t c, int n, int32_t sums[4])
{
    window_sums(win, c, n, sums, 0);
}

EMU_S16_WALK_INLINE void four_channels_gathered(emu_s16_dw_window win, int32_t c, int n, int32_t sums[4])
{
    window_sums(win, c, n, sums, 1);
}

void emu_depthwise_conv2d_s16_mve(const emu_depthwise_conv2d_s16_params *p, const int16_t *input,
                                  const int8_t *filter, int16_t *output)
{
    if (p->depth_multiplier == 1) {
        emu_depthwise_conv2d_s16_walk(p, input, filter, output, four_channels);
    } else {
        emu_depthwise_conv2d_s16_walk(p, input, filter, output, four_channels_gathered);
    }
}

#else
typedef int emu_int16_mve_needs_helium; /* the host build has no MVE: nothing to compile */
#endif
