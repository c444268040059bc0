"""PAD and PADV2 with constant paddings, any element type up to 4 bytes, and MIRROR_PAD.

The pad value is 0 for float PAD and the output's zero point for int8 PAD (the quantized
zero), or PADV2's constant value, which for int8 is already in the output's quantization.

MIRROR_PAD fills the border with the input mirrored at its edges: REFLECT leaves the edge
element out of the mirror image, SYMMETRIC repeats it. TFLM takes float32 and int8 and copies
elements as they are; paddings of int32 or int64. TFLM does not check their size: a border
wider than the input has (REFLECT: extent - 1, SYMMETRIC: the extent) reads outside it there;
emu refuses such constant paddings, and paddings computed by the model, read at run time
(emu_mirror_pad_at), give zeros then, or where they disagree with the output's shape. Each
border block along a dimension is a copy of an already padded block of the output
(emu/firmware/kernels/pad.c).
"""

from __future__ import annotations

import numpy as np

from emu.compile.kernel_call import KernelCall, UnsupportedOperator

OPERATORS = ("PAD", "PADV2", "MIRROR_PAD")
# PAD and PADV2: every type of 1, 2 or 4 bytes, as the kernel copies elements of those sizes
_CONSTANT_PAD_TYPES = ("float32", "float16", "int8", "int16", "int32", "uint8", "uint16", "uint32", "bool")
TYPES = {"PAD": _CONSTANT_PAD_TYPES, "PADV2": _CONSTANT_PAD_TYPES,
         "MIRROR_PAD": ("float32", "int8")}  # TFLM's mirror_pad.cc
MIRROR_MODES = {0: "REFLECT", 1: "SYMMETRIC"}  # the schema's MirrorPadMode

MAX_RANK = 6  # EMU_PAD_MAX_RANK


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    paddings = graph.tensor(op.inputs[1])
    if x.dtype != y.dtype or x.dtype not in TYPES[op.op]:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype}")
    if op.op == "MIRROR_PAD":
        return _lower_mirror(op, x, y, paddings)
    if paddings is None or not paddings.is_constant:
        raise UnsupportedOperator("paddings computed at run time")
    value = _pad_value(op, graph, y)
    pairs = np.asarray(paddings.data, dtype=np.int64).reshape(-1, 2)
    shape = list(x.shape)
    if len(pairs) != len(shape) or (pairs < 0).any():
        raise UnsupportedOperator("paddings that do not match the input's rank, or negative")
    before, after = [int(v) for v in pairs[:, 0]], [int(v) for v in pairs[:, 1]]
    shape, before, after = _fold_unpadded_tail(shape, before, after)
    if len(shape) > MAX_RANK:
        raise UnsupportedOperator(f"more than {MAX_RANK} dimensions")
    out_shape = [b + n + a for b, n, a in zip(before, shape, after, strict=True)]
    extra = MAX_RANK - len(shape)
    return KernelCall("emu_pad", "pad.h", "emu_pad_params", {
        "rank": len(shape),
        "input_shape": shape + [1] * extra,
        "before": before + [0] * extra,
        "after": after + [0] * extra,
        "input_step": _steps(shape) + [1] * extra,
        "output_step": _steps(out_shape) + [1] * extra,
        "element_bytes": np.dtype(x.dtype).itemsize,
        "pad_bits": value,
        "mirror": 0,
    }, [x.index, y.index])


def _lower_mirror(op, x, y, paddings) -> KernelCall:
    mode = MIRROR_MODES.get(op.options.get("mode"))
    if mode is None:
        raise UnsupportedOperator(f"mirror mode {op.options.get('mode')} (TFLM knows REFLECT and SYMMETRIC)")
    if paddings.dtype not in ("int32", "int64"):
        raise UnsupportedOperator(f"paddings of {paddings.dtype} (TFLM reads int32 or int64)")
    shape = list(x.shape)
    if list(paddings.shape) != [len(shape), 2]:
        raise UnsupportedOperator(f"paddings of shape {list(paddings.shape)} for a rank-{len(shape)} input "
                                  f"(TFLM takes [{len(shape)}, 2])")
    edge = 1 if mode == "REFLECT" else 0  # the edge element is not part of a REFLECT border
    if len(y.shape) != len(shape) or any(o < n for o, n in zip(y.shape, shape, strict=True)):
        raise UnsupportedOperator(f"an output of shape {list(y.shape)} for an input of shape {shape}")
    if not paddings.is_constant:
        return _lower_mirror_at(x, y, paddings, edge)
    pairs = np.asarray(paddings.data, dtype=np.int64).reshape(-1, 2)
    for axis, (n, (b, a)) in enumerate(zip(shape, pairs.tolist(), strict=True)):
        if min(b, a) < 0 or max(b, a) > n - edge:
            raise UnsupportedOperator(f"{mode} paddings {[b, a]} on axis {axis} of extent {n} (TFLM would read "
                                      "outside its input)")
    out_shape = [n + b + a for n, (b, a) in zip(shape, pairs.tolist(), strict=True)]
    if list(y.shape) != out_shape:
        raise UnsupportedOperator(f"an output of shape {list(y.shape)}; the paddings give {out_shape}")
    return KernelCall("emu_pad", "pad.h", "emu_pad_params",
                      _mirror_params(x, [int(v) for v in pairs[:, 0]], [int(v) for v in pairs[:, 1]], edge),
                      [x.index, y.index])


