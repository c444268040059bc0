"""How the filters of a compiled model are stored in flash, and how many bytes they take.

Filters are the weight inputs of convolutions and fully connected layers (biases and the
requantization constants are not counted). Their on-device form follows from the model and
the lowering chosen: "float16" (half-precision constants widened before their consumer),
"lutN" (N-bit lookup-table indices plus value tables, from TFLM's compressor),
"sparse-bitmap" (nonzero weights plus a bitmap of where they are), or the plain dtype.
"""

from __future__ import annotations

from emu.compile.kernel_call import KernelCall
from emu.model.compressed import is_decode, lookup_table
from emu.model.graph import Graph

FILTER_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


def filter_storage(graph: Graph, calls: list[KernelCall]) -> tuple[str, int]:
    """(format, bytes) over all filters; mixed formats are joined with '+', largest first.
    `graph` is the one the lowerings saw (produced tensors still carry their values)."""
    producers = graph.writers
    totals: dict[str, int] = {}
    seen: set[int] = set()
    for op, call in zip(graph.operators, calls, strict=True):
        if op.op not in FILTER_OPS or len(op.inputs) < 2 or op.inputs[1] in seen:
            continue
        seen.add(op.inputs[1])
        tensor = graph.tensors[op.inputs[1]]
        producer = producers.get(tensor.index)
        if call.filter_storage is not None:
            kind, size = call.filter_storage
        elif producer is not None and producer.op == "DEQUANTIZE":
            kind, size = "float16", graph.tensors[producer.inputs[0]].nbytes
        elif producer is not None and is_decode(producer):
            lut = lookup_table(graph.tensors[producer.inputs[1]], tensor)
            kind, size = f"lut{lut.bitwidth}", graph.tensors[producer.inputs[0]].nbytes + lut.tables.nbytes
        else:
            kind, size = tensor.dtype, tensor.nbytes
        totals[kind] = totals.get(kind, 0) + size
    if not totals:
        return "none", 0
    return "+".join(sorted(totals, key=lambda k: -totals[k])), sum(totals.values())
