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

/* as in int16_dsp.c: channels [first, end) of one output pixel from its window x */
static void channels_s16(const emu_conv2d_s16_params *p, const int16_t *x, int32_t len, const int8_t *filter,
                         int first, int end, int16_t *out)
{
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
    const int fc = p->filter_c, groups = p->input_c / fc, per_group = p->output_c / groups;
    const int32_t image_size = (int32_t)p->input_h * p->input_w * p->input_c;
    const int32_t window_size = (int32_t)p->filter_h * p->filter_w * fc;
    int16_t *window = (int16_t *)scratch;
    int16_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int16_t *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            for (int ox = 0; ox < p->output_w; ++ox, out += p->output_c) {
                const int ix0 = ox * p->stride_w - p->pad_w;
                for (int g = 0; g < groups; ++g) {
                    emu_conv2d_s16_gather(p, image, iy0, ix0, g * fc, window);
                    channels_s16(p, window, window_size, filter, g * per_group, (g + 1) * per_group, out);
                }
            }
        }
    }
}

void emu_conv2d_1x1_s16_mve(const emu_conv2d_s16_params *p, const int16_t *input, const int8_t *filter,
                            int16_t *output)
{
    const int32_t ic = p->input_c;
    int16_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int16_t *image = input + (int32_t)b * p->input_h * p->input_w * ic;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int16_t *row = image + (int32_t)oy * p->stride_h * p->input_w * ic;
            for (int ox = 0; ox < p->output_w; ++ox, out += p->output_c) {
                channels_s16(p, row + (int32_t)ox * p->stride_w * ic, ic, filter, 0, p->output_c, out);
            }
        }
    }
}

/* The depthwise kernel, compiled twice: gather 0 for a depth multiplier of 1 (each lane's input
 * channel is its output channel, one contiguous load), 1 for the others; one loop each, with no
 * test of the multiplier inside it. */
static inline __attribute__((always_inline)) void depthwise_s16(const emu_depthwise_conv2d_s16_params *p,
                                                                const int16_t *input, const int8_t *filter,
                                                                int16_t *output, const int gather)
{
    const int32_t channels = p->output_c, fw = p->filter_w, in_c = p->input_c, dm = p->depth_multiplier;
    const int32_t image_size = (int32_t)p->input_h * p->input_w * in_c;
    const int32_t col_step = (int32_t)p->dilation_w * in_c;
    int16_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int16_t *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            int fy0, fy1;
            emu_s16_taps_inside(iy0, p->filter_h, p->dilation_h, p->input_h, &fy0, &fy1);
            for (int ox = 0; ox < p->output_w; ++ox, out += channels) {
                const int ix0 = ox * p->stride_w - p->pad_w;
                int fx0, fx1;
                emu_s16_taps_inside(ix0, fw, p->dilation_w, p->input_w, &fx0, &fx1);
                const int cols = fx1 - fx0;
                for (int32_t c = 0; c < channels; c += 4) {
                    const mve_pred16_t pr = vctp32q((uint32_t)(channels - c));
                    /* lane j's input channel (c + j) / dm, from the first lane's */
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
                    for (int fy = fy0; fy < fy1; ++fy) {
                        const int iy = iy0 + fy * p->dilation_h;
                        const int16_t *x = image + ((int32_t)iy * p->input_w + ix0 + fx0 * p->dilation_w) * in_c + first;
                        const int8_t *w = filter + ((int32_t)fy * fw + fx0) * channels + c;
                        for (int k = 0; k < cols; ++k, x += col_step, w += channels) {
                            const int32x4_t v = gather ? vldrhq_gather_shifted_offset_z_s32(x, offsets, pr)
                                                       : vldrhq_z_s32(x, pr);
                            acc = vaddq_s32(acc, vmulq_s32(v, vldrbq_z_s32(w, pr)));
                        }
                    }
                    int32_t sums[4];
                    vstrwq_s32(sums, acc);
                    const int n = channels - c < 4 ? (int)(channels - c) : 4;
                    for (int j = 0; j < n; ++j) {
                        const int32_t y = emu_multiply_by_quantized_multiplier_s64(p->bias[c + j] + sums[j],
                                                                                   p->multiplier[c + j],
                                                                                   p->shift[c + j]);
                        out[c + j] = (int16_t)emu_clamp_i32(y, p->act_min, p->act_max);
                    }
                }
            }
        }
    }
}

void emu_depthwise_conv2d_s16_mve(const emu_depthwise_conv2d_s16_params *p, const int16_t *input,
                                  const int8_t *filter, int16_t *output)
{
    if (p->depth_multiplier == 1) {
        depthwise_s16(p, input, filter, output, 0);
    } else {
        depthwise_s16(p, input, filter, output, 1);
    }
}

#else
typedef int emu_int16_mve_needs_helium; /* the host build has no MVE: nothing to compile */
#endif
