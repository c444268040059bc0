/* FULLY_CONNECTED, int8, with SMLAD: four weights and four inputs per pair of SMLADs.
 *
 * The arithmetic is that of fully_connected.c (bias and input offset folded at compile
 * time, so the loop is a plain dot product); the rescale is emu_dsp.h's, which the compiler
 * chooses this kernel for only when it is exact for every unit.
 */
#include "fully_connected_dsp.h"

#include "emu_dsp.h"

void emu_fully_connected_s8_dsp(const emu_fully_connected_s8_params *p, const int8_t *input,
                                const int8_t *weights, int8_t *output)
{
    const int32_t *bias = p->folded_bias;
    const int32_t *multiplier = p->multiplier;
    const int8_t *shift = p->shift;
    const int32_t offset = p->output_offset, lo = p->act_min, hi = p->act_max;
    const int32_t batches = p->batches, depth = p->depth, units = p->units;
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = input + b * depth;
        int8_t *out = output + b * units;
        for (int32_t u = 0; u < units; u += 2) {
            /* an odd last unit pairs with itself */
            const int32_t u1 = u + 1 < units ? u + 1 : u;
            const int8_t *w0 = weights + u * depth, *w1 = weights + u1 * depth, *v = x;
            int32_t a0 = bias[u], a1 = bias[u1];
            int32_t n = depth;
            for (; n >= 4; n -= 4, v += 4, w0 += 4, w1 += 4) {
                const uint32_t xv = emu_read_u32(v);
                const uint32_t xe = emu_sxtb16(xv), xo = emu_sxtb16_ror8(xv);
                const uint32_t p0 = emu_read_u32(w0), p1 = emu_read_u32(w1);
                a0 = emu_smlad(xe, emu_sxtb16(p0), a0);
                a0 = emu_smlad(xo, emu_sxtb16_ror8(p0), a0);
                a1 = emu_smlad(xe, emu_sxtb16(p1), a1);
                a1 = emu_smlad(xo, emu_sxtb16_ror8(p1), a1);
            }
            for (; n > 0; --n) {
                const int32_t xs = *v++;
                a0 += *w0++ * xs;
                a1 += *w1++ * xs;
            }
            const emu_dsp_rescale r0 = emu_dsp_rescale_for(multiplier[u], shift[u]);
            const emu_dsp_rescale r1 = emu_dsp_rescale_for(multiplier[u1], shift[u1]);
            const int32_t y0 = emu_dsp_output(&r0, a0, offset, lo, hi);
            const int32_t y1 = emu_dsp_output(&r1, a1, offset, lo, hi);
            out[u] = (int8_t)y0;
            out[u1] = (int8_t)y1;
        }
    }
}
