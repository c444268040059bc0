"""BATCH_MATMUL: the compile-time half of emu/firmware/kernels/batch_matmul.c.

TFLM takes float32, int8 and int16 (zero points 0), both operands and the output of one
type, ranks 2 to 5, batch dimensions that broadcast (equal, or one of them 1), and either
operand constant or computed. Where TFLM transposes an operand into a buffer of its own
(the right-hand side unless adj_y, the left-hand side if adj_x), emu reads it in place with
the steps computed here. int8 and int16 rescale by one multiplier, from the float32 product
of the input scales (TFLM's GetQuantizedConvolutionMultipler).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.quant import quantize_multiplier
from emu.model.graph import Graph, Operator

OPERATORS = ("BATCH_MATMUL",)

TYPES = ("float32", "int8", "int16")  # TFLM's batch_matmul.cc
MIN_RANK, MAX_RANK = 2, 5
BATCH_DIMS = MAX_RANK - 2


def _steps(shape: tuple[int, ...]) -> list[int]:
    return [math.prod(shape[i + 1:]) for i in range(len(shape))]


def lower(op: Operator, graph: Graph) -> KernelCall:
    lhs, rhs, y = graph.tensor(op.inputs[0]), graph.tensor(op.inputs[1]), graph.tensor(op.outputs[0])
    if lhs.dtype not in TYPES or rhs.dtype != lhs.dtype or y.dtype != lhs.dtype:
        raise UnsupportedOperator(f"{lhs.dtype} x {rhs.dtype} -> {y.dtype} (TFLM takes {', '.join(TYPES)}, "
                                  "both operands and the output of one type)")
    for what, t in (("left-hand", lhs), ("right-hand", rhs)):
        if not MIN_RANK <= len(t.shape) <= MAX_RANK:
            raise UnsupportedOperator(f"a rank-{len(t.shape)} {what} side (TFLM takes ranks {MIN_RANK} to {MAX_RANK})")
    adj_x, adj_y = bool(op.options.get("adj_x", False)), bool(op.options.get("adj_y", False))
    l_shape = (1,) * (MAX_RANK - len(lhs.shape)) + tuple(int(d) for d in lhs.shape)
    r_shape = (1,) * (MAX_RANK - len(rhs.shape)) + tuple(int(d) for d in rhs.shape)
    rows, depth = (l_shape[4], l_shape[3]) if adj_x else (l_shape[3], l_shape[4])
    r_depth, cols = (r_shape[4], r_shape[3]) if adj_y else (r_shape[3], r_shape[4])
    if depth != r_depth:
        raise UnsupportedOperator(f"a {list(lhs.shape)} by {list(rhs.shape)} product (adj_x={adj_x}, "
                                  f"adj_y={adj_y}): the depths {depth} and {r_depth} differ")
    batches = []
    for a, b in zip(l_shape[:BATCH_DIMS], r_shape[:BATCH_DIMS], strict=True):
        if a != b and 1 not in (a, b):
            raise UnsupportedOperator(f"batch dimensions of {list(lhs.shape)} and {list(rhs.shape)} that do not "
                                      "broadcast")
        batches.append(max(a, b))
    if y.size != math.prod(batches) * rows * cols:
        raise UnsupportedOperator(f"an output of shape {list(y.shape)} for a {list(lhs.shape)} by "
                                  f"{list(rhs.shape)} product")
    l_steps, r_steps = _steps(l_shape), _steps(r_shape)
    params = {
        "batches": batches,
        "lhs_batch_step": [s if d != 1 else 0 for d, s in zip(l_shape[:BATCH_DIMS], l_steps, strict=False)],
        "rhs_batch_step": [s if d != 1 else 0 for d, s in zip(r_shape[:BATCH_DIMS], r_steps, strict=False)],
        "rows": rows, "cols": cols, "depth": depth,
        "lhs_row_step": 1 if adj_x else depth, "lhs_depth_step": rows if adj_x else 1,
        "rhs_depth_step": 1 if adj_y else cols, "rhs_col_step": depth if adj_y else 1,
    }
    macs = math.prod(batches) * rows * cols * depth
    args = [lhs.index, rhs.index, y.index]
    if lhs.dtype == "float32":
        return KernelCall("emu_batch_matmul_f32", "batch_matmul.h", "emu_batch_matmul_f32_params", params, args,
                          macs=macs)
    quant = [t.quantization for t in (lhs, rhs, y)]
    if any(q is None or not q.scale for q in quant):
        raise UnsupportedOperator(f"{lhs.dtype} tensors without quantization parameters")
    if any(len(q.scale) != 1 for q in quant):
        raise UnsupportedOperator("per-channel quantized operands (TFLM's kernel uses one scale per tensor)")
    zeros = [int(q.zero_point[0]) for q in quant]
    if lhs.dtype == "int16" and any(zeros):
        raise UnsupportedOperator(f"int16 zero points {zeros} (TFLM requires 0)")
    product = np.float32(quant[0].scale[0]) * np.float32(quant[1].scale[0])
    multiplier, shift = quantize_multiplier(float(product) / float(quant[2].scale[0]))
    if lhs.dtype == "int16" and shift >= 15:
        raise UnsupportedOperator(f"a rescale by 2^{shift}, more than a 64-bit rescale shifts (2^14)")
    params.update({"lhs_offset": -zeros[0], "rhs_offset": -zeros[1], "output_offset": zeros[2],
                   "multiplier": multiplier, "shift": shift})
    function = "emu_batch_matmul_s8" if lhs.dtype == "int8" else "emu_batch_matmul_s16"
    return KernelCall(function, "batch_matmul.h", "emu_batch_matmul_int_params", params, args, macs=macs)


# The DSP kernel's four terms (the products, each row's and column's sum times the other
# side's offset, the offsets' product times the depth) are each at most 128 x 128 per element
# of the depth in magnitude, so its partial sums stay inside int32 up to this depth.
DSP_MAX_DEPTH = (2**31 - 1) // (4 * 128 * 128)


def optimize(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | str:
    """int8: one plain int8 dot product per output with SMLAD, the zero points applied through
    each lhs row's and rhs column's sum, rows and columns first copied contiguous into scratch
    (emu/firmware/kernels/optimized/batch_matmul_dsp.c); or why not."""
    if call.function != "emu_batch_matmul_s8":
        return "float32 and int16: the DSP kernel is int8"
    p = call.params
    if p["depth"] > DSP_MAX_DEPTH:
        return f"a depth of {p['depth']}, above {DSP_MAX_DEPTH}: the DSP kernel's sums could leave int32"
    return replace(call, function="emu_batch_matmul_s8_dsp", header="batch_matmul_dsp.h", path="batch_matmul/dsp",
                   scratch_bytes=(p["rows"] + p["cols"]) * (4 + p["depth"]))


def _largest_product(offset: int) -> int:
    """The largest |v + offset| over int8 v."""
    return max(abs(-128 + offset), abs(127 + offset))


def helium(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | str:
    """int8 with VMLADAVA, four columns per pass over each lhs row, on the DSP kernel's
    contiguous runs and sums (emu/firmware/kernels/optimized/batch_matmul_mve.c); or why not."""
    dsp = optimize(op, graph, call)
    if isinstance(dsp, str):
        return dsp
    p = call.params
    # emu_mve.h's rescale is exact while the sum shifted left by max(shift, 0) + 1 fits int32
    bound = p["depth"] * _largest_product(p["lhs_offset"]) * _largest_product(p["rhs_offset"])
    if bound << (max(p["shift"], 0) + 1) > 2**31 - 1:
        return (f"sums up to {bound:,} shifted left by {max(p['shift'], 0) + 1}: the Helium kernel's rescale "
                "could overflow")
    return replace(dsp, function="emu_batch_matmul_s8_mve", header="batch_matmul_mve.h", path="batch_matmul/mve")
