/* AVERAGE_POOL_2D and MAX_POOL_2D, int8, with Helium (MVE): the channels of a window's pixels
 * in vector lanes, the last channels % lanes predicated (VCTP).
 *
 * The arithmetic is that of pooling.c: a window clipped to the image. MAX takes sixteen
 * channels per VMAX. AVERAGE sums four channels per vector in int32 lanes (VLDRB.S32), then
 * divides each lane, rounding halves away from zero, with the scalar division of pooling.c:
 * Helium has no integer division.
 */
#include "pooling_mve.h"

#if defined(__ARM_FEATURE_MVE)

#include <arm_mve.h>

#include "pool_window.h"

void emu_max_pool_s8_mve(const emu_pool_params *p, const int8_t *input, int8_t *output)
{
    const int channels = p->channels;
    const int8x16_t lo = vdupq_n_s8((int8_t)p->act_min), hi = vdupq_n_s8((int8_t)p->act_max);
    for (int b = 0; b < p->batches; ++b) {
        for (int oy = 0; oy < p->output_h; ++oy) {
            for (int ox = 0; ox < p->output_w; ++ox, output += channels) {
                const pool_window w = pool_window_at(p, b, oy, ox);
                for (int c = 0; c < channels; c += 16) {
                    const mve_pred16_t lanes = vctp8q((uint32_t)(channels - c));
                    const int8_t *row = input + w.start + c;
                    int8x16_t max = vdupq_n_s8(-128);
                    for (int y = 0; y < w.rows; ++y, row += w.row_step) {
                        const int8_t *x = row;
                        for (int i = 0; i < w.cols; ++i, x += channels) {
                            max = vmaxq_s8(max, vldrbq_z_s8(x, lanes));
                        }
                    }
                    vstrbq_p_s8(output + c, vminq_s8(vmaxq_s8(max, lo), hi), lanes);
                }
            }
        }
    }
}

void emu_average_pool_s8_mve(const emu_pool_params *p, const int8_t *input, int8_t *output)
{
    const int channels = p->channels;
    const int32_t lo = p->act_min, hi = p->act_max;
    for (int b = 0; b < p->batches; ++b) {
        for (int oy = 0; oy < p->output_h; ++oy) {
            for (int ox = 0; ox < p->output_w; ++ox, output += channels) {
                const pool_window w = pool_window_at(p, b, oy, ox);
                const int32_t count = (int32_t)w.rows * w.cols;
                for (int c = 0; c < channels; c += 4) {
                    const mve_pred16_t lanes = vctp32q((uint32_t)(channels - c));
                    const int8_t *row = input + w.start + c;
                    int32x4_t sum = vdupq_n_s32(0);
                    for (int y = 0; y < w.rows; ++y, row += w.row_step) {
                        const int8_t *x = row;
                        for (int i = 0; i < w.cols; ++i, x += channels) {
                            sum = vaddq_s32(sum, vldrbq_z_s32(x, lanes));
                        }
                    }
                    int32_t sums[4];
                    vstrwq_s32(sums, sum);
                    for (int k = 0; k < 4 && c + k < channels; ++k) {
                        const int32_t y = pool_divide_rounding(sums[k], count);
                        output[c + k] = (int8_t)(y < lo ? lo : y > hi ? hi : y);
                    }
                }
            }
        }
    }
}

#else
typedef int emu_pooling_mve_needs_helium; /* the host build has no MVE: nothing to compile */
#endif
