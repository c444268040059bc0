/* QUANTIZE (float32 -> int8 or int16, and between integer types) and DEQUANTIZE (int8, uint8 or
 * int16 -> float32, float16 -> float32). Scales, zero points and the requantizing multiplier come from
 * emu/compile/ops/quantize.py.
 */
#ifndef EMU_QUANTIZE_H
#define EMU_QUANTIZE_H

#include <stdint.h>

/* q = round(x / scale) + zero_point, dividing in float and rounding halves away from 0. */
typedef struct {
    int32_t size;
    float scale;
    int32_t zero_point;
} emu_quantize_f32_s8_params;

/* From one quantization to another: (x - in_zp) * in_scale / out_scale + out_zp, clamped to
 * the output type (int8 -> int8, int16 -> int8, int8 -> int16, int16 -> int16, int32 -> int8 or
 * int16, int8 <-> uint8, and int8 or int16 -> int32). */
typedef struct {
    int32_t size;
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier, shift;
} emu_requantize_s8_params;

typedef struct {
    int32_t size;
    float scale;
    int32_t zero_point;
} emu_dequantize_s8_f32_params;

typedef struct {
    int32_t size;
} emu_dequantize_f16_f32_params;

void emu_quantize_f32_s8(const emu_quantize_f32_s8_params *p, const float *input, int8_t *output);
void emu_requantize_s8(const emu_requantize_s8_params *p, const int8_t *input, int8_t *output);
void emu_dequantize_s8_f32(const emu_dequantize_s8_f32_params *p, const int8_t *input, float *output);
/* int16 takes int8's parameters. */
void emu_quantize_f32_s16(const emu_quantize_f32_s8_params *p, const float *input, int16_t *output);
void emu_requantize_s16_s8(const emu_requantize_s8_params *p, const int16_t *input, int8_t *output);
void emu_requantize_s8_s16(const emu_requantize_s8_params *p, const int8_t *input, int16_t *output);
void emu_requantize_s16(const emu_requantize_s8_params *p, const int16_t *input, int16_t *output);
void emu_requantize_s8_s32(const emu_requantize_s8_params *p, const int8_t *input, int32_t *output);
void emu_requantize_s16_s32(const emu_requantize_s8_params *p, const int16_t *input, int32_t *output);
void emu_requantize_s32_s8(const emu_requantize_s8_params *p, const int32_t *input, int8_t *output);
void emu_requantize_s32_s16(const emu_requantize_s8_params *p, const int32_t *input, int16_t *output);
void emu_requantize_s8_u8(const emu_requantize_s8_params *p, const int8_t *input, uint8_t *output);
void emu_requantize_u8_s8(const emu_requantize_s8_params *p, const uint8_t *input, int8_t *output);
void emu_dequantize_s16_f32(const emu_dequantize_s8_f32_params *p, const int16_t *input, float *output);
void emu_dequantize_u8_f32(const emu_dequantize_s8_f32_params *p, const uint8_t *input, float *output);
/* float16 values arrive as their raw IEEE 754 half-precision bits. */
void emu_dequantize_f16_f32(const emu_dequantize_f16_f32_params *p, const uint16_t *input, float *output);

#endif
