"""SVDF: the compile-time half of emu/firmware/kernels/svdf.c.

The checks are TFLM's Prepare (svdf_common.cc): shapes, a variable state tensor, and for int8
an int32 bias whose scale is the state's times the time weights'. The two rescales are
computed as TFLM computes them: the scale products and quotients in float32, then widened to
double for the fixed-point multiplier.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from emu.compile.kernel_call import ConstArray, KernelCall, UnsupportedOperator
from emu.compile.ops.conv_2d import float_range, zero_point
from emu.compile.quant import quantize_multiplier
from emu.model.graph import Graph, Operator, Tensor

OPERATORS = ("SVDF",)
TYPES = ("float32", "int8")

_STATE_TYPES = {"int8": "emu_svdf_s8", "int16": "emu_svdf_s8_s16"}


def _scale(t: Tensor) -> np.float32:
    if t.quantization is None or t.quantization.per_channel:
        raise UnsupportedOperator(f"{t.dtype} tensor {t.index} needs one scale and zero point")
    return np.float32(t.quantization.scale[0])


def _shapes(op: Operator, graph: Graph) -> dict:
    if len(op.inputs) != 5:
        raise UnsupportedOperator(f"SVDF takes 5 inputs, got {len(op.inputs)}")
    x, wf, wt, bias, state = (graph.tensor(i) for i in op.inputs)
    y = graph.tensor(op.outputs[0])
    rank = int(op.options.get("rank", 0))
    if len(x.shape) != 2 or len(wf.shape) != 2 or len(wt.shape) != 2 or len(y.shape) != 2 or len(state.shape) != 2:
        raise UnsupportedOperator("input, weights, state and output must be 2-D")
    batches, input_size = x.shape
    filters, memory = wt.shape
    if rank < 1 or filters % rank or wf.shape != (filters, input_size):
        raise UnsupportedOperator(f"feature weights {list(wf.shape)} and time weights {list(wt.shape)} "
                                  f"do not fit input {list(x.shape)} with rank {rank}")
    units = filters // rank
    if y.shape != (batches, units) or state.shape != (batches, memory * filters):
        raise UnsupportedOperator(f"output {list(y.shape)} or state {list(state.shape)} does not fit "
                                  f"{batches} batches of {units} units with memory {memory}")
    if bias is not None and bias.shape[:1] != (units,):
        raise UnsupportedOperator(f"bias {list(bias.shape)} does not fit {units} units")
    if not (wf.is_constant and wt.is_constant and (bias is None or bias.is_constant)):
        raise UnsupportedOperator("the weights and bias must be constant tensors")
    if not state.variable or state.is_constant:
        raise UnsupportedOperator("the state (input 4) must be a variable tensor")
    return {"batches": batches, "input_size": input_size, "filters": filters, "units": units,
            "rank": rank, "memory": memory}


def lower(op: Operator, graph: Graph) -> KernelCall:
    shape = _shapes(op, graph)
    x, wf, wt, bias, state = (graph.tensor(i) for i in op.inputs)
    y = graph.tensor(op.outputs[0])
    macs = shape["batches"] * shape["filters"] * (shape["input_size"] + shape["memory"])
    args = [op.inputs[0], op.inputs[1], op.inputs[2], bias.index if bias else None, op.inputs[4], op.outputs[0]]
    scratch = shape["batches"] * shape["filters"] * 4
    if x.dtype == "float32":
        if not all(t.dtype == "float32" for t in (wf, wt, state, y) + ((bias,) if bias else ())):
            raise UnsupportedOperator("a float32 SVDF needs float32 weights, bias, state and output")
        return KernelCall("emu_svdf_f32", "svdf.h", "emu_svdf_f32_params", {**shape, **float_range(op)},
                          args, scratch_bytes=scratch, macs=macs)
    if x.dtype != "int8" or wf.dtype != "int8" or y.dtype != "int8":
        raise UnsupportedOperator(f"{x.dtype} input, {wf.dtype} feature weights, {y.dtype} output "
                                  "(supported: int8 or float32 throughout)")
    if wt.dtype != state.dtype or state.dtype not in _STATE_TYPES:
        raise UnsupportedOperator(f"{wt.dtype} time weights with a {state.dtype} state "
                                  "(supported: both int8 or both int16)")
    if bias is None or bias.dtype != "int32":
        raise UnsupportedOperator("an int8 SVDF needs an int32 bias")  # TFLM's Prepare reads its scale
    state_times_time = _scale(state) * _scale(wt)
    if abs(float(_scale(bias)) - float(state_times_time)) >= 1e-5:
        raise UnsupportedOperator("the bias scale must be the state scale times the time weights' scale")
    feature_multiplier, feature_shift = quantize_multiplier(float(_scale(x) * _scale(wf) / _scale(state)))
    output_multiplier, output_shift = quantize_multiplier(float(state_times_time / _scale(y)))
    params = {
        **shape, "input_offset": -zero_point(x), "state_zero_point": zero_point(state),
        "feature_multiplier": feature_multiplier, "feature_shift": feature_shift,
        "output_multiplier": output_multiplier, "output_shift": output_shift,
        "output_zero_point": zero_point(y),
    }
    scratch += shape["batches"] * shape["units"] * 4
    return KernelCall(_STATE_TYPES[state.dtype], "svdf.h", "emu_svdf_s8_params", params, args,
                      scratch_bytes=scratch, macs=macs)


# The reference sums weights x (value - zero point), each product up to 128 x 255 in magnitude;
# the optimized kernels start from the folded sum (up to 128 x 255 per element) and add
# weights x values (128 x 128 each). Both stay inside int32 for up to this many elements.
_FAST_MAX_LENGTH = (2**31 - 1) // (128 * 128 + 128 * 255)


def _fast_form(op: Operator, graph: Graph, call: KernelCall, form: str) -> KernelCall | str:
    """The int8 call with its optimized kernel (emu/firmware/kernels/optimized/svdf_dsp.c or svdf_mve.c): the
    input and state zero points folded into each filter's sums at compile time; or why not."""
    if call.function == "emu_svdf_f32":
        return "float32: the optimized kernels are int8"
    int16_state = call.function == "emu_svdf_s8_s16"
    p = call.params
    # With an int16 state the time sums are the reference's int32 sums, wrapping as they do
    # (SMLAD and VMLADAVA.S16 sum modulo 2^32, and so does the folded zero point): only the feature
    # sums are bounded.
    lengths = [p["input_size"]] if int16_state else [p["input_size"], p["memory"]]
    if max(lengths) > _FAST_MAX_LENGTH:
        return f"inputs or memory above {_FAST_MAX_LENGTH}: the folded sums could leave int32"
    feature = graph.tensor(op.inputs[1]).data.astype(np.int64).sum(axis=1)
    time = graph.tensor(op.inputs[2]).data.astype(np.int64).sum(axis=1)
    params = {k: v for k, v in p.items() if k != "input_offset"}
    params["feature_bias"] = ConstArray("int32_t", (p["input_offset"] * feature).astype(np.int32))
    params["time_bias"] = ConstArray("int32_t", (-p["state_zero_point"] * time).astype(np.int32))
    function, path = (f"emu_svdf_s8_s16_{form}", f"svdf/{form}-s16") if int16_state else (f"emu_svdf_s8_{form}",
                                                                                         f"svdf/{form}")
    return replace(call, function=function, header=f"svdf_{form}.h",
                   params_type="emu_svdf_s8_fast_params", params=params, path=path,
                   scratch_bytes=p["batches"] * p["filters"] * 4)


def optimize(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | str:
    """int8 with an int8 state, with SMLAD in the feature and time dot products and the state
    shifted a word at a time; with an int16 state, the time dot products two int16 products per
    SMLAD and the state shifted two values a word (emu/firmware/kernels/optimized/svdf_dsp.c); or
    why not."""
    return _fast_form(op, graph, call, "dsp")


def helium(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | str:
    """int8 with an int8 state, with VMLADAVA in the feature and time dot products and the state
    shifted sixteen bytes at a time; with an int16 state, the time dot products VMLADAVA.S16 and
    the state shifted eight values at a time (emu/firmware/kernels/optimized/svdf_mve.c); or why
    not."""
    return _fast_form(op, graph, call, "mve")
