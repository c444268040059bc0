/* FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D, 16x8 (int16 activations, int8 weights),
 * with the DSP extension.
 *
 * The arithmetic is that of the reference kernels (fully_connected.c, conv_2d.c,
 * depthwise_conv_2d.c): zero points 0, so every output is the bias plus an exact dot product
 * of its window with its filter, rescaled as TFLM does for the bias's type (emu_rescale_s16).
 * The sum is exact in any order, so here it runs in int32 registers over runs of at most
 * EMU_S16_RUN products (each at most 2^22 in magnitude, so a run cannot overflow) that then
 * join the 64-bit total.
 *
 * Dot products (fully connected, convolution): two int16 inputs are one word; PKHBT / PKHTB
 * make the even pair (x0, x2) and the odd pair (x1, x3) of four inputs, which line up with
 * SXTB16 and SXTB16 ROR 8 of a word of four weights, so two SMLADs take four
 * multiply-accumulates. Each window is packed so once, into scratch, for all its output
 * channels; two channels share each packed word (one LDRD, two weight words, four SXTB16,
 * four SMLADs for eight multiply-accumulates).
 *
 * Scratch: the packed window, 2 x (len & ~3) bytes, after the gathered window (2 x len bytes)
 * for the general convolution.
 *
 * Depthwise (depth multiplier 1): four channels per pass; one word of four weights expanded
 * by SXTB16 into (w0, w2) and (w1, w3), and the four inputs' two words, meet by SMLABB,
 * SMLATB, SMLABT and SMLATT, one per channel, without repacking.
 */
#include "int16_dsp.h"

#include <string.h>

#include "emu_dsp.h"
#include "emu_quant.h"
#include "int16_walk.h"

