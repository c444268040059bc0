/* float16 -> float32 for weights stored as half precision; see dequantize_f16.h.
 *
 * On an FPU with the half-precision extension (FPv4-SP and FPv5: __ARM_FP bit 1) one
 * VCVTB.F32.F16 widens a value. It is exact for every finite value and infinity, but it
 * quietens a signalling NaN, where numpy (and so LiteRT's loader) keeps its bits: NaNs take
 * the portable path, so both paths give numpy's float32 for every one of the 65,536 inputs.
 * Elsewhere the portable bit-exact conversion of quantize.c does all of it.
 */
#include "dequantize_f16.h"

#if defined(__ARM_FP) && (__ARM_FP & 2)
static inline float vcvtb_f16_f32(uint32_t h)
{
    float f;
    __asm__("vmov %0, %1\n\tvcvtb.f32.f16 %0, %0" : "=t"(f) : "r"(h));
    return f;
}

void emu_dequantize_f16_f32_weights(const emu_dequantize_f16_f32_params *p, const uint16_t *input,
                                    float *output)
{
    for (int32_t i = 0; i < p->size; i++) {
        const uint32_t h = input[i];
        if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu)) {
            const emu_dequantize_f16_f32_params one = {1};
            emu_dequantize_f16_f32(&one, &input[i], &output[i]);
        } else {
            output[i] = vcvtb_f16_f32(h);
        }
    }
}
#else
void emu_dequantize_f16_f32_weights(const emu_dequantize_f16_f32_params *p, const uint16_t *input,
                                    float *output)
{
    emu_dequantize_f16_f32(p, input, output);
}
#endif
