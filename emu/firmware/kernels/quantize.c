/* QUANTIZE and DEQUANTIZE; see quantize.h. */
#include "quantize.h"

#include <string.h>

#include "emu_quant.h"

void emu_quantize_f32_s8(const emu_quantize_f32_s8_params *p, const float *input, int8_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const float q = input[i] / p->scale;
        int32_t y;
        /* Far outside the int8 range (and NaN) the result is a bound whatever the zero point;
         * deciding it here keeps the conversion to int32 in range. */
        if (q >= 512.0f) {
            y = INT8_MAX;
        } else if (!(q > -512.0f)) {
            y = INT8_MIN;
        } else {
            y = emu_clamp_i32(emu_round_f32(q) + p->zero_point, INT8_MIN, INT8_MAX);
        }
        output[i] = (int8_t)y;
    }
}

void emu_quantize_f32_s16(const emu_quantize_f32_s8_params *p, const float *input, int16_t *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const float q = input[i] / p->scale;
        int32_t y;
        /* as for int8: beyond 2^17 steps the result is a bound whatever the zero point */
        if (q >= 131072.0f) {
            y = INT16_MAX;
        } else if (!(q > -131072.0f)) {
            y = INT16_MIN;
        } else {
            y = emu_clamp_i32(emu_round_f32(q) + p->zero_point, INT16_MIN, INT16_MAX);
        }
        output[i] = (int16_t)y;
    }
}

/* Requantize: (x - input_zero_point) rescaled, plus output_zero_point, clamped to the output
 * type. The subtraction in uint32, where it wraps (only an int32 input can leave int32's range),
 * as TFLM's does on its targets. One body for every pair of types. */
#define REQUANTIZE(name, in_type, out_type, lo, hi)                                                        \
    void name(const emu_requantize_s8_params *p, const in_type *input, out_type *output)                   \
    {                                                                                                      \
        for (int32_t i = 0; i < p->size; i++) {                                                            \
            const int32_t x = (int32_t)((uint32_t)(int32_t)input[i] - (uint32_t)p->input_zero_point);      \
            const int32_t y =                                                                              \
                emu_multiply_by_quantized_multiplier(x, p->multiplier, p->shift) + p->output_zero_point;   \
            output[i] = (out_type)emu_clamp_i32(y, lo, hi);                                                \
        }                                                                                                  \
    }

REQUANTIZE(emu_requantize_s8, int8_t, int8_t, INT8_MIN, INT8_MAX)
REQUANTIZE(emu_requantize_s16_s8, int16_t, int8_t, INT8_MIN, INT8_MAX)
REQUANTIZE(emu_requantize_s8_s16, int8_t, int16_t, INT16_MIN, INT16_MAX)
REQUANTIZE(emu_requantize_s16, int16_t, int16_t, INT16_MIN, INT16_MAX)
REQUANTIZE(emu_requantize_s32_s8, int32_t, int8_t, INT8_MIN, INT8_MAX)
REQUANTIZE(emu_requantize_s32_s16, int32_t, int16_t, INT16_MIN, INT16_MAX)
/* Between int8 and uint8; TFLM's shortcut for equal scales and zero points 128 apart (flipping
 * the top bit) gives what this general form gives there. */
REQUANTIZE(emu_requantize_s8_u8, int8_t, uint8_t, 0, UINT8_MAX)
REQUANTIZE(emu_requantize_u8_s8, uint8_t, int8_t, INT8_MIN, INT8_MAX)
/* Widening to int32 clamps nothing: the rescaled value is already an int32 value. */
REQUANTIZE(emu_requantize_s8_s32, int8_t, int32_t, INT32_MIN, INT32_MAX)
REQUANTIZE(emu_requantize_s16_s32, int16_t, int32_t, INT32_MIN, INT32_MAX)

/* Dequantize: scale * (x - zero_point) in float. The product of a float scale and an integer
 * of at most 17 bits is exact in double, so rounding it once to float gives TFLM's value (its
 * product in double, then rounded); float's product is that rounding. One body for int8, uint8
 * and int16. */
#define DEQUANTIZE(name, in_type)                                                                  \
    void name(const emu_dequantize_s8_f32_params *p, const in_type *input, float *output)         \
    {                                                                                              \
        for (int32_t i = 0; i < p->size; i++) {                                                    \
            output[i] = p->scale * (float)((int32_t)input[i] - p->zero_point);                     \
        }                                                                                          \
    }

DEQUANTIZE(emu_dequantize_s8_f32, int8_t)
DEQUANTIZE(emu_dequantize_u8_f32, uint8_t)
DEQUANTIZE(emu_dequantize_s16_f32, int16_t)

/* IEEE 754 binary16 -> binary32, exact for every input including subnormals, infinities
 * and NaNs. */
static float half_to_float(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    uint32_t bits;
    if (exponent == 0x1fu) {
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else if (exponent != 0) {
        bits = sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else {
        /* subnormal half: normalise, since every half subnormal is a normal float */
        exponent = 127 - 15 + 1;
        while (!(mantissa & 0x400u)) {
            mantissa <<= 1;
            exponent--;
        }
        bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

void emu_dequantize_f16_f32(const emu_dequantize_f16_f32_params *p, const uint16_t *input, float *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        output[i] = half_to_float(input[i]);
    }
}
