"""The optimized kernels' rescale, made exact for every output channel: channels whose int8
output is one value for every input get a rescale of their own that gives that value.

The optimized kernels (emu/firmware/kernels/optimized/emu_dsp.h and emu_mve.h) compute TFLM's
MultiplyByQuantizedMultiplier with an exact rewrite that needs acc << (max(shift, 0) + 1) to
fit int32. Trained models carry channels that fail it: pruned channels with an all-zero filter
and a bias near 2^31 (vww_96_int8 has hundreds, with shifts -24 to -31). Their output is a
constant, so refusing the whole layer over them would be a loss for nothing.

Why a channel's output is a constant, for every input: its accumulator is
folded_bias + sum w[k] * x[k] with every x[k] an int8 (an input, or the input zero point in
the padding), so it lies in [folded_bias + low, folded_bias + high], low = -128 P - 127 N,
high = 127 P + 128 N (P the sum of the positive weights, N that of the negatives' magnitudes).
TFLM's output clamp(MultiplyByQuantizedMultiplier(acc) + offset, act_min, act_max) does not
decrease as acc grows (a positive multiplier; every rounding and the clamp are monotone, and
no shift overflows where this is applied), so where it is equal at both ends, K, it is K for
every input.

The rescale that gives K: multiplier 2^30 with shift 1 is the identity,
(2a * 2^30 + nudge) / 2^31 = a, and the kernels' rewrite of it is exact while a << 2 fits
int32. With a folded bias B the kernel's value is then clamp(B + t + offset) for the weight
term t in [low, high], which is K for every t when
- the filter is all zeros (t = 0): B = K - offset;
- K is act_max: B = act_max - offset - low (every sum is at or above act_max);
- K is act_min: B = act_min - offset - high (every sum is at or below act_min).
A channel whose multiplier is 0 (a rescale below 2^-31) always fits: the high multiply is 0
whatever the shift did to the accumulator, as in TFLM.

The DSP convolution kernels go further (skip_constant_channels): a constant channel is marked
with CONSTANT_SHIFT, its folded bias is its output, and the filter they read leaves its row
out, so a pruned channel costs neither multiplies nor flash.
"""

from __future__ import annotations

import numpy as np

from emu.compile.kernel_call import ConstArray
from emu.compile.quant import INT32_MAX, INT32_MIN, multiply_by_quantized_multiplier

IDENTITY = (1 << 30, 1)  # multiplier, shift: MultiplyByQuantizedMultiplier(a, 2^30, 1) == a
CONSTANT_SHIFT = -128  # EMU_DSP_CONSTANT_SHIFT (emu_dsp.h): the channel's folded bias is its output


