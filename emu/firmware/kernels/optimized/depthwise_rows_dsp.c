/* DEPTHWISE_CONV_2D, int8, 3x3 filter, depth multiplier 1, dilation 1, stride 1 across:
 * one channel's output row at a time, two taps of a filter row per SMLAD.
 *
 * A depthwise layer multiplies each channel by its own nine taps, so the packed multiplies
 * (SMLAD: two int16 products into one sum) need two taps of one channel side by side. The
 * channel-interleaved input (HWC) has them a channel-count apart; so each input row is
 * expanded once into int16 planes, one per channel (the row's values of that channel, padding
 * columns holding the input zero point, which the folded bias makes contribute nothing), kept
 * in a ring of three rows in scratch. A filter row's three taps over an output pixel are then
 * the word at its window's first column (two taps, one SMLAD) and the low half of the next
 * word (one SMLABB). The next pixel's first two taps straddle those two words:
 * PKHBT joins them (swapped) and SMLADX multiplies them exchanged; its third tap is the second
 * word's high half. So two output pixels take, per filter row, two word loads, one PKHBT and
 * four multiplies for six MACs, where the channel-interleaved form takes one multiply per MAC.
 *
 * The filter comes arranged by the compiler (emu/compile/ops/depthwise_conv_2d.py's
 * rows_filter), three words per channel whose SXTB16 and SXTB16 ROR 8 give the multiplies'
 * operands directly: (w00, w01), (w02, w12); (w10, w11), (w22, 0); (w20, w21), where wYX is
 * the tap in filter row Y, column X.
 *
 * The rescale is emu_dsp.h's short one with the int8 range as the only clamp: the compiler
 * takes this kernel only where the table is short and the activation clamps nothing more.
 * Scratch (rows_scratch_bytes there): each channel's rescale (EMU_DSP_RESCALE_BYTES), then
 * the ring: three rows of `channels` planes of rows_plane(p) int16 each.
 *
 * Output rows are written only after the three input rows they read are in the ring, and
 * in order, so the output may stream over the input as for the other kernels.
 */
#include "depthwise_rows_dsp.h"

#include "emu_dsp.h"

/* int16 values per channel plane: the padded row, and the column after the last pixel's
 * window, which its second word load reaches; even, so that every plane starts on a word.
 * Must match rows_plane in depthwise_conv_2d.py. */
static int32_t rows_plane(const emu_depthwise_conv2d_s8_params *p)
{
    const int32_t data = (int32_t)p->pad_w + p->input_w, reach = (int32_t)p->output_w + 3;
    return ((data > reach ? data : reach) + 1) & ~1;
}

static inline uint32_t word_at(const int16_t *x)
{
    uint32_t v;
    __builtin_memcpy(&v, x, sizeof v);
    return v;
}

/* The rescale of one sum: emu_dsp_output_short, then the int8 range. */
static inline int8_t output_of(int32_t acc, int32_t multiplier, int32_t half, int32_t right)
{
    const int32_t high = emu_smmulr((int32_t)((uint32_t)acc << 1), multiplier);
    return (int8_t)emu_sat8((high + (high >> 31) + half) >> right);
}

/* One output row, every channel: for each channel its taps (SXTB16 of its three filter words),
 * bias and rescale, then its pixels, two at a time. r0 is the channel's plane of
 * the window's first input row; the other two rows lie d1 and d2 bytes from it (ring slots,
 * the same for every channel and pixel of the row). Kept whole in one function, the loops'
 * values in registers: a call per channel cost 200 cycles on the M4F. */
