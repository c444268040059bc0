/* Integer rescaling shared by the int8 kernels.
 *
 * The arithmetic is the fixed-point scheme of the TFLite quantization spec (gemmlowp's
 * saturating rounding doubling high multiply followed by a rounding right shift), which
 * is what makes results bit-identical to TFLM's reference kernels. The multiplier and
 * shift come from emu/compile/quant.py, computed at compile time.
 */
#ifndef EMU_QUANT_H
#define EMU_QUANT_H

#include <stdint.h>

static inline int32_t emu_sat_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    if (a == b && a == INT32_MIN) {
        return INT32_MAX;
    }
    int64_t ab = (int64_t)a * (int64_t)b;
    int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    return (int32_t)((ab + nudge) / (1LL << 31));
}

static inline int32_t emu_rounding_divide_by_pot(int32_t x, int exponent)
{
    int32_t mask = (int32_t)((1LL << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

static inline int32_t emu_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift)
{
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    return emu_rounding_divide_by_pot(
        emu_sat_rounding_doubling_high_mul(x * (1 << left), multiplier), right);
}

static inline int32_t emu_clamp_i32(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

static inline float emu_clamp_f32(float x, float lo, float hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

#endif