def weight_term_range(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per channel (rows [channels, weights]), the least and greatest sum w[k] * x[k] over int8 x."""
    w = rows.astype(np.int64)
    positive, negative = np.where(w > 0, w, 0).sum(axis=1), np.where(w < 0, -w, 0).sum(axis=1)
    return -128 * positive - 127 * negative, 127 * positive + 128 * negative


def reference_output(acc: int, multiplier: int, shift: int, offset: int, lo: int, hi: int) -> int:
    """TFLM's int8 output of one accumulator."""
    return max(lo, min(hi, multiply_by_quantized_multiplier(acc, multiplier, shift) + offset))


def _fits(bound: int, shift: int) -> bool:
    return bound << (max(shift, 0) + 1) <= INT32_MAX


def constant_output(bias: int, low: int, high: int, multiplier: int, shift: int, offset: int,
                    lo: int, hi: int) -> int | None:
    """The one int8 value a channel outputs for every input, or None when it has more than one
    (or when TFLM's own shift would overflow, where the output is not monotone)."""
    first, last = bias + low, bias + high
    if first < INT32_MIN or last > INT32_MAX or max(abs(first), abs(last)) << max(shift, 0) > INT32_MAX:
        return None
    y = reference_output(first, multiplier, shift, offset, lo, hi)
    return y if y == reference_output(last, multiplier, shift, offset, lo, hi) else None


def exact_rescale(params: dict, rows: np.ndarray) -> dict | str:
    """The folded bias, multipliers and shifts the optimized kernels compute TFLM's outputs
    with (params: a reference call's int8 parameters; rows [channels, weights]: each output
    channel's filter), or why one channel cannot have them."""
    bias = params["folded_bias"].values.astype(np.int64)
    multiplier = params["multiplier"].values.astype(np.int64)
    shift = params["shift"].values.astype(np.int64)
    offset, lo, hi = int(params["output_offset"]), int(params["act_min"]), int(params["act_max"])
    low, high = weight_term_range(rows)
    bound = np.maximum(np.abs(bias + low), np.abs(bias + high))
    new_bias, new_multiplier, new_shift = bias.copy(), multiplier.copy(), shift.copy()
    for c in range(len(bias)):
        if multiplier[c] == 0 or _fits(int(bound[c]), int(shift[c])):
            continue
        k = constant_output(int(bias[c]), int(low[c]), int(high[c]), int(multiplier[c]), int(shift[c]),
                            offset, lo, hi)
        if k is None:
            return (f"channel {c}: its accumulator reaches {int(bound[c]):,}, which shifted left by "
                    f"{max(int(shift[c]), 0) + 1} overflows the optimized rescale, and its output is not a constant")
        if low[c] == high[c] == 0:
            b = k - offset
        elif k == hi:
            b = hi - offset - int(low[c])
        elif k == lo:
            b = lo - offset - int(high[c])
        else:
            return f"channel {c}: its output is the constant {k}, inside the activation range, with a nonzero filter"
        if not _fits(max(abs(b + int(low[c])), abs(b + int(high[c]))), IDENTITY[1]):
            return f"channel {c}: its filter's sums are too large for the optimized rescale"
        new_bias[c], (new_multiplier[c], new_shift[c]) = b, IDENTITY
    return {"folded_bias": ConstArray("int32_t", new_bias.astype(np.int32)),
            "multiplier": ConstArray("int32_t", new_multiplier.astype(np.int32)),
            "shift": ConstArray("int8_t", new_shift.astype(np.int8))}


def skip_constant_channels(params: dict, rows: np.ndarray) -> tuple[dict, np.ndarray] | str | None:
    """For the kernels that skip constant channels: the parameters with every constant channel
    marked (CONSTANT_SHIFT, its output as its folded bias), and the rows of the other channels,
    which must fit the optimized rescale; None when no channel is constant or every one is (a
    filter of no rows), or why a channel that is not constant does not fit."""
    bias = params["folded_bias"].values.astype(np.int64)
    multiplier = params["multiplier"].values.astype(np.int64)
    shift = params["shift"].values.astype(np.int64)
    offset, lo, hi = int(params["output_offset"]), int(params["act_min"]), int(params["act_max"])
    low, high = weight_term_range(rows)
    constant = np.zeros(len(bias), dtype=bool)
    new_bias, new_multiplier, new_shift = bias.copy(), multiplier.copy(), shift.copy()
    for c in range(len(bias)):
        k = constant_output(int(bias[c]), int(low[c]), int(high[c]), int(multiplier[c]), int(shift[c]),
                            offset, lo, hi)
        if k is not None:
            constant[c] = True
            new_bias[c], new_multiplier[c], new_shift[c] = k, 0, CONSTANT_SHIFT
            continue
        bound = max(abs(int(bias[c] + low[c])), abs(int(bias[c] + high[c])))
        if multiplier[c] != 0 and not _fits(bound, int(shift[c])):
            return (f"channel {c}: its accumulator reaches {bound:,}, which shifted left by "
                    f"{max(int(shift[c]), 0) + 1} overflows the optimized rescale, and its output is not a constant")
    if constant.all() or not constant.any():
        return None
    return ({"folded_bias": ConstArray("int32_t", new_bias.astype(np.int32)),
             "multiplier": ConstArray("int32_t", new_multiplier.astype(np.int32)),
             "shift": ConstArray("int8_t", new_shift.astype(np.int8))}, rows[~constant])
