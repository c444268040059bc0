"""Quantization arithmetic done at compile time, exactly as TFLM does it at Prepare time.

TFLM turns real-valued scales into an int32 multiplier and a power-of-two shift with
frexp in double precision (TFLite quantization spec; tensorflow/lite/kernels/internal/
quantization_util). Doing the same in Python doubles gives the same integers, which is
what makes the firmware's integer results bit-identical.
"""

from __future__ import annotations

import functools
import math

import numpy as np

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

# The largest left shift a multiplier may carry: the kernels (TFLM's too) shift an int32 by
# it, and a shift past 31 bits is undefined in C and meaningless in the result.
MAX_LEFT_SHIFT = 31


class RescaleOutOfRange(ValueError):
    """A real multiplier (a ratio of the model's scales) that no int32 fixed-point rescale can
    represent: the operator cannot be computed as TFLM computes it."""


def round_half_away(x: float) -> int:
    """C's round(): halves go away from zero (Python's round() goes to even)."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def quantize_multiplier(real: float) -> tuple[int, int]:
    """real ~= multiplier * 2**(shift - 31), multiplier in [2**30, 2**31)."""
    if real == 0.0:
        return 0, 0
    if not math.isfinite(real):
        raise RescaleOutOfRange(f"a rescale by {real:g} cannot be computed: the scales are out of proportion")
    mantissa, shift = math.frexp(real)
    fixed = round_half_away(mantissa * (1 << 31))
    if fixed == (1 << 31):
        fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > MAX_LEFT_SHIFT:
        raise RescaleOutOfRange(f"a rescale by {real:g} is too large for 32-bit fixed point "
                                f"(at most 2^{MAX_LEFT_SHIFT}): the scales are out of proportion")
    return fixed, shift


def saturating_rounding_doubling_high_mul(a: int, b: int) -> int:
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    # C integer division truncates toward zero
    num = ab + nudge
    q = abs(num) // (1 << 31)
    return q if num >= 0 else -q


def rounding_divide_by_pot(x: int, exponent: int) -> int:
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def multiply_by_quantized_multiplier(x: int, multiplier: int, shift: int) -> int:
    """The integer rescale every int8 kernel applies to its int32 accumulator."""
    left = shift if shift > 0 else 0
    right = -shift if shift < 0 else 0
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x * (1 << left), multiplier), right)


def activation_range_int8(activation: str, scale: float, zero_point: int,
                          bounds: tuple[int, int] = (-128, 127)) -> tuple[int, int]:
    """Clamp bounds for a fused activation on an int8 output (TFLM CalculateActivationRangeQuantized);
    `bounds` the type's range for another integer type (int16)."""
    lo, hi = bounds

    def q(v: float) -> int:
        # TFLM divides in float32 (CalculateActivationRangeQuantized), not in double
        return zero_point + round_half_away(float(np.float32(v) / np.float32(scale)))

    if activation == "RELU":
        lo = max(lo, q(0.0))
    elif activation == "RELU6":
        lo, hi = max(lo, q(0.0)), min(hi, q(6.0))
    elif activation == "RELU_N1_TO_1":
        lo, hi = max(lo, q(-1.0)), min(hi, q(1.0))
    elif activation != "NONE":
        raise ValueError(f"fused activation {activation} has no int8 form")
    return lo, hi


def activation_range_float(activation: str) -> tuple[float, float]:
    inf = float("inf")
    return {
        "NONE": (-inf, inf), "RELU": (0.0, inf), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0),
    }[activation]


def quantize_multiplier_smaller_than_one(real: float) -> tuple[int, int]:
    """quantize_multiplier for 0 < real < 1: the shift is never positive."""
    if not 0.0 < real < 1.0:  # TFLM aborts on these (TFLITE_CHECK_LT)
        raise RescaleOutOfRange(f"a rescale by {real:g} must lie between 0 and 1: the scales are out of proportion")
    return quantize_multiplier(real)


