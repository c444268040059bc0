/* BROADCAST_ARGS; see broadcast_args.h. */
#include "broadcast_args.h"

#define EMU_BROADCAST_ARGS(suffix, T)                                                                     \
    void emu_broadcast_args_##suffix(const emu_broadcast_args_params *p, const T *shape1, const T *shape2, \
                                     T *output)                                                           \
    {                                                                                                     \
        for (int32_t i = 0; i < p->count; i++) { /* i counts from the last dimension */                  \
            const int32_t d1 = i < p->count1 ? (int32_t)shape1[p->count1 - 1 - i] : 1;                    \
            const int32_t d2 = i < p->count2 ? (int32_t)shape2[p->count2 - 1 - i] : 1;                    \
            output[p->count - 1 - i] = d1 == 1 ? d2 : d1;                                                 \
        }                                                                                                 \
    }

EMU_BROADCAST_ARGS(s32, int32_t)
EMU_BROADCAST_ARGS(s64, int64_t)
