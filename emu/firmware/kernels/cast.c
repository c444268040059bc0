/* CAST; see cast.h. */
#include "cast.h"

#define AS_STORED(v) (v)
#define AS_BOOL(v) ((v) != 0)

#define EMU_CAST(from, FromT, read, to, ToT)                                                   \
    void emu_cast_##from##_##to(const emu_cast_params *p, const FromT *input, ToT *output)    \
    {                                                                                          \
        for (int32_t i = 0; i < p->count; i++) {                                               \
            output[i] = (ToT)read(input[i]);                                                   \
        }                                                                                      \
    }

#define EMU_CAST_FROM(from, FromT, read)                 \
    EMU_CAST(from, FromT, read, f32, float)              \
    EMU_CAST(from, FromT, read, s8, int8_t)              \
    EMU_CAST(from, FromT, read, s16, int16_t)            \
    EMU_CAST(from, FromT, read, s32, int32_t)            \
    EMU_CAST(from, FromT, read, u32, uint32_t)

EMU_CAST_FROM(b8, uint8_t, AS_BOOL)
EMU_CAST_FROM(f32, float, AS_STORED)
EMU_CAST_FROM(s8, int8_t, AS_STORED)
EMU_CAST_FROM(s16, int16_t, AS_STORED)
EMU_CAST_FROM(s32, int32_t, AS_STORED)
EMU_CAST_FROM(u32, uint32_t, AS_STORED)