def quantize_multiplier_greater_than_one(real: float) -> tuple[int, int]:
    """quantize_multiplier for real > 1: the shift is a left shift, never negative."""
    if not real > 1.0:
        raise RescaleOutOfRange(f"a rescale by {real:g} must be above 1: the scales are out of proportion")
    return quantize_multiplier(real)


def calculate_input_radius(integer_bits: int, left_shift: int, total_signed_bits: int = 31) -> int:
    """Largest input (in input steps) whose rescaled value still fits the fixed-point format.

    A fixed-point function with `integer_bits` integer bits sees inputs multiplied by
    2**left_shift; anything beyond this radius saturates it, so kernels short-cut there.
    """
    max_input_rescaled = ((1 << integer_bits) - 1) * 2.0 ** (total_signed_bits - integer_bits) / 2.0 ** left_shift
    return math.floor(max_input_rescaled)


def float_to_quantized_int8(value: float, scale: float, zero_point: int,
                            bounds: tuple[int, int] = (-128, 127)) -> int:
    """A float constant in an int8 tensor's quantization, divided in float32 as TFLM does;
    `bounds` the type's range for another integer type (int16)."""
    q = round_half_away(float(np.float32(value) / np.float32(scale))) + zero_point
    return max(bounds[0], min(bounds[1], q))


# ---- int16 lookup tables -----------------------------------------------------------------

LUT_INT16_STEPS = 512  # a 513-entry table: 9 bits of an int16 index it, 7 interpolate


@functools.lru_cache(maxsize=1)
def _libm_expf():
    """The C library's expf: TFLM builds its tables with std::exp on floats, and NumPy's own
    float32 exp may differ from it in the last bit."""
    import ctypes
    import ctypes.util

    libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    libm.expf.restype = ctypes.c_float
    libm.expf.argtypes = [ctypes.c_float]
    return lambda v: np.float32(libm.expf(float(v)))


def expf(value: np.float32) -> np.float32:
    """exp of a float32, as the C library computes it."""
    return _libm_expf()(value)


def _roundf(v: np.float32) -> np.float32:
    return np.float32(round_half_away(float(v)))


def lut_int16(input_scale: np.float32, input_zero_point: int, output_scale: np.float32, output_zero_point: int,
              transform) -> np.ndarray:
    """TFLM's int16 table of `transform` (LUTPopulate<int16_t>): 512 samples over the input
    range, each corrected by half the error its interpolation makes at the midpoint, and the
    end point; every step in float32, as TFLM computes it. `transform` maps a float32 to a
    float32."""
    f = np.float32
    input_min = f(input_scale * f(-32768 - input_zero_point))
    input_max = f(input_scale * f(32767 - input_zero_point))
    output_min = f(output_scale * f(-32768 - output_zero_point))
    output_max = f(output_scale * f(32767 - output_zero_point))
    step = f((input_max - input_min) / f(LUT_INT16_STEPS))
    half_step = f(step / f(2))
    scaling_inv = f(f(65536) / f(output_max - output_min))

    def clamp(v: np.float32) -> int:
        return int(min(max(float(v), -32768.0), 32767.0))

    table = np.zeros(LUT_INT16_STEPS + 1, dtype=np.int16)
    for i in range(LUT_INT16_STEPS):
        at = f(input_min + f(f(i) * step))
        val = transform(at)
        val_midpoint = transform(f(at + half_step))
        val_next = transform(f(input_min + f(f(i + 1) * step)))
        sample = _roundf(f(val * scaling_inv))
        interpolated = _roundf(f(f(f(val_next * scaling_inv) + sample) / f(2)))
        midpoint = _roundf(f(val_midpoint * scaling_inv))
        bias = _roundf(f(f(interpolated - midpoint) / f(2)))
        table[i] = clamp(f(sample - bias))
    table[LUT_INT16_STEPS] = clamp(_roundf(f(transform(input_max) * scaling_inv)))
    return table
