/* AVERAGE_POOL_2D and MAX_POOL_2D, int8, four channels per instruction.
 *
 * The arithmetic is that of pooling.c: a window clipped to the image, the average rounding
 * halves away from zero. Each window pixel's four channels are one word:
 * - the average adds the word into two words of int16 halves (SXTAB16: channels 0 and 2,
 *   then 1 and 3 from the word rotated by 8), which cannot wrap for a window of at most 256
 *   pixels (256 x -128 = -32768), the compiler's condition for this kernel; the four sums
 *   are then divided one by one, as in pooling.c;
 * - the maximum takes each byte lane's larger value (SSUB8, SEL), then the activation's
 *   bounds the same way.
 * The last channels % 4 of a pixel go one at a time.
 */
#include "pooling_dsp.h"

#include "emu_dsp.h"
#include "emu_quant.h"
#include "pool_window.h"

static inline int8_t average_of(int32_t sum, int32_t count, int32_t lo, int32_t hi)
{
    return (int8_t)emu_clamp_i32(pool_divide_rounding(sum, count), lo, hi);
}

void emu_average_pool_s8_dsp(const emu_pool_params *p, const int8_t *input, int8_t *output)
{
    const int channels = p->channels, lanes = channels & ~3;
    const int32_t lo = p->act_min, hi = p->act_max;
    for (int b = 0; b < p->batches; ++b) {
        for (int oy = 0; oy < p->output_h; ++oy) {
            for (int ox = 0; ox < p->output_w; ++ox, output += channels) {
                const pool_window w = pool_window_at(p, b, oy, ox);
                const int32_t count = (int32_t)w.rows * w.cols;
                int c = 0;
                for (; c < lanes; c += 4) {
                    uint32_t even = 0, odd = 0; /* channels c and c + 2, c + 1 and c + 3 */
                    const int8_t *row = input + w.start + c;
                    for (int y = 0; y < w.rows; ++y, row += w.row_step) {
                        const int8_t *x = row;
                        for (int i = 0; i < w.cols; ++i, x += channels) {
                            const uint32_t v = emu_read_u32(x);
                            even = emu_sxtab16(even, v);
                            odd = emu_sxtab16_ror8(odd, v);
                        }
                    }
                    output[c] = average_of((int16_t)(even & 0xFFFFu), count, lo, hi);
                    output[c + 1] = average_of((int16_t)(odd & 0xFFFFu), count, lo, hi);
                    output[c + 2] = average_of((int16_t)(even >> 16), count, lo, hi);
                    output[c + 3] = average_of((int16_t)(odd >> 16), count, lo, hi);
                }
                for (; c < channels; ++c) {
                    const int8_t *row = input + w.start + c;
                    int32_t sum = 0;
                    for (int y = 0; y < w.rows; ++y, row += w.row_step) {
                        for (int i = 0; i < w.cols; ++i) {
                            sum += row[i * channels];
                        }
                    }
                    output[c] = average_of(sum, count, lo, hi);
                }
            }
        }
    }
}

void emu_max_pool_s8_dsp(const emu_pool_params *p, const int8_t *input, int8_t *output)
{
    const int channels = p->channels, lanes = channels & ~3;
    const int32_t lo = p->act_min, hi = p->act_max;
    /* the activation's lower bound starts every lane's maximum; the upper bound is applied
     * to each byte as it is stored */
    const uint32_t lo4 = 0x01010101u * (uint8_t)lo;
    for (int b = 0; b < p->batches; ++b) {
        for (int oy = 0; oy < p->output_h; ++oy) {
            for (int ox = 0; ox < p->output_w; ++ox, output += channels) {
                const pool_window w = pool_window_at(p, b, oy, ox);
                int c = 0;
                for (; c < lanes; c += 4) {
                    uint32_t m = lo4;
                    const int8_t *row = input + w.start + c;
                    for (int y = 0; y < w.rows; ++y, row += w.row_step) {
                        const int8_t *x = row;
                        for (int i = 0; i < w.cols; ++i, x += channels) {
                            m = emu_max8x4(m, emu_read_u32(x));
                        }
                    }
                    for (int k = 0; k < 4; ++k) {
                        const int8_t v = (int8_t)(m >> (8 * k));
                        output[c + k] = (int8_t)(v > hi ? hi : v);
                    }
                }
                for (; c < channels; ++c) {
                    const int8_t *row = input + w.start + c;
                    int32_t m = lo;
                    for (int y = 0; y < w.rows; ++y, row += w.row_step) {
                        for (int i = 0; i < w.cols; ++i) {
                            const int32_t v = row[i * channels];
                            m = v > m ? v : m;
                        }
                    }
                    output[c] = (int8_t)(m > hi ? hi : m);
                }
            }
        }
    }
}
