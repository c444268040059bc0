/* CONV_2D 1x1, int8, with Helium (MVE), computing only the live output channels.
 *
 * The compiler lists the channels whose output is not a constant (emu/compile/ops/conv_2d.py),
 * with their filter rows, folded biases and rescales in that order, padded to a multiple of
 * four by repeating the last one (its output is then written twice, with the same value).
 * Each output pixel starts as the constant channels' values, copied sixteen bytes at a time;
 * then four live channels at a time are summed by VMLADAVA across the pixel's input bytes
 * (emu_mve_dot_four, as conv_2d_mve.c's 1x1 form), rescaled together (emu_mve.h) and stored
 * to their places in the pixel by one scatter store (VSTRB.32 with a vector of offsets).
 */
#include "conv_2d_live_mve.h"

#if defined(__ARM_FEATURE_MVE)

#include "emu_mve.h"

void emu_conv2d_1x1_live_s8_mve(const emu_conv2d_1x1_live_s8_params *p, const int8_t *input, const int8_t *filter,
                                int8_t *output)
{
    const emu_mve_output_stage o = emu_mve_stage(p->folded_bias, p->multiplier, p->shift, p->output_offset,
                                                 p->act_min, p->act_max);
    const int32_t ic = p->input_c, oc = p->output_c, live = p->live_c;
    const int32_t step_x = p->stride_w * ic;
    const int32_t step_y = (int32_t)p->stride_h * p->input_w * ic;
    const int32_t image_size = (int32_t)p->input_h * p->input_w * ic;
    const int8_t *constant = p->constant_output;
    const uint32_t *channel = p->channel;
    int8_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *row = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy, row += step_y) {
            const int8_t *x = row;
            for (int ox = 0; ox < p->output_w; ++ox, x += step_x, out += oc) {
                for (int32_t c = 0; c < oc; c += 16) {
                    const mve_pred16_t lanes = vctp8q((uint32_t)(oc - c));
                    vstrbq_p_s8(out + c, vldrbq_z_s8(constant + c, lanes), lanes);
                }
                const int8_t *w = filter;
                for (int32_t c = 0; c < live; c += 4, w += 4 * ic) {
                    const int32x4_t a = emu_mve_dot_four(x, w, ic, vldrwq_s32(o.bias + c));
                    vstrbq_scatter_offset_s32(out, vldrwq_u32(channel + c),
                                              emu_mve_output(o.multiplier, o.shift, c, a, o.offset, o.lo, o.hi));
                }
            }
        }
    }
}

#else
typedef int emu_conv_2d_live_mve_needs_helium; /* the host build has no MVE: nothing to compile */
#endif
