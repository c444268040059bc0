"""UNIDIRECTIONAL_SEQUENCE_LSTM: the compile-time half of emu/firmware/kernels/lstm.c.

The checks are TFLM's Prepare (unidirectional_sequence_lstm.cc, lstm_eval_common.cc): 24
inputs, no peephole, projection or layer-norm tensors, the hidden and cell states variable
tensors. int8 runs TFLM's integer LSTM: each gate's fully connected layers rescaled to int16
with scale 2^-12 (Q3.12, the input of the int16 sigmoid and tanh), gate outputs in Q0.15, an
int16 cell state whose scale is a power of two. int16 (TFLM's 16x8 form: int16 input, output
and hidden state, int8 weights, int64 biases) runs the same steps, its fully connected layers
summed in int64 and rescaled by TFLM's 64-bit MultiplyByQuantizedMultiplier. float32 runs the
same steps in float.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from emu.compile.kernel_call import ConstArray, KernelCall, UnsupportedOperator
from emu.compile.ops.conv_2d import S64_MAX_SHIFT, fold_bias, zero_point
from emu.compile.quant import quantize_multiplier, round_half_away
from emu.model.graph import Graph, Operator, Tensor

OPERATORS = ("UNIDIRECTIONAL_SEQUENCE_LSTM",)
TYPES = ("float32", "int8", "int16")

INPUT, HIDDEN, CELL = 0, 18, 19
WEIGHTS = range(1, 9)  # input-to-{input, forget, cell, output}, then recurrent-to-...
BIASES = range(12, 16)  # {input, forget, cell, output} gate biases
ABSENT = (*range(9, 12), 16, 17, *range(20, 24))  # peepholes, projection, layer norm

GATE_INPUT_SCALE = 2.0**-12  # the gates' fully connected outputs: Q3.12
GATE_OUTPUT_SCALE = 2.0**-15  # sigmoid and tanh outputs: Q0.15


def _scale(t: Tensor) -> np.float32:
    q = t.quantization
    if q is None or q.per_channel:
        raise UnsupportedOperator(f"{t.dtype} tensor {t.index} needs one scale and zero point "
                                  "(TFLM's LSTM has no per-channel weights)")
    return np.float32(q.scale[0])


def _sizes(op: Operator, graph: Graph) -> dict:
    if len(op.inputs) != 24 or len(op.outputs) != 1:
        raise UnsupportedOperator(f"takes 24 inputs and 1 output, got {len(op.inputs)} and {len(op.outputs)}")
    present = [i for i in ABSENT if op.inputs[i] >= 0]
    if present:
        raise UnsupportedOperator(f"inputs {present} (peephole, projection or layer normalization) are given; "
                                  "TFLM runs the LSTM without them")
    missing = [i for i in (INPUT, *WEIGHTS, *BIASES, HIDDEN, CELL) if op.inputs[i] < 0]
    if missing:
        raise UnsupportedOperator(f"inputs {missing} are absent (TFLM needs every gate, no CIFG)")
    x, y = graph.tensor(op.inputs[INPUT]), graph.tensor(op.outputs[0])
    hidden, cell = graph.tensor(op.inputs[HIDDEN]), graph.tensor(op.inputs[CELL])
    if len(x.shape) != 3 or len(y.shape) != 3 or len(hidden.shape) != 2:
        raise UnsupportedOperator("the input and output must be 3-D and the hidden state 2-D")
    time_major = bool(op.options.get("time_major", False))
    steps, batches = (x.shape[0], x.shape[1]) if time_major else (x.shape[1], x.shape[0])
    input_size, units = x.shape[2], hidden.shape[1]
    for i in WEIGHTS:
        w = graph.tensor(op.inputs[i])
        want = (units, input_size if i < 5 else units)
        if w.shape != want or not w.is_constant:
            raise UnsupportedOperator(f"weights {i} must be a constant {list(want)}, got {list(w.shape)}")
    for i in BIASES:
        b = graph.tensor(op.inputs[i])
        if b.shape != (units,) or not b.is_constant:
            raise UnsupportedOperator(f"bias {i} must be a constant [{units}], got {list(b.shape)}")
    if hidden.size != batches * units or cell.size != batches * units:
        raise UnsupportedOperator(f"the states must hold {batches} x {units} values")
    if y.shape != (x.shape[0], x.shape[1], units):
        raise UnsupportedOperator(f"output {list(y.shape)} does not fit input {list(x.shape)} and {units} units")
    for state in (hidden, cell):
        if not state.variable or state.is_constant:
            raise UnsupportedOperator(f"the state tensor {state.index} must be a variable tensor")
    activation = op.options.get("fused_activation_function", "TANH")
    if activation not in ("TANH", "SIGMOID"):
        raise UnsupportedOperator(f"cell gate activation {activation} (TFLM runs TANH or SIGMOID)")
    return {"batches": batches, "steps": steps, "input_size": input_size, "units": units,
            "time_major": int(time_major), "cell_gate_sigmoid": int(activation == "SIGMOID")}


def lower(op: Operator, graph: Graph) -> KernelCall:
    sizes = _sizes(op, graph)
    x, y = graph.tensor(op.inputs[INPUT]), graph.tensor(op.outputs[0])
    hidden, cell = graph.tensor(op.inputs[HIDDEN]), graph.tensor(op.inputs[CELL])
    weights = [graph.tensor(op.inputs[i]) for i in WEIGHTS]
    biases = [graph.tensor(op.inputs[i]) for i in BIASES]
    args = [op.inputs[INPUT], [op.inputs[i] for i in WEIGHTS], [op.inputs[i] for i in BIASES],
            op.inputs[HIDDEN], op.inputs[CELL], op.outputs[0]]
    units, rows = sizes["units"], sizes["batches"] * sizes["steps"]
    macs = rows * 4 * units * (sizes["input_size"] + units)
    cell_clip = float(np.float32(op.options.get("cell_clip", 0.0)))
    if {t.dtype for t in (x, y, hidden, cell, *weights, *biases)} == {"float32"}:
        return KernelCall("emu_lstm_f32", "lstm.h", "emu_lstm_f32_params", {**sizes, "cell_clip": cell_clip},
                          args, scratch_bytes=4 * units * 4, macs=macs)
    form = _integer_form(x, y, hidden, cell, weights, biases)
    if any(w.quantization is None or any(w.quantization.zero_point) for w in weights):
        raise UnsupportedOperator("int8 weights must be symmetric (zero point 0)")
    params = {**sizes, **_folded_biases(form, x, hidden, weights, biases)}
    gates_in = [_fc_rescale(x, w) for w in weights[:4]]
    gates_rec = [_fc_rescale(hidden, w) for w in weights[4:]]
    if form == "int16" and max(s for _, s in gates_in + gates_rec) > S64_MAX_SHIFT:
        raise UnsupportedOperator(f"a gate's rescale shift is above {S64_MAX_SHIFT}: TFLM's 64-bit rescale "
                                  "does not take it")
    params["input_multiplier"] = [m for m, _ in gates_in]
    params["input_shift"] = [s for _, s in gates_in]
    params["recurrent_multiplier"] = [m for m, _ in gates_rec]
    params["recurrent_shift"] = [s for _, s in gates_rec]
    cell_scale = _scale(cell)
    params["forget_multiplier"], params["forget_shift"] = _mul_rescale(GATE_OUTPUT_SCALE, cell_scale, cell_scale)
    params["update_multiplier"], params["update_shift"] = _mul_rescale(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE,
                                                                       cell_scale)
    params["hidden_multiplier"], params["hidden_shift"] = _mul_rescale(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE,
                                                                       _scale(hidden))
    params["hidden_zero_point"] = zero_point(hidden)
    params["cell_tanh_multiplier"], params["cell_tanh_shift"] = _cell_tanh(cell_scale)
    params["cell_clip"] = _quantized_clip(cell_clip, cell_scale) if cell_clip > 0 else -1
    args.pop(2)  # the biases are folded into the params
    return KernelCall("emu_lstm_s8" if form == "int8" else "emu_lstm_s16", "lstm.h", "emu_lstm_quant_params",
                      params, args, scratch_bytes=4 * units * 2, macs=macs)


# the integer forms TFLM's kernel runs: input (= output, hidden state) type -> bias type
INTEGER_FORMS = {"int8": "int32", "int16": "int64"}


def _integer_form(x: Tensor, y: Tensor, hidden: Tensor, cell: Tensor, weights: list[Tensor],
                  biases: list[Tensor]) -> str:
    """"int8" or "int16" (16x8), or why TFLM's kernel does not run the tensors' types. TFLM
    reads the biases as int32 or int64 by the input's type, whatever their declared type, so a
    16x8 LSTM with int32 biases is refused here rather than run on misread bytes."""
    kinds = (x.dtype, y.dtype, hidden.dtype, cell.dtype)
    weight_types, bias_types = {w.dtype for w in weights}, {b.dtype for b in biases}
    if x.dtype in INTEGER_FORMS and kinds == (x.dtype, x.dtype, x.dtype, "int16") and weight_types == {"int8"}:
        if bias_types == {INTEGER_FORMS[x.dtype]}:
            return x.dtype
        if x.dtype == "int16":
            raise UnsupportedOperator(f"{'/'.join(sorted(bias_types))} biases with int16 activations: TFLM's "
                                      "16x8 LSTM reads them as int64")
    raise UnsupportedOperator(f"{'/'.join(kinds)} input/output/hidden/cell state, {'/'.join(sorted(weight_types))} "
                              f"weights, {'/'.join(sorted(bias_types))} biases (TFLM: float32; int8 or int16 with "
                              "an int16 cell state and int8 weights)")


def _folded_biases(form: str, x: Tensor, hidden: Tensor, weights: list[Tensor], biases: list[Tensor]) -> dict:
    """Each gate's bias with the input zero point's term folded in, and the hidden zero point's
    term of the recurrent layer: exact in the accumulator's type (int32 for int8, int64 for
    16x8), as TFLM sums them."""
    sums = [w.data.astype(np.int64).sum(axis=1) for w in weights]
    if form == "int8":
        return {"input_bias": ConstArray("int32_t", np.concatenate(
                    [fold_bias(b, s, -zero_point(x)).values for s, b in zip(sums[:4], biases, strict=True)])),
                "recurrent_bias": ConstArray("int32_t", np.concatenate(
                    [fold_bias(None, s, -zero_point(hidden)).values for s in sums[4:]]))}
    input_bias = [b.data.astype(np.int64).reshape(-1) - zero_point(x) * s
                  for s, b in zip(sums[:4], biases, strict=True)]
    recurrent_bias = [-zero_point(hidden) * s for s in sums[4:]]
    return {"input_bias_s64": ConstArray("int64_t", np.concatenate(input_bias)),
            "recurrent_bias_s64": ConstArray("int64_t", np.concatenate(recurrent_bias))}


def _fc_rescale(x: Tensor, w: Tensor) -> tuple[int, int]:
    """input scale * weight scale (a float32 product, as TFLM's GetQuantizedConvolutionMultipler)
    over the gates' Q3.12 scale."""
    return quantize_multiplier(float(_scale(x) * _scale(w)) / GATE_INPUT_SCALE)


def _mul_rescale(a: float, b: float, out: float) -> tuple[int, int]:
    """TFLM's CreateInterGateMulParams: the product of the scales in double."""
    return quantize_multiplier(float(a) * float(b) / float(out))


def _cell_tanh(cell_scale: np.float32) -> tuple[int, int]:
    """The multiplier and right shift that bring the cell state to tanh's Q3.12 input: the
    scale's power of two as TFLM's CheckedLog2 rounds it (in float32), and the 3/4 of the
    table's range."""
    log2 = np.float32(np.log(cell_scale)) * np.float32(1.0 / np.log(np.float32(2.0)))
    power = round_half_away(float(np.float32(log2)))
    left = 15 + power - 3
    if left < 0:
        return 3, -left
    if left > 14:  # x * (3 << left) must stay within int32 for every int16 x
        raise UnsupportedOperator(f"cell state scale {float(cell_scale):g} is too large for the int16 tanh")
    return 3 << left, 0


def _quantized_clip(clip: float, cell_scale: np.float32) -> int:
    return int(math.trunc(min(max(clip / float(cell_scale), -32768.0), 32767.0)))


def optimize(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | None:
    """int8 with SMLAD in the gates' dot products, 16x8 with SMLABB, SMLATB and SMLATT
    (emu/firmware/kernels/optimized/lstm_dsp.c)."""
    if call.function not in ("emu_lstm_s8", "emu_lstm_s16"):
        return None
    return replace(call, function=f"{call.function}_dsp", header="lstm_dsp.h",
                   path="unidirectional_sequence_lstm/dsp")


def helium(op: Operator, graph: Graph, call: KernelCall) -> KernelCall | None:
    """int8 with VMLADAVA in the gates' dot products, 16x8 with VMLALDAVA
    (emu/firmware/kernels/optimized/lstm_mve.c)."""
    if call.function not in ("emu_lstm_s8", "emu_lstm_s16"):
        return None
    return replace(call, function=f"{call.function}_mve", header="lstm_mve.h",
                   path="unidirectional_sequence_lstm/mve")