/* Two int16 values from any address as one word (one LDR). */
static inline uint32_t read_pair(const int16_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

#if defined(__ARM_FEATURE_DSP)
/* (low half of a, low half of b) and (high half of a, high half of b) */
static inline uint32_t pack_low(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
static inline uint32_t pack_high(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("pkhtb %0, %2, %1, asr #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
static inline int32_t smlabt(uint32_t a, uint32_t b, int32_t acc) { return __smlabt(a, b, acc); }
#else
static inline uint32_t pack_low(uint32_t a, uint32_t b) { return (a & 0xFFFFu) | (b << 16); }
static inline uint32_t pack_high(uint32_t a, uint32_t b) { return (a >> 16) | (b & 0xFFFF0000u); }
static inline int32_t smlabt(uint32_t a, uint32_t b, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)((int32_t)(int16_t)(a & 0xFFFFu) * (int32_t)(int16_t)(b >> 16)));
}
#endif

/* Products summed in int32 before joining the 64-bit total: EMU_S16_RUN values, as words of four. */
#define RUN_GROUPS (EMU_S16_RUN / 4)

/* The first len & ~3 values of x as the dot products read them: for each four values, the
 * even pair (x0, x2), then the odd pair (x1, x3), one word each. Done once per window, for
 * every output channel. */
static void pack(const int16_t *x, int32_t len, uint32_t *packed)
{
    for (int32_t n = len >> 2; n > 0; --n, x += 4, packed += 2) {
        const uint32_t x01 = read_pair(x), x23 = read_pair(x + 2);
        packed[0] = pack_low(x01, x23);
        packed[1] = pack_high(x01, x23);
    }
}

static inline int16_t output_s16(int64_t acc, int accumulate_32, int32_t multiplier, int shift, int32_t lo,
                                 int32_t hi)
{
    return (int16_t)emu_clamp_i32(emu_rescale_s16(acc, accumulate_32, multiplier, shift), lo, hi);
}

/* What an output channel's value needs besides its dot product. */
typedef struct {
    const int64_t *bias;
    const int32_t *multiplier;
    const int8_t *shift;
    int32_t act_min, act_max, accumulate_32;
} output_stage;

/* Channels [first, end) of one output, each channel's weights len bytes after the previous
 * one's from weights, against the window x (len values) and its packed form v; two channels
 * per pass sharing each packed word, an odd last channel paired with itself. */
static void channels(const output_stage *o, const uint32_t *v, const int16_t *x, int32_t len, const int8_t *weights,
                     int32_t first, int32_t end, int16_t *out)
{
    const int32_t tail = len & 3;
    const int16_t *xt = x + (len & ~3);
    for (int32_t c = first; c < end; c += 2) {
        const int32_t c1 = c + 1 < end ? c + 1 : c;
        const int8_t *w0 = weights + c * len, *w1 = weights + c1 * len;
        const uint32_t *pv = v;
        int64_t s0 = o->bias[c], s1 = o->bias[c1];
        for (int32_t groups = len >> 2; groups > 0;) {
            int32_t run = groups < RUN_GROUPS ? groups : RUN_GROUPS;
            groups -= run;
            int32_t a0 = 0, a1 = 0;
            for (; run > 0; --run, pv += 2, w0 += 4, w1 += 4) {
                const uint32_t xe = pv[0], xo = pv[1];
                const uint32_t p0 = emu_read_u32(w0), p1 = emu_read_u32(w1);
                a0 = emu_smlad(xe, emu_sxtb16(p0), a0);
                a1 = emu_smlad(xe, emu_sxtb16(p1), a1);
                a0 = emu_smlad(xo, emu_sxtb16_ror8(p0), a0);
                a1 = emu_smlad(xo, emu_sxtb16_ror8(p1), a1);
            }
            s0 += a0;
            s1 += a1;
        }
        for (int32_t k = 0; k < tail; ++k) {
            s0 += (int32_t)xt[k] * w0[k];
            s1 += (int32_t)xt[k] * w1[k];
        }
        const int16_t y0 = output_s16(s0, o->accumulate_32, o->multiplier[c], o->shift[c], o->act_min, o->act_max);
        const int16_t y1 = output_s16(s1, o->accumulate_32, o->multiplier[c1], o->shift[c1], o->act_min, o->act_max);
        out[c] = y0;
        out[c1] = y1;
    }
}

void emu_fully_connected_s16_dsp(const emu_fully_connected_s16_params *p, const int16_t *input,
                                 const int8_t *weights, int16_t *output, void *scratch)
{
    const output_stage o = {p->bias, p->multiplier, p->shift, p->act_min, p->act_max, p->accumulate_32};
    const int32_t depth = p->depth, units = p->units;
    uint32_t *packed = (uint32_t *)scratch;
    for (int32_t b = 0; b < p->batches; ++b, input += depth, output += units) {
        pack(input, depth, packed);
        channels(&o, packed, input, depth, weights, 0, units, output);
    }
}

void emu_conv2d_s16_gather(const emu_conv2d_s16_params *p, const int16_t *image, int iy0, int ix0, int ic0,
                           int16_t *window)
{
    const int fc = p->filter_c;
    for (int fy = 0; fy < p->filter_h; ++fy) {
        const int iy = iy0 + fy * p->dilation_h;
        for (int fx = 0; fx < p->filter_w; ++fx, window += fc) {
            const int ix = ix0 + fx * p->dilation_w;
            if (iy < 0 || iy >= p->input_h || ix < 0 || ix >= p->input_w) {
                memset(window, 0, (size_t)fc * sizeof *window);
            } else {
                memcpy(window, image + ((int32_t)iy * p->input_w + ix) * p->input_c + ic0, (size_t)fc * sizeof *window);
            }
        }
    }
}

/* The convolutions' step: the window packed once into scratch, then its channels. */
typedef struct {
    const output_stage *o;
    uint32_t *packed;
} conv_core;

EMU_S16_WALK_INLINE void packed_channels(const void *core, const int16_t *x, int32_t len, const int8_t *filter,
                                         int first, int end, int16_t *out)
{
    const conv_core *k = core;
    pack(x, len, k->packed);
    channels(k->o, k->packed, x, len, filter, first, end, out);
}

void emu_conv2d_s16_dsp(const emu_conv2d_s16_params *p, const int16_t *input, const int8_t *filter,
                        int16_t *output, void *scratch)
{
    const output_stage o = {p->bias, p->multiplier, p->shift, p->act_min, p->act_max, p->accumulate_32};
    const int32_t window_size = (int32_t)p->filter_h * p->filter_w * p->filter_c;
    const conv_core k = {&o, (uint32_t *)scratch + (window_size + 1) / 2};
    emu_conv2d_s16_walk(p, input, filter, output, (int16_t *)scratch, packed_channels, &k);
}

void emu_conv2d_1x1_s16_dsp(const emu_conv2d_s16_params *p, const int16_t *input, const int8_t *filter,
                            int16_t *output, void *scratch)
{
    const output_stage o = {p->bias, p->multiplier, p->shift, p->act_min, p->act_max, p->accumulate_32};
    const conv_core k = {&o, (uint32_t *)scratch};
    emu_conv2d_1x1_s16_walk(p, input, filter, output, packed_channels, &k);
}

void emu_s16_taps_inside(int o, int taps, int dilation, int size, int *first, int *end)
{
    int a = 0, z = taps;
    while (a < z && o + a * dilation < 0) {
        ++a;
    }
    while (z > a && o + (z - 1) * dilation >= size) {
        --z;
    }
    *first = a;
    *end = z;
}

/* The depthwise step: four channels' sums over the window's rows, each tap one word of four
 * weights against the inputs' two words; fewer channels (the last channels % 4) one by one. */
EMU_S16_WALK_INLINE void four_channels(emu_s16_dw_window win, int32_t c, int n, int32_t sums[4])
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int fy = win.fy0; fy < win.fy1; ++fy) {
        const int16_t *x = emu_s16_dw_input_row(win, fy, c); /* multiplier 1: input channel c */
        const int8_t *w = emu_s16_dw_filter_row(win, fy, c);
        if (n == 4) {
            for (int k = 0; k < win.cols; ++k, x += win.col_step, w += win.w_step) {
                const uint32_t x01 = read_pair(x), x23 = read_pair(x + 2);
                const uint32_t wv = emu_read_u32(w);
                const uint32_t we = emu_sxtb16(wv), wo = emu_sxtb16_ror8(wv);
                a0 = emu_smlabb(x01, we, a0);
                a1 = emu_smlatb(x01, wo, a1);
                a2 = smlabt(x23, we, a2);
                a3 = emu_smlatt(x23, wo, a3);
            }
        } else {
            for (int k = 0; k < win.cols; ++k, x += win.col_step, w += win.w_step) {
                a0 += x[0] * w[0];
                if (n > 1) {
                    a1 += x[1] * w[1];
                }
                if (n > 2) {
                    a2 += x[2] * w[2];
                }
            }
        }
    }
    sums[0] = a0;
    sums[1] = a1;
    sums[2] = a2;
    sums[3] = a3;
}

void emu_depthwise_conv2d_s16_dsp(const emu_depthwise_conv2d_s16_params *p, const int16_t *input,
                                  const int8_t *filter, int16_t *output)
{
    emu_depthwise_conv2d_s16_walk(p, input, filter, output, four_channels);
}
