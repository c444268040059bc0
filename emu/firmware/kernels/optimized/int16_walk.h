/* The walks over the output that the 16x8 kernels of CONV_2D and DEPTHWISE_CONV_2D share between
 * the DSP extension (int16_dsp.c) and Helium (int16_mve.c): which output pixel, which part of its
 * window, which output channels, and (depthwise) each channel's rescale. Each core supplies only
 * its step: the sums of a window against the filter.
 *
 * A kernel passes its step to the walk as a function. The walks and the steps are always inlined
 * (EMU_S16_WALK_INLINE), so that the compiler puts the step in the walk before it optimises the
 * loops and each kernel compiles as though written out on its own. Left to the ordinary inliner,
 * which resolves the step only after the loops are optimised, the DSP depthwise tap loop keeps
 * two of its values on the stack, and the layer takes about 12% more cycles. */
#ifndef EMU_INT16_WALK_H
#define EMU_INT16_WALK_H

#include "conv_2d.h"
#include "depthwise_conv_2d.h"
#include "emu_quant.h"
#include "int16_dsp.h"

#define EMU_S16_WALK_INLINE static inline __attribute__((always_inline))

/* ---- CONV_2D ------------------------------------------------------------------------------ */

/* Output channels [first, end) of one output pixel into out, from its window x (len values) and
 * the filter (each channel's weights len bytes after the previous channel's). `core` is what the
 * step needs besides (its output stage, its scratch). */
typedef void emu_s16_window_step(const void *core, const int16_t *x, int32_t len, const int8_t *filter, int first,
                                 int end, int16_t *out);

/* Any filter and grouping: each output pixel's window, one group's channels at a time, gathered
 * into `window` (filter_h * filter_w * filter_c values), zeros in the padding. */
EMU_S16_WALK_INLINE void emu_conv2d_s16_walk(const emu_conv2d_s16_params *p, const int16_t *input,
                                             const int8_t *filter, int16_t *output, int16_t *window,
                                             emu_s16_window_step *step, const void *core)
{
    const int fc = p->filter_c, groups = p->input_c / fc, per_group = p->output_c / groups;
    const int32_t image_size = (int32_t)p->input_h * p->input_w * p->input_c;
    const int32_t window_size = (int32_t)p->filter_h * p->filter_w * fc;
    int16_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int16_t *image = input + b * image_size;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int iy0 = oy * p->stride_h - p->pad_h;
            for (int ox = 0; ox < p->output_w; ++ox, out += p->output_c) {
                const int ix0 = ox * p->stride_w - p->pad_w;
                for (int g = 0; g < groups; ++g) {
                    emu_conv2d_s16_gather(p, image, iy0, ix0, g * fc, window);
                    step(core, window, window_size, filter, g * per_group, (g + 1) * per_group, out);
                }
            }
        }
    }
}

/* 1x1 filters, one group: each output pixel's window is its input pixel, read where it is. */
EMU_S16_WALK_INLINE void emu_conv2d_1x1_s16_walk(const emu_conv2d_s16_params *p, const int16_t *input,
                                                 const int8_t *filter, int16_t *output, emu_s16_window_step *step,
                                                 const void *core)
{
    const int32_t ic = p->input_c;
    int16_t *out = output;
    for (int b = 0; b < p->batches; ++b) {
        const int16_t *image = input + (int32_t)b * p->input_h * p->input_w * ic;
        for (int oy = 0; oy < p->output_h; ++oy) {
            const int16_t *row = image + (int32_t)oy * p->stride_h * p->input_w * ic;
            for (int ox = 0; ox < p->output_w; ++ox, out += p->output_c) {
                step(core, row + (int32_t)ox * p->stride_w * ic, ic, filter, 0, p->output_c, out);
            }
        }
    }
}

/* ---- DEPTHWISE_CONV_2D -------------------------------------------------------------------- */

/* The taps of one output pixel's window that fall inside the image: rows [fy0, fy1) and cols
 * columns from fx0 of the window whose first tap is at (iy0, ix0). Padding is skipped rather than
 * read as zeros (the zero point is 0). */
typedef struct {
    const emu_depthwise_conv2d_s16_params *p;
    const int16_t *image; /* this batch's input */
    const int8_t *filter;
    int iy0, ix0, fy0, fy1, fx0, cols;
    int32_t channels, fw; /* output channels, filter width */
    int32_t in_c;         /* input channels: channels / depth multiplier */
    int32_t col_step;     /* from one tap of a row to the next: dilation_w x in_c values of input */
    int32_t w_step;   /* and channels bytes of filter */
} emu_s16_dw_window;

/* Row fy's first tap inside the image: in the input at input channel ic, and its weight at
 * output channel c. */
EMU_S16_WALK_INLINE const int16_t *emu_s16_dw_input_row(emu_s16_dw_window win, int fy, int32_t ic)
{
    const emu_depthwise_conv2d_s16_params *p = win.p;
    const int iy = win.iy0 + fy * p->dilation_h;
    return win.image + ((int32_t)iy * p->input_w + win.ix0 + win.fx0 * p->dilation_w) * win.in_c + ic;
}

EMU_S16_WALK_INLINE const int8_t *emu_s16_dw_filter_row(emu_s16_dw_window win, int fy, int32_t c)
{
    return win.filter + ((int32_t)fy * win.fw + win.fx0) * win.channels + c;
}

/* sums[j] for j < n (n at most 4): channel c + j of the window against its weights, exact in
 * int32 (at most EMU_S16_RUN taps). */
typedef void emu_s16_dw_step(emu_s16_dw_window win, int32_t c, int n, int32_t sums[4]);

/* Four channels at a time, the last channels % 4 fewer; each channel's sum is added to its bias
 * and rescaled as TFLM's reference does. */
EMU_S16_WALK_INLINE void emu_depthwise_conv2d_s16_walk(const emu_depthwise_conv2d_s16_params *p,
                                                       const int16_t *input, const int8_t *filter, int16_t *output,
                                                       emu_s16_dw_step *step)
{
    const int32_t channels = p->output_c, fw = p->filter_w, in_c = p->input_c;
    const int32_t grouped = channels & ~3;
    const int32_t image_size = (int32_t)p->input_h * p->input_w * in_c;
    const int32_t col_step = (int32_t)p->dilation_w * in_c, w_step = channels;
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
                const emu_s16_dw_window win = {p,  image, filter, iy0, ix0, fy0,      fy1,
                                               fx0, fx1 - fx0, channels, fw, in_c, col_step, w_step};
                for (int32_t c = 0; c < channels; c += 4) {
                    const int n = c < grouped ? 4 : (int)(channels - c);
                    int32_t sums[4];
                    step(win, c, n, sums);
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

#endif
