/* DEQUANTIZE float16 -> float32 of weights kept as half precision in flash: the weights
 * are widened into an arena buffer just before the operator that reads them. The params
 * struct is the one of quantize.h. */
#ifndef EMU_DEQUANTIZE_F16_H
#define EMU_DEQUANTIZE_F16_H

#include <stdint.h>

#include "quantize.h"

/* float16 values arrive as their raw IEEE 754 half-precision bits. */
void emu_dequantize_f16_f32_weights(const emu_dequantize_f16_f32_params *p, const uint16_t *input,
                                    float *output);

#endif
