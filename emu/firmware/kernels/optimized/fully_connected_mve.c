/* FULLY_CONNECTED, int8, with Helium (MVE): VMLADAVA across the input depth, four units per
 * pass sharing each load of sixteen input bytes (as the 1x1 convolution of conv_2d_mve.c).
 *
 * The arithmetic is that of fully_connected.c (bias and input offset folded at compile
 * time). Four units' sums are rescaled together by emu_mve.h; a last units % 4 units one at a
 * time, with emu_dsp.h's scalar form of the same rescale.
 */
#include "fully_connected_mve.h"

#if defined(__ARM_FEATURE_MVE)

#include "emu_dsp.h"
#include "emu_mve.h"

void emu_fully_connected_s8_mve(const emu_fully_connected_s8_params *p, const int8_t *input,
                                const int8_t *weights, int8_t *output)
{
    const int32_t *bias = p->folded_bias, *multiplier = p->multiplier;
    const int8_t *shift = p->shift;
    const int32_t offset = p->output_offset, batches = p->batches, depth = p->depth, units = p->units;
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    const int32_t grouped = units & ~3;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = input + b * depth;
        int8_t *out = output + b * units;
        for (int32_t u = 0; u < grouped; u += 4) {
            const int32x4_t a = emu_mve_dot_four(x, weights + u * depth, depth, vldrwq_s32(bias + u));
            vstrbq_s32(out + u, emu_mve_output(multiplier, shift, u, a, offset, lo, hi));
        }
        for (int32_t u = grouped; u < units; ++u) {
            const emu_dsp_rescale r = emu_dsp_rescale_for(multiplier[u], shift[u]);
            const int32_t a = emu_mve_dot(x, weights + u * depth, depth, bias[u]);
            out[u] = (int8_t)emu_dsp_output(&r, a, offset, p->act_min, p->act_max);
        }
    }
}

#else
typedef int emu_fully_connected_mve_needs_helium; /* the host build has no MVE: nothing to compile */
#endif