static __attribute__((noinline)) void output_row(const emu_depthwise_conv2d_s8_params *p, const int16_t *rows,
                                                 int32_t d1, int32_t d2, int32_t plane, const int8_t *filter,
                                                 const emu_dsp_rescale *rescale, int8_t *out)
{
    const int channels = p->output_c;
    const int32_t pixels = p->output_w;
    const int32_t step = channels;
    for (int c = 0; c < channels; ++c, rows += plane, filter += 12, ++rescale, ++out) {
        const uint32_t f0 = emu_read_u32(filter), f1 = emu_read_u32(filter + 4), f2 = emu_read_u32(filter + 8);
        const uint32_t w0 = emu_sxtb16(f0), w2a = emu_sxtb16_ror8(f0), w1 = emu_sxtb16(f1);
        const uint32_t w2b = emu_sxtb16_ror8(f1), w2 = emu_sxtb16(f2);
        const int32_t bias = p->folded_bias[c];
        const int32_t multiplier = rescale->multiplier, half = rescale->half, right = rescale->right;
        const int16_t *r0 = rows;
        int8_t *o = out;
        for (int32_t i = 0; i < pixels >> 1; ++i, o += 2 * step, r0 += 2) {
            const int16_t *r1 = (const int16_t *)(const void *)((const int8_t *)r0 + d1);
            const int16_t *r2 = (const int16_t *)(const void *)((const int8_t *)r0 + d2);
            uint32_t a = word_at(r0), b = word_at(r0 + 2);
            int32_t s0 = emu_smlabb(b, w2a, emu_smlad(a, w0, bias));
            int32_t s1 = emu_smlatb(b, w2a, emu_smladx(emu_pkhbt(b, a), w0, bias));
            a = word_at(r1), b = word_at(r1 + 2);
            s0 = emu_smlabt(b, w2a, emu_smlad(a, w1, s0));
            s1 = emu_smlatt(b, w2a, emu_smladx(emu_pkhbt(b, a), w1, s1));
            a = word_at(r2), b = word_at(r2 + 2);
            s0 = emu_smlabb(b, w2b, emu_smlad(a, w2, s0));
            s1 = emu_smlatb(b, w2b, emu_smladx(emu_pkhbt(b, a), w2, s1));
            o[0] = output_of(s0, multiplier, half, right);
            o[step] = output_of(s1, multiplier, half, right);
        }
        if (pixels & 1) { /* the last one alone */
            const int16_t *r1 = (const int16_t *)(const void *)((const int8_t *)r0 + d1);
            const int16_t *r2 = (const int16_t *)(const void *)((const int8_t *)r0 + d2);
            int32_t s = emu_smlabb(word_at(r0 + 2), w2a, emu_smlad(word_at(r0), w0, bias));
            s = emu_smlabt(word_at(r1 + 2), w2a, emu_smlad(word_at(r1), w1, s));
            s = emu_smlabb(word_at(r2 + 2), w2b, emu_smlad(word_at(r2), w2, s));
            *o = output_of(s, multiplier, half, right);
        }
    }
}

/* Input row iy (or, outside the image, a row of padding) into the ring's rows at dst: each
 * channel's plane, its padding columns the zero point. Four channels per word: SXTB16 gives
 * channels 0 and 2, SXTB16 ROR 8 channels 1 and 3. */
static void expand_row(const emu_depthwise_conv2d_s8_params *p, const int8_t *image, int iy, int16_t *dst,
                       int32_t plane)
{
    const int channels = p->input_c, width = p->input_w, pad = p->pad_w;
    const int16_t zero = (int16_t)-p->input_offset;
    if (iy < 0 || iy >= p->input_h) {
        for (int32_t i = 0; i < channels * plane; ++i) {
            dst[i] = zero;
        }
        return;
    }
    for (int c = 0; c < channels; ++c) {
        int16_t *row = dst + c * plane;
        for (int x = 0; x < pad; ++x) {
            row[x] = zero;
        }
        for (int32_t x = pad + width; x < plane; ++x) {
            row[x] = zero;
        }
    }
    const int8_t *src = image + (int32_t)iy * width * channels;
    const int lanes = channels & ~3;
    for (int x = 0; x < width; ++x, src += channels) {
        int16_t *d = dst + pad + x;
        int c = 0;
        for (; c < lanes; c += 4, d += 4 * plane) {
            const uint32_t v = emu_read_u32(src + c);
            const uint32_t even = emu_sxtb16(v), odd = emu_sxtb16_ror8(v);
            d[0] = (int16_t)even;
            d[plane] = (int16_t)odd;
            d[2 * plane] = (int16_t)(even >> 16);
            d[3 * plane] = (int16_t)(odd >> 16);
        }
        for (; c < channels; ++c, d += plane) {
            *d = src[c];
        }
    }
}

void emu_depthwise_conv2d_3x3_rows_s8_dsp(const emu_depthwise_conv2d_s8_params *p, const int8_t *input,
                                          const int8_t *filter, int8_t *output, void *scratch)
{
    const int channels = p->output_c;
    const int32_t plane = rows_plane(p), rows_halves = (int32_t)channels * plane;
    emu_dsp_rescale *rescale = (emu_dsp_rescale *)scratch;
    int16_t *ring = (int16_t *)(void *)((int8_t *)scratch + EMU_DSP_RESCALE_BYTES * channels);
    emu_dsp_rescale_table(p->multiplier, p->shift, channels, rescale);
    emu_dsp_rescale_short(rescale, channels, p->output_offset); /* the compiler checked it is */
    const int32_t image_size = (int32_t)p->input_h * p->input_w * channels;
    const int32_t out_row = (int32_t)p->output_w * channels;
    int8_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int8_t *image = input + b * image_size;
        int held[3] = {-1, -1, -1}; /* the padded input row each ring slot holds */
        for (int oy = 0; oy < p->output_h; ++oy, out += out_row) {
            const int16_t *rows[3];
            for (int k = 0; k < 3; ++k) {
                const int row = oy * p->stride_h + k, slot = row % 3;
                int16_t *at = ring + slot * rows_halves;
                if (held[slot] != row) {
                    expand_row(p, image, row - p->pad_h, at, plane);
                    held[slot] = row;
                }
                rows[k] = at;
            }
            output_row(p, rows[0], (int32_t)((const int8_t *)rows[1] - (const int8_t *)rows[0]),
                       (int32_t)((const int8_t *)rows[2] - (const int8_t *)rows[0]), plane, filter, rescale, out);
        }
    }
}
