"""QUANTIZE and DEQUANTIZE between float32, int8 and int16, and requantization between integer
types: among int8 and int16, from either to int32, from int32 to either, between int8 and uint8.

QUANTIZE float32 -> int8 or int16 divides x / scale in float32 and rounds halves away from
zero, as TFLM's affine quantizer does (dividing in double would round some half steps the
other way); between integer types it rescales with an integer multiplier of in_scale /
out_scale (TFLM's Requantize). DEQUANTIZE widens int8, uint8 and int16 with their scale and
zero point, and float16 (how float16-quantized models store their weights) bit-exactly.
"""

from __future__ import annotations

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.quant import quantize_multiplier

OPERATORS = ("QUANTIZE", "DEQUANTIZE")
TYPES = {"QUANTIZE": ("float32->int8", "float32->int16", "int8->int8", "int8->int16", "int16->int8", "int16->int16",
                         "int8->int32", "int16->int32", "int32->int8", "int32->int16", "int8->uint8", "uint8->int8"),
         "DEQUANTIZE": ("int8->float32", "int16->float32", "uint8->float32", "float16->float32")}

HEADER = "quantize.h"
INTEGERS = ("int8", "uint8", "int16", "int32")
SUFFIX = {"int8": "s8", "uint8": "u8", "int16": "s16", "int32": "s32"}
# Requantizing pairs -> their kernel: emu_requantize_<in>_<out>, one suffix where both are the same
_REQUANTIZE = {pair: "emu_requantize_" + "_".join(dict.fromkeys(SUFFIX[t] for t in pair)) for pair in (
    ("int8", "int8"), ("int16", "int8"), ("int8", "int16"), ("int16", "int16"), ("int8", "int32"),
    ("int16", "int32"), ("int32", "int8"), ("int32", "int16"), ("int8", "uint8"), ("uint8", "int8"))}


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    args = [x.index, y.index]
    kind = (x.dtype, y.dtype)
    if f"{x.dtype}->{y.dtype}" not in TYPES[op.op]:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (supported: {', '.join(TYPES[op.op])})")
    for t in (x, y):
        if t.dtype in INTEGERS and (t.quantization is None or t.quantization.per_channel):
            raise UnsupportedOperator(f"{t.dtype} tensors need one scale and zero point")
    if op.op == "QUANTIZE" and x.dtype == "float32" and y.dtype in INTEGERS:
        q = y.quantization
        return KernelCall(f"emu_quantize_f32_{SUFFIX[y.dtype]}", HEADER, "emu_quantize_f32_s8_params",
                          {"size": x.size, "scale": q.scale[0], "zero_point": q.zero_point[0]}, args)
    if op.op == "QUANTIZE" and kind in _REQUANTIZE:
        multiplier, shift = quantize_multiplier(x.quantization.scale[0] / y.quantization.scale[0])
        return KernelCall(_REQUANTIZE[kind], HEADER, "emu_requantize_s8_params", {
            "size": x.size,
            "input_zero_point": x.quantization.zero_point[0],
            "output_zero_point": y.quantization.zero_point[0],
            "multiplier": multiplier,
            "shift": shift,
        }, args, inplace=y.nbytes <= x.nbytes)  # widening would overwrite values not yet read
    if op.op == "DEQUANTIZE" and x.dtype in INTEGERS and y.dtype == "float32":
        q = x.quantization
        return KernelCall(f"emu_dequantize_{SUFFIX[x.dtype]}_f32", HEADER, "emu_dequantize_s8_f32_params",
                          {"size": x.size, "scale": q.scale[0], "zero_point": q.zero_point[0]}, args)
    if op.op == "DEQUANTIZE" and kind == ("float16", "float32"):
        if x.is_constant:  # weights kept as float16 in flash (emu/firmware/kernels/dequantize_f16.c)
            return KernelCall("emu_dequantize_f16_f32_weights", "dequantize_f16.h",
                              "emu_dequantize_f16_f32_params", {"size": x.size}, args)
        return KernelCall("emu_dequantize_f16_f32", HEADER, "emu_dequantize_f16_f32_params",
                          {"size": x.size}, args)
    raise AssertionError(f"TYPES names {op.op} {x.dtype} -> {y.dtype}, which has no kernel call here")
