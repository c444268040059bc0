/* The comparisons; see comparisons.h. */
#include "comparisons.h"

#include "elementwise_runs.h"
#include "emu_quant.h"

/* An int8 value on the common scale of comparisons.h. */
static inline int32_t scaled(int32_t value, int32_t offset, int32_t left_shift, int32_t multiplier, int32_t shift)
{
    return emu_multiply_by_quantized_multiplier((offset + value) * (1 << left_shift), multiplier, shift);
}

#define AS_STORED(p, v, which) (v)
#define AS_BOOL(p, v, which) ((v) != 0)
#define ON_COMMON_SCALE(p, v, which) \
    scaled((v), (p)->input##which##_offset, (p)->left_shift, (p)->input##which##_multiplier, (p)->input##which##_shift)

/* One innermost run and the public function for one operator (its C operator `cmp`), one
 * element type and one way of reading the values. */
#define EMU_COMPARISON(name, cmp, suffix, T, read)                                                        \
    static void name##_##suffix##_run(const emu_comparison_params *p, const T *a, int32_t step_a,       \
                                      const T *b, int32_t step_b, uint8_t *out, int32_t n)               \
    {                                                                                                     \
        (void)p;                                                                                          \
        for (int32_t i = 0; i < n; i++) {                                                                 \
            out[i] = (uint8_t)(read(p, a[i * step_a], 1) cmp read(p, b[i * step_b], 2));                  \
        }                                                                                                 \
    }                                                                                                     \
                                                                                                          \
    void emu_##name##_##suffix(const emu_comparison_params *p, const T *input1, const T *input2,          \
                               uint8_t *output)                                                           \
    {                                                                                                     \
        FOR_EACH_RUN(p, p, input1, input2, output, name##_##suffix##_run);                                \
    }

/* Every type of one operator. */
#define EMU_COMPARISON_TYPES(name, cmp)                         \
    EMU_COMPARISON(name, cmp, b8, uint8_t, AS_BOOL)             \
    EMU_COMPARISON(name, cmp, f32, float, AS_STORED)            \
    EMU_COMPARISON(name, cmp, s8, int8_t, ON_COMMON_SCALE)      \
    EMU_COMPARISON(name, cmp, s32, int32_t, AS_STORED)          \
    EMU_COMPARISON(name, cmp, s64, int64_t, AS_STORED)

EMU_COMPARISON_TYPES(equal, ==)
EMU_COMPARISON_TYPES(not_equal, !=)
EMU_COMPARISON_TYPES(greater, >)
EMU_COMPARISON_TYPES(greater_equal, >=)
EMU_COMPARISON_TYPES(less, <)
EMU_COMPARISON_TYPES(less_equal, <=)
