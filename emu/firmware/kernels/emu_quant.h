/* Integer rescaling shared by the int8 and int16 kernels.
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

/* The rescale of a 64-bit accumulator (the int16 kernels' convolutions and fully connected
 * layers, whose bias is int64): the multiplier rounded to its top 16 bits, one product and
 * one rounding shift. shift must be below 8 (emu/compile/ops/conv_2d.py refuses larger ones),
 * |x| below 2^47, and the result must fit int32, as in TFLite's 64-bit rescale. */
static inline int32_t emu_multiply_by_quantized_multiplier_s64(int64_t x, int32_t multiplier, int shift)
{
    const int32_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
    const int total_shift = 15 - shift;
    return (int32_t)((x * reduced + ((int64_t)1 << (total_shift - 1))) >> total_shift);
}

static inline int32_t emu_clamp_i32(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

static inline float emu_clamp_f32(float x, float lo, float hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* Products of an int16 value and an int8 weight summed in int32 before joining a 64-bit
 * sum: 2^15 * 2^7 per product, so this many always fit. */
#define EMU_S16_RUN 256

/* sum over n of w[k] * x[k], exact in int64: runs of EMU_S16_RUN products in int32. */
static inline int64_t emu_dot_s16_s8(const int16_t *x, const int8_t *w, int32_t n)
{
    int64_t total = 0;
    while (n > 0) {
        const int32_t run = n < EMU_S16_RUN ? n : EMU_S16_RUN;
        int32_t acc = 0;
        for (int32_t k = 0; k < run; ++k) {
            acc += (int32_t)w[k] * x[k];
        }
        total += acc;
        x += run;
        w += run;
        n -= run;
    }
    return total;
}

/* A 16x8 accumulator plus its bias, rescaled as TFLM does for the bias's type. */
static inline int32_t emu_rescale_s16(int64_t acc, int accumulate_32, int32_t multiplier, int shift)
{
    if (accumulate_32) {
        return emu_multiply_by_quantized_multiplier((int32_t)(uint32_t)(uint64_t)acc, multiplier, shift);
    }
    return emu_multiply_by_quantized_multiplier_s64(acc, multiplier, shift);
}

/* A function of an int16 value read from a 513-entry table (emu/compile/quant.py, lut_int16):
 * the top 9 bits pick an entry, the low 7 interpolate towards the next one. The slope is
 * kept as an int16 value, as TFLM keeps it. */
static inline int16_t emu_lut_s16(int16_t value, const int16_t *lut)
{
    const int index = 256 + (value >> 7);
    const int32_t offset = value & 0x7f;
    const int16_t slope = (int16_t)(lut[index + 1] - lut[index]);
    return (int16_t)(lut[index] + ((slope * offset + 64) >> 7));
}

/* ---- Fixed-point transcendental functions --------------------------------------------
 *
 * LOGISTIC, TANH and SOFTMAX on int8 evaluate exp() and a reciprocal in fixed point, with
 * the gemmlowp arithmetic the TFLite quantization spec builds on. A value "Qk" below is a
 * signed int32 with k integer bits and 31 - k fractional bits; Q0 holds [-1, 1). Sums are
 * plain int32 additions: every caller keeps them in range, as the reference does.
 */

/* Count of leading zero bits; x must not be 0. */
static inline int emu_clz32(uint32_t x)
{
#if defined(__GNUC__)
    return __builtin_clz(x);
#else
    int n = 0;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        n++;
    }
    return n;
#endif
}

/* x * 2^exponent for exponent > 0, saturating to the int32 range. */
static inline int32_t emu_saturating_shift_left(int32_t x, int exponent)
{
    const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* (a + b) / 2 rounded half away from zero, without overflow. */
static inline int32_t emu_rounding_half_sum(int32_t a, int32_t b)
{
    int64_t sum = (int64_t)a + (int64_t)b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* exp(a) for a in [-1/4, 0), Q0 in and out: a 4th-order Taylor expansion around -1/8. */
static inline int32_t emu_exp_on_interval_neg_quarter_to_0(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668; /* exp(-1/8) in Q0 */
    const int32_t one_third = 715827883;             /* 1/3 in Q0 */
    const int32_t x = a + (1 << 28);                 /* a + 1/8 */
    const int32_t x2 = emu_sat_rounding_doubling_high_mul(x, x);
    const int32_t x3 = emu_sat_rounding_doubling_high_mul(x2, x);
    const int32_t x4 = emu_sat_rounding_doubling_high_mul(x2, x2);
    const int32_t x4_over_4 = emu_rounding_divide_by_pot(x4, 2);
    /* x^2/2 + x^3/6 + x^4/24 */
    const int32_t tail = emu_rounding_divide_by_pot(
        emu_sat_rounding_doubling_high_mul(x4_over_4 + x3, one_third) + x2, 1);
    return exp_minus_one_eighth + emu_sat_rounding_doubling_high_mul(exp_minus_one_eighth, x + tail);
}

/* exp(a) for a <= 0 given in Q(integer_bits), result in Q0.
 *
 * a = r + n with r in [-1/4, 0) and n a non-positive multiple of 1/4: exp(r) comes from the
 * polynomial, and each set bit of -n multiplies in a precomputed exp(-2^k). */
static inline int32_t emu_exp_on_negative_values(int32_t a, int integer_bits)
{
    /* exp(-2^k) in Q0 for k = -2 .. 4 */
    static const int32_t exp_of_minus_pow2[7] = {
        1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242,
    };
    const int fractional_bits = 31 - integer_bits;
    const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
    const int32_t r = (a & (one_quarter - 1)) - one_quarter;
    int32_t result = emu_exp_on_interval_neg_quarter_to_0(
        integer_bits > 0 ? emu_saturating_shift_left(r, integer_bits) : r);
    const int32_t remainder = r - a;
    for (int k = -2; k <= 4; k++) {
        if (integer_bits > k && (remainder & ((int32_t)1 << (fractional_bits + k)))) {
            result = emu_sat_rounding_doubling_high_mul(result, exp_of_minus_pow2[k + 2]);
        }
    }
    if (integer_bits > 5) {
        /* below -32 the result is 0 */
        const int32_t minus_32 = -((int32_t)1 << (36 - integer_bits));
        if (a < minus_32) {
            result = 0;
        }
    }
    return a == 0 ? INT32_MAX : result;
}

/* Newton-Raphson estimate, in Q2, of 1 / half_denominator for half_denominator in [1/2, 1)
 * given in Q0; three iterations from the 48/17 - 32/17 x starting point. */
static inline int32_t emu_reciprocal_of_half_denominator(int32_t half_denominator)
{
    const int32_t c_48_over_17 = 1515870810;      /* Q2 */
    const int32_t c_neg_32_over_17 = -1010580540; /* Q2 */
    const int32_t one_q2 = 1 << 29;
    int32_t x = c_48_over_17 + emu_sat_rounding_doubling_high_mul(half_denominator, c_neg_32_over_17);
    for (int i = 0; i < 3; i++) {
        const int32_t half_denominator_times_x = emu_sat_rounding_doubling_high_mul(half_denominator, x);
        const int32_t one_minus = one_q2 - half_denominator_times_x;
        /* Q2 * Q2 is Q4: back to Q2 */
        x = x + emu_saturating_shift_left(emu_sat_rounding_doubling_high_mul(x, one_minus), 2);
    }
    return x;
}

/* 1 / (1 + a) for a in [0, 1), Q0 in and out. */
static inline int32_t emu_one_over_one_plus_x(int32_t a)
{
    const int32_t x = emu_reciprocal_of_half_denominator(emu_rounding_half_sum(a, INT32_MAX));
    /* x / 2 is the result in Q1; Q1 -> Q0 */
    return emu_saturating_shift_left(x, 1);
}

/* (1 - a) / (1 + a) for a in [0, 1), Q0 in and out. */
static inline int32_t emu_one_minus_x_over_one_plus_x(int32_t a)
{
    const int32_t x = emu_reciprocal_of_half_denominator(emu_rounding_half_sum(a, INT32_MAX));
    /* 2 / (1 + a) - 1, Q2 -> Q0 */
    return emu_saturating_shift_left(x - (1 << 29), 2);
}

/* a + b and a - b saturated to the int32 range. */
static inline int32_t emu_saturating_add(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + b;
    return sum > INT32_MAX ? INT32_MAX : (sum < INT32_MIN ? INT32_MIN : (int32_t)sum);
}

static inline int32_t emu_saturating_sub(int32_t a, int32_t b)
{
    const int64_t difference = (int64_t)a - b;
    return difference > INT32_MAX ? INT32_MAX : (difference < INT32_MIN ? INT32_MIN : (int32_t)difference);
}

/* log(x) for x >= 1 given in Q(input_bits), result in Q(output_bits) (TFLite's
 * log_x_for_x_greater_than_or_equal_to_1, which LOG_SOFTMAX uses). x = 2^k * m: the exponent k
 * is read from x's leading zeros, twice (from x and from x * sqrt(1/2)), and of the two splits
 * the one whose mantissa is nearer sqrt(sqrt(1/2)) is kept; log(m) comes from a rational
 * approximation around that point, (k +- 1/4) * log(2) is added, both in Q(output_bits + 1). */
static inline int32_t emu_log_x_for_x_at_least_1(int32_t x, int input_bits, int output_bits)
{
    const int accum_bits = output_bits + 1;
    const int32_t log_2 = 1488522236;          /* log(2) in Q0 */
    const int32_t sqrt_sqrt_half = 1805811301; /* sqrt(sqrt(1/2)) */
    const int32_t sqrt_half = 1518500250;      /* sqrt(1/2) */
    const int32_t alpha_n = 117049297;         /* 11/240 * 2^(1/4) */
    const int32_t alpha_d = 127690142;         /* 1/20 * 2^(1/4) */
    const int32_t alpha_i = 1057819769;        /* 2 / 2^(1/4) - 2^(1/4) */
    const int32_t alpha_f = 638450708;         /* 1/4 * 2^(1/4) */
    const int32_t quarter = emu_rounding_divide_by_pot(1 << 29, accum_bits); /* 1/4 in Q(accum_bits) */

    /* split a: x's raw bits shifted up to [1/2, 1), times sqrt(1/2) times 2; exponent + 1/4 */
    const int lead_a = emu_clz32((uint32_t)x);
    const int32_t mantissa_a = emu_saturating_shift_left(
        emu_sat_rounding_doubling_high_mul(emu_saturating_shift_left(x, lead_a - 1), sqrt_half), 1);
    const int32_t exponent_a = emu_saturating_add(
        emu_saturating_shift_left(input_bits - lead_a, 31 - accum_bits), quarter);
    /* split b: the same from x * sqrt(1/2); exponent - 1/4 */
    const int lead_b = emu_clz32((uint32_t)emu_sat_rounding_doubling_high_mul(x, sqrt_half)) - 1;
    const int32_t mantissa_b = emu_saturating_shift_left(x, lead_b);
    const int32_t exponent_b = emu_saturating_sub(
        emu_saturating_shift_left(input_bits - lead_b, 31 - accum_bits), quarter);
    const int32_t r = mantissa_a < mantissa_b ? mantissa_a : mantissa_b;
    const int32_t exponent = exponent_a > exponent_b ? exponent_a : exponent_b;

    /* log(r / sqrt(sqrt(1/2))) ~ num / (1 + denominator_minus_one) */
    const int32_t p = emu_rounding_half_sum(r, sqrt_sqrt_half);
    int32_t q = r - sqrt_sqrt_half;
    q = q + q;
    const int32_t q_squared = emu_sat_rounding_doubling_high_mul(q, q);
    const int32_t num = emu_sat_rounding_doubling_high_mul(q, r) +
                        emu_sat_rounding_doubling_high_mul(emu_sat_rounding_doubling_high_mul(q, q_squared), alpha_n);
    const int32_t denominator_minus_one =
        emu_sat_rounding_doubling_high_mul(p, alpha_i + q + emu_sat_rounding_doubling_high_mul(alpha_d, q_squared)) +
        emu_sat_rounding_doubling_high_mul(alpha_f, q);
    const int32_t reciprocal = emu_one_over_one_plus_x(denominator_minus_one);
    const int32_t log_accum = emu_sat_rounding_doubling_high_mul(exponent, log_2) +
                              emu_sat_rounding_doubling_high_mul(emu_rounding_divide_by_pot(num, accum_bits),
                                                                 reciprocal);
    return emu_saturating_shift_left(log_accum, accum_bits - output_bits);
}

/* 1 / (1 + exp(-a)) for a in Q(integer_bits), result in Q0. */
static inline int32_t emu_logistic_fixed(int32_t a, int integer_bits)
{
    if (a == 0) {
        return 1 << 30; /* 1/2 */
    }
    const int32_t minus_abs = a > 0 ? -a : a;
    const int32_t of_abs = emu_one_over_one_plus_x(emu_exp_on_negative_values(minus_abs, integer_bits));
    return a > 0 ? of_abs : INT32_MAX - of_abs;
}

/* tanh(a) for a in Q(integer_bits), result in Q0: (1 - exp(-2|a|)) / (1 + exp(-2|a|)). */
static inline int32_t emu_tanh_fixed(int32_t a, int integer_bits)
{
    if (a == 0) {
        return 0;
    }
    const int32_t minus_abs = a > 0 ? -a : a;
    /* the same raw value read with one more integer bit is 2 * minus_abs */
    const int32_t of_abs = emu_one_minus_x_over_one_plus_x(
        emu_exp_on_negative_values(minus_abs, integer_bits + 1));
    return a > 0 ? of_abs : -of_abs;
}

/* 1 / sqrt(input) as a multiplier and left shift for emu_multiply_by_quantized_multiplier,
 * input >= 0 (TFLite's GetInvSqrtQuantizedMultiplierExp, used by RSQRT and L2_NORMALIZATION on
 * int8). 0 and 1 both give the largest multiplier. Otherwise the input is scaled by a power of
 * 4 into [2^27, 2^29), read as Q3, and five Newton-Raphson steps x <- 1.5 x - (input/2) x^3
 * from x = 1 approach 1/sqrt; the factor sqrt(2)/2 and the shift undo the scaling. */
static inline void emu_inv_sqrt_multiplier(int32_t input, int32_t *multiplier, int *shift)
{
    if (input <= 1) {
        *multiplier = INT32_MAX;
        *shift = 0;
        return;
    }
    int right = 11;
    while (input >= (1 << 29)) {
        input /= 4;
        right++;
    }
    const int pairs = (emu_clz32((uint32_t)input) - 1) / 2 - 1;
    right -= pairs;
    input <<= 2 * pairs;
    const int32_t q3_input = input >> 1;
    const int32_t half_input = emu_rounding_divide_by_pot(q3_input, 1);
    const int32_t one_and_a_half = (1 << 28) + (1 << 27); /* Q3 */
    int32_t x = 1 << 28;                                  /* 1.0 in Q3 */
    for (int i = 0; i < 5; i++) {
        /* Q3 * Q3 * Q3 is Q9, back to Q3; Q3 * Q3 is Q6, back to Q3 */
        const int32_t x3 = emu_saturating_shift_left(
            emu_sat_rounding_doubling_high_mul(emu_sat_rounding_doubling_high_mul(x, x), x), 6);
        x = emu_saturating_shift_left(emu_sat_rounding_doubling_high_mul(one_and_a_half, x)
                                      - emu_sat_rounding_doubling_high_mul(half_input, x3), 3);
    }
    x = emu_sat_rounding_doubling_high_mul(x, 1518500250); /* sqrt(2)/2 in Q0 */
    if (right < 0) {
        x = (int32_t)((uint32_t)x << -right);
        right = 0;
    }
    *multiplier = x;
    *shift = -right;
}

/* C's roundf() (halves away from zero) without libm. The fraction of a float is exact,
 * so comparing it with 1/2 decides as roundf() does. |x| must be below 2^31: callers clamp
 * to their output range first. */
static inline int32_t emu_round_f32(float x)
{
    const int32_t whole = (int32_t)x;
    const float fraction = x - (float)whole;
    if (fraction >= 0.5f) {
        return whole + 1;
    }
    if (fraction <= -0.5f) {
        return whole - 1;
    }
    return whole;
}

/* emu_multiply_by_quantized_multiplier(acc, multiplier, shift), the same integers in fewer
 * instructions; used by the int8 kernels that rescale one
 * accumulator per output (convolutions, fully connected). It relies on two facts: the multiplier is in [0, 2^31) (quantize_multiplier
 * never makes INT32_MIN), so the doubling high multiply never saturates, and for either sign
 * its division by 2^31 rounding halves away (with the -2^30 + 1 nudge for negative products)
 * equals floor((product + 2^30) / 2^31), one 64-bit add and shift. The rounding right shift
 * compares the remainder with its threshold instead of adding a bias, so it cannot overflow.
 * Right shifts of negative values are arithmetic on every compiler emu supports. */
static inline int32_t emu_rescale(int32_t acc, int32_t multiplier, int shift)
{
    const int left = shift & ~(shift >> 31);     /* max(shift, 0) */
    const int right = left - shift;              /* max(-shift, 0) */
    const int64_t product = (int64_t)(int32_t)((uint32_t)acc << left) * multiplier;
    const int32_t high = (int32_t)((product + (1LL << 30)) >> 31);
    const int32_t mask = (int32_t)((1u << right) - 1u);
    const int32_t threshold = (mask >> 1) + (high < 0);
    return (high >> right) + ((high & mask) > threshold);
}

/* An int8 output's fixed-point parameters, one multiplier and shift per channel. Kernels
 * copy them out of their params struct before looping: stores through int8_t pointers may
 * alias anything, so fields read in a loop would be reloaded after every output written. */
typedef struct {
    const int32_t *multiplier;
    const int8_t *shift;
    int32_t offset, lo, hi;
} emu_output_quant;

/* Accumulator -> int8 output value, for a channel's multiplier and shift. Kernels read a
 * channel's multiplier and shift once and requantize all its outputs before storing any. */
static inline int32_t emu_output_s8(const emu_output_quant *q, int32_t acc, int32_t multiplier, int shift)
{
    acc = emu_rescale(acc, multiplier, shift) + q->offset;
    acc = acc < q->lo ? q->lo : acc;
    return acc > q->hi ? q->hi : acc;
}

#endif
