"""Work the converter left for run time that can be done at build time.

TensorFlow's float16 quantization stores weights as float16 constants, each followed by a
DEQUANTIZE to float32. TFLM refuses such models; LiteRT dequantizes once when it loads
them. emu does the same once, at build time: the float32 weights become constants in
flash and the DEQUANTIZE operators disappear. The results are LiteRT's to the bit; the
price is flash (float32 weights), the same as the float32 model's.
"""

from __future__ import annotations

from dataclasses import replace

from emu.model.reader import Graph


def fold_constant_dequantize(graph: Graph) -> Graph:
    tensors = list(graph.tensors)
    kept = []
    for op in graph.operators:
        source = graph.tensor(op.inputs[0]) if op.inputs else None
        if op.op == "DEQUANTIZE" and source is not None and source.is_constant and source.dtype == "float16":
            out = tensors[op.outputs[0]]
            tensors[out.index] = replace(out, data=source.data.astype("float32").reshape(out.shape))
        else:
            kept.append(op)
    if len(kept) == len(graph.operators):
        return graph
    return replace(graph, tensors=tensors, operators=kept)
