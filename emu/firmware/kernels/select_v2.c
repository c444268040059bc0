/* SELECT_V2; see select_v2.h. */
#include "select_v2.h"

#include "elementwise_runs.h"

#define EMU_SELECT_RUN(name, T)                                                                       \
    static void name(const emu_select_v2_params *p, const uint8_t *condition, int32_t step_c,       \
                     const T *x, int32_t step_x, T *out, int32_t n)                                  \
    {                                                                                                 \
        (void)p;                                                                                      \
        for (int32_t i = 0; i < n; i++) {                                                             \
            if (condition[i * step_c]) {                                                              \
                out[i] = x[i * step_x];                                                               \
            }                                                                                         \
        }                                                                                             \
    }

EMU_SELECT_RUN(select_8_run, uint8_t)
EMU_SELECT_RUN(select_16_run, uint16_t)
EMU_SELECT_RUN(select_32_run, uint32_t)

void emu_select_v2(const emu_select_v2_params *p, const uint8_t *condition, const void *x, const void *y,
                   void *output)
{
    emu_strided_copy(&p->y_copy, y, output);
    switch (p->y_copy.element) {
    case 1:
        FOR_EACH_RUN(p, p, condition, (const uint8_t *)x, (uint8_t *)output, select_8_run);
        break;
    case 2:
        FOR_EACH_RUN(p, p, condition, (const uint16_t *)x, (uint16_t *)output, select_16_run);
        break;
    default:
        FOR_EACH_RUN(p, p, condition, (const uint32_t *)x, (uint32_t *)output, select_32_run);
        break;
    }
}
