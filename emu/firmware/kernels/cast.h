/* CAST between the types TFLM's cast.cc takes: from bool, float32, int8, int16, int32 or
 * uint32 to float32, int8, int16, int32 or uint32. Each value is converted as C converts it
 * (TFLM's static_cast): integers to a narrower type keep their low bits, floats to integers
 * round toward zero; a bool reads as 0 or 1. Quantization plays no part, as in TFLM. A float
 * outside the integer type's range converts to what the core's instruction gives (undefined
 * in C and in TFLM alike).
 *
 * One function per pair of types, emu_cast_<from>_<to>, so that a model links the
 * conversions it makes (and a soft-float core the float routines only when it needs them).
 */
#ifndef EMU_CAST_H
#define EMU_CAST_H

#include <stdint.h>

typedef struct {
    int32_t count; /* elements */
} emu_cast_params;

#define EMU_CAST_DECLARE(from, FromT)                                                                   \
    void emu_cast_##from##_f32(const emu_cast_params *p, const FromT *input, float *output);           \
    void emu_cast_##from##_s8(const emu_cast_params *p, const FromT *input, int8_t *output);           \
    void emu_cast_##from##_s16(const emu_cast_params *p, const FromT *input, int16_t *output);         \
    void emu_cast_##from##_s32(const emu_cast_params *p, const FromT *input, int32_t *output);         \
    void emu_cast_##from##_u32(const emu_cast_params *p, const FromT *input, uint32_t *output);

EMU_CAST_DECLARE(b8, uint8_t)
EMU_CAST_DECLARE(f32, float)
EMU_CAST_DECLARE(s8, int8_t)
EMU_CAST_DECLARE(s16, int16_t)
EMU_CAST_DECLARE(s32, int32_t)
EMU_CAST_DECLARE(u32, uint32_t)

#undef EMU_CAST_DECLARE

#endif
