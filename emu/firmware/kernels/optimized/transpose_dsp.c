/* int8 TRANSPOSE in 4x4 byte blocks; see transpose_dsp.h.
 *
 * Each plane is out[r][k] = in[r + k * step]: four word loads (input rows k..k+3, each four
 * consecutive output rows' bytes) become four word stores (output rows r..r+3, each four
 * consecutive columns) through four half-word packs (PKHBT, PKHTB), byte extractions (UXTB16)
 * and shifted ORs: about 2.3 instructions a byte, where the walk pays a load, a store and
 * loop counting for each. */
#include "transpose_dsp.h"

#include "emu_dsp.h"

#if defined(__ARM_FEATURE_DSP)
/* GCC writes these as two instructions each (UXTH and ORR, shifts and masks): inline assembly
 * keeps them one. uxtb16(x): bytes 0 and 2 of x in its two halves; uxtb16_ror8(x): bytes 1, 3. */
static inline uint32_t pkhbt16(uint32_t lo, uint32_t hi)
{
    uint32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(lo), "r"(hi));
    return r;
}
static inline uint32_t pkhtb16(uint32_t hi, uint32_t lo)
{
    uint32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(hi), "r"(lo));
    return r;
}
static inline uint32_t uxtb16(uint32_t x)
{
    uint32_t r;
    __asm__("uxtb16 %0, %1" : "=r"(r) : "r"(x));
    return r;
}
static inline uint32_t uxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("uxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
#else
static inline uint32_t uxtb16(uint32_t x) { return x & 0x00FF00FFu; }
static inline uint32_t uxtb16_ror8(uint32_t x) { return (x >> 8) & 0x00FF00FFu; }
static inline uint32_t pkhbt16(uint32_t lo, uint32_t hi) { return (lo & 0xFFFFu) | (hi << 16); }
static inline uint32_t pkhtb16(uint32_t hi, uint32_t lo) { return (hi & 0xFFFF0000u) | (lo >> 16); }
#endif

static inline void write_u32(int8_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof v);  /* one STR: these cores allow unaligned word stores */
}

/* out[r * cols + k] = in[r + k * step] for r < rows, k < cols */
static void transpose_plane(const int8_t *in, int8_t *out, int32_t rows, int32_t cols, int32_t step)
{
    int32_t r = 0;
    for (; r + 4 <= rows; r += 4) {
        const int8_t *src = in + r;
        int8_t *dst = out + r * cols;
        int32_t k = 0;
        for (; k + 4 <= cols; k += 4) {
            const uint32_t a = emu_read_u32(src), b = emu_read_u32(src + step);
            const uint32_t c = emu_read_u32(src + 2 * step), d = emu_read_u32(src + 3 * step);
            src += 4 * step;
            /* bytes 0, 1 of a and c, and bytes 2, 3 (PKHBT / PKHTB) */
            const uint32_t ac_lo = pkhbt16(a, c), ac_hi = pkhtb16(c, a);
            const uint32_t bd_lo = pkhbt16(b, d), bd_hi = pkhtb16(d, b);
            write_u32(dst + k, uxtb16(ac_lo) | (uxtb16(bd_lo) << 8));
            write_u32(dst + cols + k, uxtb16_ror8(ac_lo) | (bd_lo & 0xFF00FF00u));
            write_u32(dst + 2 * cols + k, uxtb16(ac_hi) | (uxtb16(bd_hi) << 8));
            write_u32(dst + 3 * cols + k, uxtb16_ror8(ac_hi) | (bd_hi & 0xFF00FF00u));
        }
        for (; k < cols; k++, src += step) {  /* the last cols % 4 columns */
            dst[k] = src[0];
            dst[cols + k] = src[1];
            dst[2 * cols + k] = src[2];
            dst[3 * cols + k] = src[3];
        }
    }
    for (; r < rows; r++) {  /* the last rows % 4 rows */
        const int8_t *src = in + r;
        int8_t *dst = out + r * cols;
        for (int32_t k = 0; k < cols; k++) {
            dst[k] = src[k * step];
        }
    }
}

void emu_transpose_s8_dsp(const emu_strided_copy_params *p, const int8_t *input, int8_t *output)
{
    const int32_t rows = p->dims[3], cols = p->dims[4], plane = rows * cols;
    const int8_t *in = input + p->offset;
    for (int32_t a = 0; a < p->dims[0]; a++) {
        for (int32_t b = 0; b < p->dims[1]; b++) {
            for (int32_t c = 0; c < p->dims[2]; c++) {
                transpose_plane(in + a * p->strides[0] + b * p->strides[1] + c * p->strides[2], output, rows, cols,
                                p->strides[4]);
                output += plane;
            }
        }
    }
}
