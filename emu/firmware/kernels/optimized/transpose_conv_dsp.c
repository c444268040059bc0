/* TRANSPOSE_CONV, int8, with SMLAD.
 *
 * The reference (transpose_conv.c) sums (input + input_offset) x filter over the input
 * channels of every input pixel that reaches an output, for each of its filter taps. Here each
 * such term is the tap's input_offset x (sum of its filter row), worked out once per call into
 * scratch for every output channel and tap, plus a plain int8 dot product of the input pixel
 * and the filter row with SMLAD (dot_s8_dsp.h): the same integers. Each output pixel's
 * channels are summed tap by tap in scratch; the order of outputs and the rescale are the
 * reference's.
 */
#include "transpose_conv_dsp.h"

#include <stddef.h>

#include "dot_s8_dsp.h"
#include "emu_quant.h"

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

void emu_transpose_conv_s8_dsp(const emu_transpose_conv_s8_params *p, const int8_t *input, const int8_t *filter,
                               const int32_t *bias, int8_t *output, void *scratch)
{
    const int32_t ic = p->input_c, oc_count = p->output_c, fw = p->filter_w;
    const int32_t taps = p->filter_h * fw, filter_size = taps * ic;
    const int32_t image = p->input_h * p->input_w * ic, offset = p->input_offset;
    const int32_t out_offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    /* read once: stores through the output pointer may alias *p */
    const int32_t pad_h = p->pad_h, pad_w = p->pad_w, stride_h = p->stride_h, stride_w = p->stride_w;
    const int32_t input_w = p->input_w;
    const int32_t *multiplier = p->multiplier;
    const int8_t *shift = p->shift;
    int32_t *tap_sums = (int32_t *)scratch; /* [output channel][tap] */
    for (int32_t t = 0; t < oc_count * taps; ++t) {
        const int8_t *w = filter + t * ic;
        int32_t sum = 0;
        for (int32_t k = 0; k < ic; ++k) {
            sum += w[k];
        }
        tap_sums[t] = offset * sum;
    }
    int32_t *acc = tap_sums + oc_count * taps; /* one output pixel's sums, [output channel] */
    int8_t *out = output;
    for (int32_t b = 0; b < p->batches; ++b, input += image) {
        for (int32_t oy = 0; oy < p->output_h; ++oy) {
            int32_t iy0, iy1;
            reach(oy, pad_h, stride_h, p->filter_h, p->input_h, &iy0, &iy1);
            for (int32_t ox = 0; ox < p->output_w; ++ox, out += oc_count) {
                int32_t ix0, ix1;
                reach(ox, pad_w, stride_w, fw, input_w, &ix0, &ix1);
                for (int32_t oc = 0; oc < oc_count; ++oc) {
                    acc[oc] = bias != NULL ? bias[oc] : 0;
                }
                /* tap by tap, every channel: the tap's addresses worked out once */
                for (int32_t iy = iy0; iy <= iy1; ++iy) {
                    const int32_t fy = oy + pad_h - iy * stride_h;
                    for (int32_t ix = ix0; ix <= ix1; ++ix) {
                        const int32_t tap = fy * fw + ox + pad_w - ix * stride_w;
                        const int8_t *x = input + (iy * input_w + ix) * ic, *w = filter + tap * ic;
                        const int32_t *sums = tap_sums + tap;
                        for (int32_t oc = 0; oc < oc_count; ++oc, w += filter_size, sums += taps) {
                            acc[oc] = emu_dot_s8_smlad(x, w, ic, acc[oc] + *sums);
                        }
                    }
                }
                for (int32_t oc = 0; oc < oc_count; ++oc) {
                    const int32_t y = emu_multiply_by_quantized_multiplier(acc[oc], multiplier[oc], shift[oc]);
                    out[oc] = (int8_t)emu_clamp_i32(y + out_offset, lo, hi);
                }
            }
        }
    }
}
