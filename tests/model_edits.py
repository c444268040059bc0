"""Edited variants of a valid .tflite model: broken and hostile ones, for the tests of what emu
accepts, and valid ones the converter does not write (a 16x8 model with int32 biases).

Field edits go through the object API of LiteRT's generated schema (ModelT): unpack, change
one field, pack again, so every edit is the one named and the rest of the model stays valid.
Truncations cut at the structure boundaries the `tflite` schema reader finds; bit flips use
a fixed seed, so the corpus is the same on every run.
"""

from __future__ import annotations

import flatbuffers
import numpy as np
import tflite
from ai_edge_litert import schema_py_generated as schema


def unpack(model: bytes) -> schema.ModelT:
    return schema.ModelT.InitFromPackedBuf(bytearray(model), 0)


def pack(m: schema.ModelT) -> bytes:
    builder = flatbuffers.Builder(1024)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def edited(model: bytes, change) -> bytes:
    """`model` with `change(ModelT, SubGraphT)` applied."""
    m = unpack(model)
    change(m, m.subgraphs[0])
    return pack(m)


def with_int32_biases(model: bytes) -> bytes:
    """The model with every int64 tensor (a 16x8 model's biases) narrowed to int32, values kept:
    the other bias type TFLM's 16x8 FULLY_CONNECTED and CONV_2D take (they then sum in int32)."""
    def narrow(m, g):
        for t in g.tensors:
            if t.type == schema.TensorType.INT64:
                data = np.frombuffer(bytes(bytearray(m.buffers[t.buffer].data)), np.int64)
                m.buffers[t.buffer].data = np.frombuffer(data.astype(np.int32).tobytes(), np.uint8)
                t.type = schema.TensorType.INT32
    return edited(model, narrow)


def constant_tensors(m: schema.ModelT, g: schema.SubGraphT) -> list[int]:
    return [i for i, t in enumerate(g.tensors) if m.buffers[t.buffer].data is not None
            and len(m.buffers[t.buffer].data)]


def activation_tensors(m: schema.ModelT, g: schema.SubGraphT) -> list[int]:
    constants = set(constant_tensors(m, g))
    return [i for i in range(len(g.tensors)) if i not in constants]


def first_float_weight(m: schema.ModelT, g: schema.SubGraphT) -> tuple[int, int]:
    """(tensor index, buffer index) of the first constant float32 tensor."""
    for i in constant_tensors(m, g):
        if g.tensors[i].type == schema.TensorType.FLOAT32:
            return i, g.tensors[i].buffer
    raise AssertionError("the model has no float32 constant")


def with_float_constant(model: bytes, tensor: int, position: int, value: float) -> bytes:
    """The float model with element `position` of constant `tensor` set to `value`."""
    def change(m, g):
        buffer = m.buffers[g.tensors[tensor].buffer]
        data = np.frombuffer(bytes(bytearray(buffer.data)), np.float32).copy()
        data[position] = value
        buffer.data = np.frombuffer(data.tobytes(), np.uint8)
    return edited(model, change)


def structure_boundaries(model: bytes) -> list[int]:
    """Offsets where a table, a vector or a vector's data starts or ends, in the file."""
    m = tflite.Model.GetRootAsModel(model, 0)
    found: set[int] = set()

    def table(obj) -> None:
        found.add(obj._tab.Pos)

    def vector(obj, slot: int, item_bytes: int) -> None:
        o = obj._tab.Offset(slot)
        if o:
            start = obj._tab.Vector(o)
            found.update((start - 4, start, start + obj._tab.VectorLen(o) * item_bytes))

    table(m)
    for slot in (6, 8, 12):  # operator_codes, subgraphs, buffers
        vector(m, slot, 4)
    for i in range(m.OperatorCodesLength()):
        table(m.OperatorCodes(i))
    for i in range(m.BuffersLength()):
        b = m.Buffers(i)
        table(b)
        vector(b, 4, 1)
    for s in range(m.SubgraphsLength()):
        g = m.Subgraphs(s)
        table(g)
        for slot in (4, 6, 8, 10):  # tensors, inputs, outputs, operators
            vector(g, slot, 4)
        for i in range(g.TensorsLength()):
            t = g.Tensors(i)
            table(t)
            vector(t, 4, 4)  # shape
            vector(t, 10, 1)  # name
            q = t.Quantization()
            if q is not None:
                table(q)
                vector(q, 8, 4)  # scale
                vector(q, 10, 8)  # zero_point
        for i in range(g.OperatorsLength()):
            op = g.Operators(i)
            table(op)
            vector(op, 6, 4)
            vector(op, 8, 4)
    return sorted(p for p in found if 0 < p < len(model))


