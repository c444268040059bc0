"""QUANTIZE and DEQUANTIZE between float and int8, and int8 requantization.

QUANTIZE float32 -> int8 divides x / scale in float32 and rounds halves away from zero, as
TFLM's affine quantizer does (dividing in double would round some half steps the other
way); int8 -> int8 rescales with an integer multiplier. DEQUANTIZE widens int8 with its
scale and zero point, and float16 (how float16-quantized models store their weights)
bit-exactly.
"""

from __future__ import annotations

from emu.compile.kernel_call import KernelCall, UnsupportedOperator
from emu.compile.quant import quantize_multiplier

OPERATORS = ("QUANTIZE", "DEQUANTIZE")
TYPES = {"QUANTIZE": ("float32->int8", "int8->int8"), "DEQUANTIZE": ("int8->float32", "float16->float32")}

HEADER = "quantize.h"


def lower(op, graph) -> KernelCall:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    args = [x.index, y.index]
    kind = (x.dtype, y.dtype)
    if f"{x.dtype}->{y.dtype}" not in TYPES[op.op]:
        raise UnsupportedOperator(f"{x.dtype} -> {y.dtype} (supported: {', '.join(TYPES[op.op])})")
    for t in (x, y):
        if t.dtype == "int8" and (t.quantization is None or t.quantization.per_channel):
            raise UnsupportedOperator("int8 tensors need one scale and zero point")
    if op.op == "QUANTIZE" and kind == ("float32", "int8"):
        q = y.quantization
        return KernelCall("emu_quantize_f32_s8", HEADER, "emu_quantize_f32_s8_params",
                          {"size": x.size, "scale": q.scale[0], "zero_point": q.zero_point[0]}, args)
    if op.op == "QUANTIZE" and kind == ("int8", "int8"):
        multiplier, shift = quantize_multiplier(x.quantization.scale[0] / y.quantization.scale[0])
        return KernelCall("emu_requantize_s8", HEADER, "emu_requantize_s8_params", {
            "size": x.size,
            "input_zero_point": x.quantization.zero_point[0],
            "output_zero_point": y.quantization.zero_point[0],
            "multiplier": multiplier,
            "shift": shift,
        }, args, inplace=True)
    if op.op == "DEQUANTIZE" and kind == ("int8", "float32"):
        q = x.quantization
        return KernelCall("emu_dequantize_s8_f32", HEADER, "emu_dequantize_s8_f32_params",
                          {"size": x.size, "scale": q.scale[0], "zero_point": q.zero_point[0]}, args)
    if op.op == "DEQUANTIZE" and kind == ("float16", "float32"):
        if x.is_constant:  # weights kept as float16 in flash (emu/firmware/kernels/dequantize_f16.c)
            return KernelCall("emu_dequantize_f16_f32_weights", "dequantize_f16.h",
                              "emu_dequantize_f16_f32_params", {"size": x.size}, args)
        return KernelCall("emu_dequantize_f16_f32", HEADER, "emu_dequantize_f16_f32_params",
                          {"size": x.size}, args)
    raise AssertionError(f"TYPES names {op.op} {x.dtype} -> {y.dtype}, which has no kernel call here")
