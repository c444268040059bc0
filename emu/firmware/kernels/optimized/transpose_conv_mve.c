/* TRANSPOSE_CONV, int8, with Helium (MVE).
 *
 * The sums are transpose_conv_dsp.c's: each input pixel that reaches an output pixel through a
 * filter tap adds the tap's input_offset x (sum of its filter row), worked out once per call
 * into scratch, plus a plain int8 dot product of the input pixel and the filter row. Here the
 * dot products are VMLADAVA over sixteen input channels at a time, four output channels per
 * pass sharing each load of the input pixel (emu_mve_dot_four_rows: the four filter rows lie
 * filter_h x filter_w x input_c bytes apart), their sums kept in registers across the taps and
 * rescaled together by emu_mve.h; a last output_c % 4 channels one at a time with emu_dsp.h's
 * scalar form of the same rescale. The compiler picks this kernel only where that rescale is
 * exact for every sum the filter and bias can give.
 */
#include "transpose_conv_mve.h"

#if defined(__ARM_FEATURE_MVE)

#include <stddef.h>

#include "emu_dsp.h"
#include "emu_mve.h"

/* The input indices i (in [0, in_size)) whose tap o + pad - i * stride is in [0, filter), as in
 * transpose_conv.c. */
static void reach(int32_t o, int32_t pad, int32_t stride, int32_t filter, int32_t in_size, int32_t *first,
                  int32_t *last)
{
    const int32_t top = o + pad, bottom = top - filter + 1;
    const int32_t hi = top < 0 ? -1 : top / stride;
    *first = bottom <= 0 ? 0 : (bottom + stride - 1) / stride;
    *last = hi < in_size - 1 ? hi : in_size - 1;
}

void emu_transpose_conv_s8_mve(const emu_transpose_conv_s8_params *p, const int8_t *input, const int8_t *filter,
                               const int32_t *bias, int8_t *output, void *scratch)
{
    /* read once: stores through the output pointer may alias *p */
    const int32_t ic = p->input_c, oc_count = p->output_c, fh = p->filter_h, fw = p->filter_w;
    const int32_t taps = fh * fw, filter_size = taps * ic, grouped = oc_count & ~3;
    const int32_t image = p->input_h * p->input_w * ic, offset = p->input_offset;
    const int32_t out_offset = p->output_offset, act_min = p->act_min, act_max = p->act_max;
    const int32_t pad_h = p->pad_h, pad_w = p->pad_w, stride_h = p->stride_h, stride_w = p->stride_w;
    const int32_t input_h = p->input_h, input_w = p->input_w, output_h = p->output_h, output_w = p->output_w;
    const int32_t batches = p->batches;
    const emu_mve_output_stage stage = emu_mve_stage(bias, p->multiplier, p->shift, out_offset, act_min, act_max);
    int32_t *tap_sums = (int32_t *)scratch; /* [tap][output channel]: four channels a vector load */
    for (int32_t oc = 0; oc < oc_count; ++oc) {
        for (int32_t t = 0; t < taps; ++t) {
            const int8_t *w = filter + oc * filter_size + t * ic;
            int32_t sum = 0;
            for (int32_t k = 0; k < ic; ++k) {
                sum += w[k];
            }
            tap_sums[t * oc_count + oc] = offset * sum;
        }
    }
    int8_t *out = output;
    for (int32_t b = 0; b < batches; ++b, input += image) {
        for (int32_t oy = 0; oy < output_h; ++oy) {
            int32_t iy0, iy1;
            reach(oy, pad_h, stride_h, fh, input_h, &iy0, &iy1);
            for (int32_t ox = 0; ox < output_w; ++ox, out += oc_count) {
                int32_t ix0, ix1;
                reach(ox, pad_w, stride_w, fw, input_w, &ix0, &ix1);
                for (int32_t oc = 0; oc < grouped; oc += 4) {
                    int32x4_t acc = bias != NULL ? vldrwq_s32(bias + oc) : vdupq_n_s32(0);
                    for (int32_t iy = iy0; iy <= iy1; ++iy) {
                        const int32_t fy = oy + pad_h - iy * stride_h;
                        for (int32_t ix = ix0; ix <= ix1; ++ix) {
                            const int32_t tap = fy * fw + ox + pad_w - ix * stride_w;
                            acc = vaddq_s32(acc, vldrwq_s32(tap_sums + tap * oc_count + oc));
                            acc = emu_mve_dot_four_rows(input + (iy * input_w + ix) * ic,
                                                        filter + oc * filter_size + tap * ic, ic, filter_size, acc);
                        }
                    }
                    emu_mve_store_four(&stage, oc, acc, out);
                }
                for (int32_t oc = grouped; oc < oc_count; ++oc) {
                    int32_t acc = bias != NULL ? bias[oc] : 0;
                    for (int32_t iy = iy0; iy <= iy1; ++iy) {
                        const int32_t fy = oy + pad_h - iy * stride_h;
                        for (int32_t ix = ix0; ix <= ix1; ++ix) {
                            const int32_t tap = fy * fw + ox + pad_w - ix * stride_w;
                            acc = emu_mve_dot(input + (iy * input_w + ix) * ic, filter + oc * filter_size + tap * ic,
                                              ic, acc + tap_sums[tap * oc_count + oc]);
                        }
                    }
                    const emu_dsp_rescale r = emu_dsp_rescale_for(stage.multiplier[oc], stage.shift[oc]);
                    out[oc] = (int8_t)emu_dsp_output(&r, acc, out_offset, act_min, act_max);
                }
            }
        }
    }
}

#else
typedef int emu_transpose_conv_mve_needs_helium; /* the host build has no MVE: nothing to compile */
#endif