def truncations(model: bytes, arbitrary: int = 5, seed: int = 7) -> list[tuple[str, bytes]]:
    cuts = set(structure_boundaries(model))
    cuts.update(int(p) for p in np.random.default_rng(seed).integers(1, len(model), arbitrary))
    return [(f"truncated-at-{c}", model[:c]) for c in sorted(cuts)]


def data_ranges(model: bytes) -> list[tuple[int, int]]:
    """[start, end) of every buffer's data (the weights) in the file."""
    m = tflite.Model.GetRootAsModel(model, 0)
    ranges = []
    for i in range(m.BuffersLength()):
        b = m.Buffers(i)
        o = b._tab.Offset(4)
        if o and b._tab.VectorLen(o):
            start = b._tab.Vector(o)
            ranges.append((start, start + b._tab.VectorLen(o)))
    return ranges


def bit_flips(model: bytes, structure: int, data: int, seed: int) -> list[tuple[str, bytes]]:
    """`structure` flips outside the weights and `data` flips inside them, at seeded positions.
    A flipped weight gives a valid model (one more firmware build); a flipped offset, length,
    index or enum is what validation is for."""
    rng = np.random.default_rng(seed)
    in_data = np.zeros(len(model), bool)
    for start, end in data_ranges(model):
        in_data[start:end] = True
    cases = []
    for where, count in ((np.flatnonzero(~in_data), structure), (np.flatnonzero(in_data), data)):
        for _ in range(count):
            position, bit = int(rng.choice(where)), int(rng.integers(0, 8))
            flipped = bytearray(model)
            flipped[position] ^= 1 << bit
            cases.append((f"flip-{position}.{bit}", bytes(flipped)))
    return cases


class _SharedOperator(schema.OperatorT):
    """An operator packed once however often a subgraph lists it: every entry of the
    operators vector then points at the same table, as a hostile file can make it do."""

    def Pack(self, builder):
        if getattr(self, "_packed", None) is None or self._packed[0] is not builder:
            self._packed = (builder, super().Pack(builder))
        return self._packed[1]


def one_operator_repeated(model: bytes, operator: int, count: int) -> bytes:
    """`model` with its operators replaced by `count` entries of operator `operator`, all one
    table in the file (a few bytes per extra operator)."""
    def change(m, g):
        shared = _SharedOperator()
        vars(shared).update(vars(g.operators[operator]))
        g.operators = [shared] * count
    return edited(model, change)


def operator_chain(model: bytes, operator: int, count: int) -> bytes:
    """`model` as a chain of `count` copies of operator `operator`, each reading the previous
    copy's output (the operator must map its first input's shape and type to the same): the
    model's input is a copy of that operator's input tensor, every later tensor a copy of its
    output tensor; constants are shared."""
    import copy

    def change(m, g):
        op = g.operators[operator]
        first, out = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
        chain = [len(g.tensors)]
        g.tensors.append(copy.deepcopy(first))
        g.tensors[-1].name = b"x0"
        operators = []
        for k in range(count):
            t = copy.copy(out)
            t.name = f"x{k + 1}".encode()
            g.tensors.append(t)
            chain.append(len(g.tensors) - 1)
            step = copy.copy(op)
            step.inputs = np.array([chain[k], *op.inputs[1:]], np.int32)
            step.outputs = np.array([chain[k + 1]], np.int32)
            operators.append(step)
        g.operators = operators
        g.inputs = np.array([chain[0]], np.int32)
        g.outputs = np.array([chain[-1]], np.int32)
    return edited(model, change)