def _lower_mirror_at(x, y, paddings, edge) -> KernelCall:
    """MIRROR_PAD with paddings read at run time: the border along each dimension is static (the
    output's shape less the input's), its split between the two sides is read by the kernel."""
    border = [o - n for o, n in zip(y.shape, x.shape, strict=True)]
    params = _mirror_params(x, border, [0] * len(border), edge)
    rank = params["rank"]
    params = {f"pad.{k}": v for k, v in params.items()}
    params.update({
        "input_rank": len(x.shape),
        "border": border[:rank] + [0] * (MAX_RANK - rank),
        "paddings_bytes": np.dtype(paddings.dtype).itemsize,
        "output_bytes": y.nbytes,
    })
    return KernelCall("emu_mirror_pad_at", "pad.h", "emu_mirror_pad_at_params", params,
                      [x.index, paddings.index, y.index])


def _mirror_params(x, before: list[int], after: list[int], edge: int) -> dict:
    """emu_pad's parameters for MIRROR_PAD: trailing dimensions without a border are mirrored as
    whole blocks, so they become the element."""
    shape, before, after = list(x.shape), list(before), list(after)
    element = np.dtype(x.dtype).itemsize
    while len(shape) > 1 and before[-1] == after[-1] == 0:
        element *= shape.pop()
        before.pop(), after.pop()
    if len(shape) > MAX_RANK:
        raise UnsupportedOperator(f"more than {MAX_RANK} dimensions with a border")
    out_shape = [b + n + a for b, n, a in zip(before, shape, after, strict=True)]
    extra = MAX_RANK - len(shape)
    return {
        "rank": len(shape),
        "input_shape": shape + [1] * extra,
        "before": before + [0] * extra,
        "after": after + [0] * extra,
        "input_step": _steps(shape) + [1] * extra,
        "output_step": _steps(out_shape) + [1] * extra,
        "element_bytes": element,
        "pad_bits": 0,
        "mirror": 1 + edge,
    }


def _pad_value(op, graph, y) -> int:
    """The pad element's bytes as an unsigned little-endian integer."""
    constant = graph.tensor(op.inputs[2]) if op.op == "PADV2" and len(op.inputs) > 2 else None
    if constant is not None:
        if not constant.is_constant or constant.size != 1 or constant.dtype != y.dtype:
            raise UnsupportedOperator("a pad value that is not a constant scalar of the output's type")
        value = np.asarray(constant.data).reshape(-1)[:1]
    elif y.dtype in ("int8", "int16") and y.quantization is not None:
        value = np.array([y.quantization.zero_point[0]], dtype=y.dtype)
    else:
        value = np.zeros(1, dtype=y.dtype)
    raw = value.astype(y.dtype).tobytes()
    return int.from_bytes(raw, "little")


def _fold_unpadded_tail(shape, before, after):
    """Merge each unpadded innermost dimension into the one outside it: the output then
    has longer contiguous runs, and padding a row pads all of its folded elements."""
    shape, before, after = list(shape), list(before), list(after)
    while len(shape) > 1 and before[-1] == after[-1] == 0:
        n = shape.pop()
        before.pop(), after.pop()
        shape[-1] *= n
        before[-1] *= n
        after[-1] *= n
    if not shape:
        shape, before, after = [1], [0], [0]
    return shape, before, after


def _steps(shape) -> list[int]:
    steps, n = [], 1
    for extent in reversed(shape):
        steps.append(n)
        n *= extent
    return steps[::-1]
