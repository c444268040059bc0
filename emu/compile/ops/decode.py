"""DECODE of lookup-table compressed weights (TFLM's compressor): the compile-time half of
emu/firmware/kernels/decode_lut.c. The packed indices stay in flash as they are in the model;
the value tables become a constant array; the 16-byte header is read here and not stored."""

from __future__ import annotations

import numpy as np

from emu.compile.kernel_call import ConstArray, KernelCall, UnsupportedOperator
from emu.model.compressed import DECODE, lookup_table
from emu.model.graph import Graph, Operator

OPERATORS = (DECODE,)

VALUE_TYPES = {"int8": "int8_t", "uint8": "uint8_t"}
TYPES = tuple(VALUE_TYPES)  # of the decoded tensor


def table_run(shape: tuple[int, ...], axis: int | None, size: int) -> int:
    """How many consecutive elements (in storage order) read the same table."""
    if axis is None:
        return max(size, 1)
    return int(np.prod(shape[axis + 1:], dtype=np.int64)) if axis + 1 < len(shape) else 1


def lower(op: Operator, graph: Graph) -> KernelCall:
    encoded, ancillary = (graph.tensors[t] for t in op.inputs)
    out = graph.tensors[op.outputs[0]]
    if out.dtype not in TYPES:
        raise UnsupportedOperator(f"decoding {out.dtype} tensors (emu decodes int8 and uint8 ones)")
    if not (encoded.is_constant and ancillary.is_constant):
        raise UnsupportedOperator("the encoded and ancillary tensors must be constant")
    lut = lookup_table(ancillary, out)
    params = {
        "size": out.size, "bitwidth": lut.bitwidth, "run": table_run(out.shape, lut.axis, out.size),
        "channels": lut.channels, "stride": lut.stride,
        "tables": ConstArray("int8_t", lut.tables.astype(np.int8, casting="unsafe").reshape(-1)),
    }
    return KernelCall("emu_decode_lut_8", "decode_lut.h", "emu_decode_lut_params", params,
                      [encoded.index, out.index])
