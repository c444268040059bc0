"""Models compressed by TFLM's compressor: DECODE operators and their lookup tables.

The compressor (`tflite_micro`'s `compression` package) rewrites a constant tensor as
packed indices (a uint8 tensor) and adds an ancillary uint8 tensor, read by a custom
operator TFLM_DECODE that writes the original tensor again just before the operator that
reads it. The ancillary tensor starts with a 16-byte header (decode type, version, and for
lookup tables: version, channel axis and index width, table stride), followed by the value
tables. This module reads that header and decodes the indices in numpy, which is what the
compiler folds at build time and the DECODE kernel reproduces at run time.

Only lookup-table (LUT) decoding exists in TFLM's compressor today; Huffman and pruning
decode types are named in the error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emu.errors import EmuError
from emu.model.graph import Graph, Operator, Tensor
from emu.model.validate import DECODE

HEADER_BYTES = 16
DECODE_TYPES = {0: "LUT", 1: "HUFFMAN", 2: "PRUNING"}
PER_TENSOR_AXIS = 0xF


@dataclass(frozen=True)
class LookupTable:
    """One LUT-compressed tensor: indices of `bitwidth` bits (most significant bit first),
    each into the value table of its channel."""

    bitwidth: int
    axis: int | None  # channel axis of the decoded tensor; None: one table for the whole tensor
    stride: int  # entries per channel's table
    tables: np.ndarray  # [channels, stride], the decoded tensor's dtype

    @property
    def channels(self) -> int:
        return self.tables.shape[0]


def is_decode(op: Operator) -> bool:
    return op.op == DECODE


def decode_pairs(op: Operator) -> list[tuple[int, int, int]]:
    """(encoded tensor, ancillary tensor, decoded tensor) for each output of a DECODE."""
    if len(op.inputs) != 2 * len(op.outputs):
        raise EmuError(f"DECODE at index {op.index} has {len(op.inputs)} inputs for {len(op.outputs)} outputs "
                       "(two inputs, the encoded and the ancillary tensor, per output)")
    return [(op.inputs[2 * i], op.inputs[2 * i + 1], out) for i, out in enumerate(op.outputs)]


def lookup_table(ancillary: Tensor, decoded: Tensor) -> LookupTable:
    raw = np.asarray(ancillary.data, dtype=np.uint8).tobytes() if ancillary.is_constant else b""
    where = f"DECODE of tensor {decoded.index} ({decoded.name})"
    if len(raw) < HEADER_BYTES:
        raise EmuError(f"{where}: the ancillary data is missing or shorter than its 16-byte header")
    kind = raw[0]
    if kind != 0:
        name = DECODE_TYPES.get(kind, "custom" if kind >= 128 else "reserved")
        raise EmuError(f"{where}: decode type {kind} ({name}) is not supported; emu decodes lookup tables (LUT)")
    if raw[1] != 1 or raw[4] != 1:
        raise EmuError(f"{where}: header version {raw[1]}, LUT version {raw[4]}; emu reads version 1 of both")
    bitwidth, axis, stride = raw[5] & 0x07, raw[5] >> 4, raw[6]
    itemsize = np.dtype(decoded.dtype).itemsize
    values = np.frombuffer(raw[HEADER_BYTES:], dtype=decoded.dtype) if (len(raw) - HEADER_BYTES) % itemsize == 0 \
        else None
    rank = len(decoded.shape)
    if axis != PER_TENSOR_AXIS and axis >= rank:
        raise EmuError(f"{where}: channel axis {axis} is outside the tensor's {rank} dimensions")
    channels = 1 if axis == PER_TENSOR_AXIS else decoded.shape[axis]
    q = decoded.quantization
    if q is not None and q.per_channel and (axis == PER_TENSOR_AXIS or axis != q.axis):
        # TFLM's DECODE takes its channels from the tensor's quantization, not from the header
        raise EmuError(f"{where}: the header gives {'one table' if axis == PER_TENSOR_AXIS else f'axis {axis}'} "
                       f"but the tensor is quantized per channel along axis {q.axis}, which TFLM decodes by")
    if not 1 <= bitwidth <= 7 or stride < 1 or values is None or values.size != channels * stride:
        raise EmuError(f"{where}: the value tables ({len(raw) - HEADER_BYTES} bytes, stride {stride}, "
                       f"{bitwidth}-bit indices) do not fit {channels} channel(s) of {decoded.dtype}")
    return LookupTable(bitwidth, None if axis == PER_TENSOR_AXIS else axis, stride,
                       values.reshape(channels, stride).copy())


def unpack_indices(encoded: np.ndarray, bitwidth: int, count: int) -> np.ndarray:
    bits = np.unpackbits(np.asarray(encoded, dtype=np.uint8))
    if bits.size < count * bitwidth:
        raise EmuError(f"the packed indices hold {bits.size // bitwidth} values, the tensor needs {count}")
    fields = bits[:count * bitwidth].reshape(count, bitwidth).astype(np.int64)
    return fields @ (1 << np.arange(bitwidth - 1, -1, -1))


def channel_of_each(shape: tuple[int, ...], axis: int | None) -> np.ndarray:
    """The table each element of a tensor of this shape reads, in storage order."""
    size = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if axis is None:
        return np.zeros(size, dtype=np.int64)
    return np.indices(shape)[axis].reshape(-1)


def decode(encoded: Tensor, lut: LookupTable, decoded: Tensor) -> np.ndarray:
    indices = unpack_indices(encoded.data, lut.bitwidth, decoded.size)
    if indices.size and indices.max() >= lut.stride:
        raise EmuError(f"DECODE of tensor {decoded.index}: an index ({indices.max()}) is past its table "
                       f"of {lut.stride} values")
    channel = channel_of_each(decoded.shape, lut.axis)
    return lut.tables[channel, indices].reshape(decoded.shape)


def compressed_tensors(graph: Graph) -> dict[int, tuple[int, LookupTable]]:
    """Decoded tensor -> (its encoded tensor, its lookup table), for every DECODE of the graph."""
    found = {}
    for op in graph.operators:
        if is_decode(op):
            for encoded, ancillary, out in decode_pairs(op):
                found[out] = (encoded, lookup_table(graph.tensors[ancillary], graph.tensors[out]))
    return found
