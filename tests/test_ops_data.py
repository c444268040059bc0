"""SPLIT, SPLIT_V, UNPACK, TRANSPOSE, GATHER and PACK against the TFLM interpreter.

Each case is a small Keras model (the TensorFlow operation in a Lambda layer, as users write
unrolled recurrent cells, attention reshuffles and embeddings) converted by TensorFlow's
converter to float32, int8 and int16 activations; the generated C, built for the host,
must give exactly TFLM's integer outputs and its float32 outputs within 1e-5 relative. One
device test per kernel family runs the same C in QEMU on a Cortex-M0+ and an M4F.
"""

from __future__ import annotations

import functools
import os
import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import tflite

from emu.compile.codegen import compile_graph
from emu.compile.hostrun import compile_and_run_on_host
from emu.errors import EmuError
from emu.model.oracle import tflm_outputs
from emu.model.reader import parse_model
from emu.platforms import get_platform
from emu.results.measure import measure
from tests import modelgen
from tests.conftest import needs_arm_gcc
from tests.test_ops_misc import assert_lowering_refuses, assert_same, int32_tensor, make_tensor

TABLE = np.linspace(-1.5, 2.0, 10 * 4, dtype=np.float32).reshape(10, 4)  # an embedding table, 10 rows of 4


def _tf():
    return modelgen.tf()


def _split_keep_two(x):
    first, _, last = _tf().split(x, 3, axis=-1)  # the middle piece is written but never read
    return [first, last]


def _indices(i):
    # a no-op on the int32 model input, which the converter drops; Keras infers the output
    # shape by calling the layer on float placeholders
    return _tf().cast(i, _tf().int32)


# name -> (operation on the inputs, input shapes without the batch, the operator it converts to)
CASES = {
    "split_last": (lambda x: _tf().split(x, 3, axis=-1), [(4, 6)], "SPLIT"),
    "split_rank4": (lambda x: _tf().split(x, 2, axis=1), [(4, 3, 5)], "SPLIT"),
    "split_negative": (lambda x: _tf().split(x, 2, axis=-2), [(4, 6, 5)], "SPLIT"),
    "split_unused": (_split_keep_two, [(5, 6)], "SPLIT"),
    "splitv_uneven": (lambda x: _tf().split(x, [1, 3, 2], axis=1), [(6, 5)], "SPLIT_V"),
    "splitv_negative": (lambda x: _tf().split(x, [2, 5], axis=-1), [(3, 7)], "SPLIT_V"),
    "unstack_time": (lambda x: _tf().unstack(x, axis=1), [(3, 4)], "UNPACK"),
    "unstack_negative": (lambda x: _tf().unstack(x, axis=-1), [(2, 3, 4)], "UNPACK"),
    # more pieces than CONCATENATION's ten inputs: the kernels take tables of any length
    "unstack_many": (lambda x: _tf().unstack(x, axis=1), [(24, 3)], "UNPACK"),
    "stack_many": (lambda x: _tf().stack(_tf().unstack(x, axis=1), axis=0), [(16, 2)], "PACK"),
    "transpose_rank3": (lambda x: _tf().transpose(x, [0, 2, 1]), [(5, 7)], "TRANSPOSE"),
    "transpose_nchw": (lambda x: _tf().transpose(x, [0, 3, 1, 2]), [(2, 3, 4)], "TRANSPOSE"),
    "transpose_nhwc": (lambda x: _tf().transpose(x, [0, 2, 3, 1]), [(2, 3, 4)], "TRANSPOSE"),
    "transpose_reverse": (lambda x: _tf().transpose(x, [3, 2, 1, 0]), [(2, 3, 4)], "TRANSPOSE"),
    "transpose_rank5": (lambda x: _tf().transpose(x, [0, 4, 2, 1, 3]), [(2, 3, 2, 4)], "TRANSPOSE"),
    "gather_axis1": (lambda x: _tf().gather(x, [2, 0, 1, 2], axis=1), [(3, 4)], "GATHER"),
    "gather_negative": (lambda x: _tf().gather(x, [[3, 0], [1, 1]], axis=-1), [(3, 4)], "GATHER"),
    "gather_batch_dims": (lambda x, i: _tf().gather(x, _indices(i), axis=2, batch_dims=1), [(3, 5, 2), (4,)], "GATHER"),
    "embedding": (lambda i: _tf().gather(TABLE, _indices(i)), [(6,)], "GATHER"),
    "stack_axis1": (lambda a, b: _tf().stack([a, b], axis=1), [(3, 4), (3, 4)], "PACK"),
    "stack_negative": (lambda a, b, c: _tf().stack([_tf().nn.relu(a), b, c], axis=-1), [(3, 4)] * 3, "PACK"),
    # pieces of one tensor share its quantization, so this one needs no requantizing in int16
    "stack_unstacked": (lambda x: _tf().stack(_tf().unstack(x, axis=1), axis=-1), [(3, 4, 2)], "PACK"),
}
# int16 models of separately computed inputs get int16 RELU or requantizing QUANTIZE operators,
# which emu does not lower yet (int16 compute); their PACK is covered by stack_unstacked.
NEEDS_INT16_COMPUTE = {"stack_axis1", "stack_negative"}
# int32 tensors, which TFLM's SPLIT, SPLIT_V, UNPACK and PACK take too: models of int32 inputs
# (the converter quantizes nothing in them, so they are converted once, as "float" models)
CASES.update({
    "split_int32": (lambda x: _tf().split(x, 3, axis=1), [(6, 2)], "SPLIT"),
    "splitv_int32": (lambda x: _tf().split(x, [3, 1], axis=-1), [(2, 4)], "SPLIT_V"),
    "unstack_int32": (lambda x: _tf().unstack(x, axis=-2), [(3, 2)], "UNPACK"),
    "stack_int32": (lambda a, b: _tf().stack([a, b], axis=-1), [(2, 3), (2, 3)], "PACK"),
})
INT32_CASES = {"split_int32", "splitv_int32", "unstack_int32", "stack_int32"}
# inputs that are int32 (indices, or the int32 cases' values; both drawn from 0..9)
INDEX_INPUTS = {"gather_batch_dims": (1,), "embedding": (0,), "split_int32": (0,), "splitv_int32": (0,),
                "unstack_int32": (0,), "stack_int32": (0, 1)}
KINDS = ["float", "int8", "int16"]


def _keras_model(name: str):
    t = modelgen.keras_session(0)
    operation, shapes, _ = CASES[name]
    inputs = [t.keras.Input(shape=s, batch_size=1, name=f"in{i}",
                            dtype="int32" if i in INDEX_INPUTS.get(name, ()) else "float32")
              for i, s in enumerate(shapes)]
    layer = t.keras.layers.Lambda(lambda xs: operation(*xs) if isinstance(xs, (list, tuple)) else operation(xs))
    return t.keras.Model(inputs, layer(inputs if len(inputs) > 1 else inputs[0])), shapes


def _sample(name: str, shapes, rng) -> list[np.ndarray]:
    index_inputs = INDEX_INPUTS.get(name, ())
    return [rng.integers(0, 4 if name == "gather_batch_dims" else 10, (1, *s)).astype(np.int32)
            if i in index_inputs else rng.uniform(-1.0, 1.0, (1, *s)).astype(np.float32)
            for i, s in enumerate(shapes)]


# Which pieces of a SPLIT whose middle piece nobody reads the converter quantizes follows
# names that count across the whole process (TensorFlow's traced functions: clearing Keras's
# session does not reset them), so after enough other models the same case converts otherwise.
# Such cases are converted in a process of their own.
FRESH_PROCESS = {"split_unused"}


@functools.lru_cache(maxsize=None)
def converted(name: str, kind: str) -> bytes:
    """The case converted once per session: float32, int8, or int16 activations (16x8)."""
    if name in FRESH_PROCESS and not os.environ.get("EMU_TEST_FRESH_PROCESS"):
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "model.tflite"
            script = (f"from pathlib import Path; from tests.test_ops_data import converted; "
                      f"Path({str(out)!r}).write_bytes(converted({name!r}, {kind!r}))")
            subprocess.run([sys.executable, "-c", script], capture_output=True, check=True,
                           cwd=Path(__file__).resolve().parents[1], env={**os.environ, "EMU_TEST_FRESH_PROCESS": "1"})
            return out.read_bytes()
    t = _tf()
    model, shapes = _keras_model(name)
    converter = t.lite.TFLiteConverter.from_keras_model(model)
    if kind != "float":
        rng = np.random.default_rng(1)
        converter.optimizations = [t.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: (_sample(name, shapes, rng) for _ in range(16))
        ops = t.lite.OpsSet
        int16 = ops.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
        converter.target_spec.supported_ops = [ops.TFLITE_BUILTINS_INT8 if kind == "int8" else int16]
        converter.inference_input_type = converter.inference_output_type = t.int8 if kind == "int8" else t.int16
    return converter.convert()


def inputs_for(name: str, model: bytes, seed: int = 0) -> list[np.ndarray]:
    """Random inputs over the whole integer range (any value is copied the same way), valid
    indices where an input is one."""
    graph = parse_model(model)
    rng = np.random.default_rng(seed)
    values = []
    for position, index in enumerate(graph.inputs):
        t = graph.tensors[index]
        if position in INDEX_INPUTS.get(name, ()):
            values.append(rng.integers(0, 4 if name == "gather_batch_dims" else 10, t.shape).astype(np.int32))
        elif t.dtype == "float32":
            values.append(rng.uniform(-3.0, 3.0, t.shape).astype(np.float32))
        else:
            info = np.iinfo(t.dtype)
            values.append(rng.integers(info.min, info.max, t.shape, endpoint=True).astype(t.dtype))
    return values


def operators(model: bytes) -> list[str]:
    return [op.op for op in parse_model(model).operators]


def _type_of(model: bytes, op_name: str) -> str:
    graph = parse_model(model)
    op = next(op for op in graph.operators if op.op == op_name)
    return graph.tensors[op.outputs[0]].dtype


@pytest.mark.parametrize("name, kind", [(name, kind) for name in CASES for kind in KINDS
                                        if not (kind == "int16" and name in NEEDS_INT16_COMPUTE)
                                        and not (kind != "float" and name in INT32_CASES)])
def test_matches_tflm_on_the_host(name, kind):
    op = CASES[name][2]
    model = converted(name, kind)
    assert op in operators(model), operators(model)
    if name in INT32_CASES:
        kind = "int32"
    if kind == "int16" and op == "GATHER":
        # TFLM's GATHER takes float32 and int8 only; the converter's int16 GATHER is refused alike
        assert _type_of(model, op) == "int16"
        with pytest.raises(RuntimeError):
            tflm_outputs(model, inputs_for(name, model))
        with pytest.raises(EmuError, match="GATHER at index .*int16 inputs"):
            compile_and_run_on_host(model, inputs_for(name, model))
        return
    assert _type_of(model, op) == {"float": "float32", "int8": "int8", "int16": "int16", "int32": "int32"}[kind]
    for seed in range(2):
        inputs = inputs_for(name, model, seed)
        assert_same(compile_and_run_on_host(model, inputs), tflm_outputs(model, inputs))


def _axis_of(model: bytes) -> int:
    graph = parse_model(model)
    op = next(op for op in graph.operators if op.op in ("SPLIT", "SPLIT_V", "UNPACK", "PACK", "GATHER"))
    if op.op in ("SPLIT", "SPLIT_V"):
        return int(np.asarray(graph.tensors[op.inputs[0 if op.op == "SPLIT" else 2]].data).reshape(-1)[0])
    return op.options["axis"]


@pytest.mark.parametrize("name", ["split_negative", "splitv_negative", "unstack_negative", "gather_negative",
                                  "stack_negative"])
def test_negative_axes_reach_the_lowering(name):
    # The converter keeps these axes negative, so the cases above check emu's resolution of them.
    assert _axis_of(converted(name, "float")) < 0


def test_split_outputs_get_memory_of_their_own():
    # The never-read middle piece is still written by the kernel: its bytes, like the other
    # two pieces', must land on no other piece and not on the input the kernel is reading.
    graph = parse_model(converted("split_unused", "int8"))
    split = next(op for op in graph.operators if op.op == "SPLIT")
    readers = {i for op in graph.operators for i in op.inputs} | set(graph.outputs)
    assert len(split.outputs) == 3 and split.outputs[1] not in readers
    source = compile_graph(graph).source
    table = re.search(r"op0_arg1\[3\] = \{(.*)\};", source).group(1)
    pieces = [int(offset) for offset in re.findall(r"emu_arena \+ (\d+)", table)]
    reads = re.search(r"emu_split\(&op0, \(const int8_t \*\)\(emu_arena \+ (\d+)\)", source).group(1)
    spans = [(start, start + graph.tensors[t].nbytes) for start, t in zip(pieces, split.outputs, strict=True)]
    spans.append((int(reads), int(reads) + graph.tensors[split.inputs[1]].nbytes))
    for i, (a_start, a_end) in enumerate(spans):
        for b_start, b_end in spans[i + 1:]:
            assert a_end <= b_start or b_end <= a_start, spans


def _set_scale(model: bytes, tensor: int, factor: float) -> bytes:
    edited = bytearray(model)
    quantization = tflite.Model.GetRootAsModel(bytes(edited), 0).Subgraphs(0).Tensors(tensor).Quantization()
    at = quantization._tab.Vector(quantization._tab.Offset(8))  # the scale vector's data
    (scale,) = struct.unpack_from("<f", edited, at)
    struct.pack_into("<f", edited, at, scale * factor)
    return bytes(edited)


@pytest.mark.parametrize("name", ["split_last", "unstack_time", "transpose_nchw", "gather_axis1", "stack_axis1"])
def test_differently_quantized_outputs_are_copied_as_tflm_copies_them(name):
    # TFLM's kernels for these operators never read the quantization: with an output scale
    # unlike the input's, TFLM still copies the int8 values, and emu does the same.
    model = converted(name, "int8")
    graph = parse_model(model)
    op = next(op for op in graph.operators if op.op == CASES[name][2])
    edited = _set_scale(model, op.outputs[0], 3.0)
    assert parse_model(edited).tensors[op.outputs[0]].quantization != graph.tensors[op.outputs[0]].quantization
    inputs = inputs_for(name, edited)
    assert_same(compile_and_run_on_host(edited, inputs), tflm_outputs(edited, inputs))


# ---- forms TFLM refuses, refused in one line --------------------------------------------------

CASES["transpose_rank6"] = (lambda x: _tf().transpose(x, [0, 5, 4, 3, 2, 1]), [(2, 3, 2, 2, 2)], "TRANSPOSE")


def test_transpose_of_six_dimensions_is_refused_like_tflm():
    model = converted("transpose_rank6", "int8")
    assert len(parse_model(model).tensors[parse_model(model).inputs[0]].shape) == 6
    inputs = inputs_for("transpose_rank6", model)
    with pytest.raises(RuntimeError):
        tflm_outputs(model, inputs)
    with pytest.raises(EmuError, match="TRANSPOSE at index 0 in .*: a rank-6 input"):
        compile_and_run_on_host(model, inputs)


@pytest.mark.parametrize("op, tensors, inputs, outputs, options, why", [
    ("SPLIT", [make_tensor(0, (), "int32"), make_tensor(1, (4, 6), "float32"), make_tensor(2, (4, 3), "float32"),
               make_tensor(3, (4, 3), "float32")], [0, 1], [2, 3], {"num_splits": 2}, "axis computed at run time"),
    ("SPLIT", [int32_tensor(0, [2]), make_tensor(1, (4, 6), "float32"), make_tensor(2, (4, 3), "float32"),
               make_tensor(3, (4, 3), "float32")], [0, 1], [2, 3], {"num_splits": 2}, "axis 2 of a rank-2"),
    ("SPLIT_V", [make_tensor(0, (4, 6), "uint8"), int32_tensor(1, [3, 3]), int32_tensor(2, [1]),
                 make_tensor(3, (4, 3), "uint8"), make_tensor(4, (4, 3), "uint8")], [0, 1, 2], [3, 4], {},
     "uint8 tensors"),
    ("SPLIT_V", [make_tensor(0, (4, 6), "int8", 0.1), int32_tensor(1, [2, 3]), int32_tensor(2, [-1]),
                 make_tensor(3, (4, 2), "int8", 0.1), make_tensor(4, (4, 3), "int8", 0.1)],
     [0, 1, 2], [3, 4], {}, "do not add up"),
    ("UNPACK", [make_tensor(0, (3, 2), "float32"), make_tensor(1, (2,), "float32"), make_tensor(2, (2,), "float32")],
     [0], [1, 2], {"num": 2, "axis": 0}, "num 2 and 2 outputs from an input of extent 3"),
    ("PACK", [make_tensor(0, (2,), "uint8"), make_tensor(1, (2,), "uint8"), make_tensor(2, (2, 2), "uint8")],
     [0, 1], [2], {"values_count": 2, "axis": 0}, "uint8 tensors"),
    ("TRANSPOSE", [make_tensor(0, (1, 2, 1, 2, 1, 2), "float32"), int32_tensor(1, [5, 4, 3, 2, 1, 0]),
                   make_tensor(2, (2, 1, 2, 1, 2, 1), "float32")], [0, 1], [2], {}, "at most 5 dimensions"),
    ("TRANSPOSE", [make_tensor(0, (2, 3), "int32"), int32_tensor(1, [1, 0]), make_tensor(2, (3, 2), "int32")],
     [0, 1], [2], {}, "int32 tensors"),
    ("TRANSPOSE", [make_tensor(0, (2, 3), "float32"), make_tensor(1, (2,), "int32"), make_tensor(2, (3, 2), "float32")],
     [0, 1], [2], {}, "permutation computed at run time"),
    ("TRANSPOSE", [make_tensor(0, (2, 3), "float32"), int32_tensor(1, [-1, 0]), make_tensor(2, (3, 2), "float32")],
     [0, 1], [2], {}, "not one of the dimensions"),
    ("GATHER", [make_tensor(0, (4, 3), "int16", 0.1), make_tensor(1, (2,), "int32"),
                make_tensor(2, (2, 3), "int16", 0.1)], [0, 1], [2], {"axis": 0}, "int16 inputs"),
    ("GATHER", [make_tensor(0, (4, 3), "float32"), make_tensor(1, (2,), "int64"), make_tensor(2, (2, 3), "float32")],
     [0, 1], [2], {"axis": 0}, "int64 indices"),
    ("GATHER", [make_tensor(0, (4, 3), "float32"), int32_tensor(1, [1, 4]), make_tensor(2, (2, 3), "float32")],
     [0, 1], [2], {"axis": 0}, r"outside \[0, 4\)"),
    ("GATHER", [make_tensor(0, (2, 3), "float32"), make_tensor(1, (2, 2), "int32"), make_tensor(2, (2, 2), "float32")],
     [0, 1], [2], {"axis": 0, "batch_dims": 1}, "batch_dims 1 with axis 0"),
])
def test_refused_forms_are_named(op, tensors, inputs, outputs, options, why):
    assert_lowering_refuses(op, tensors, inputs, outputs, options, why)


# ---- on the device: one model per kernel family, on a Cortex-M0+ and an M4F -------------------

def _chunks(x):
    tf = _tf()
    a, b = tf.split(x, 2, axis=-1)
    p, q, r = tf.split(x, [1, 3, 2], axis=-1)
    return [p, r, *tf.unstack(tf.stack([a, b, q], axis=-1), axis=1)]


FAMILIES = {
    # SPLIT, SPLIT_V, UNPACK and PACK share one kernel: pieces of an input cut, joined and cut
    # again, every piece used (the converter leaves a split with an unused piece in float)
    "chunks": (lambda x: _chunks(x), [(3, 6)]),
    "transpose": (lambda x: [_tf().transpose(x, [0, 3, 1, 2]), _tf().transpose(x, [2, 1, 0, 3])], [(4, 3, 5)]),
    "gather": (lambda i: _tf().gather(TABLE, _indices(i)), [(6,)]),
}
FAMILY_OPERATORS = {"chunks": {"SPLIT", "SPLIT_V", "UNPACK", "PACK"}, "transpose": {"TRANSPOSE"},
                    "gather": {"GATHER"}}
CASES.update({f"device_{name}": (*case, "") for name, case in FAMILIES.items()})
INDEX_INPUTS["device_gather"] = (0,)


@needs_arm_gcc
@pytest.mark.qemu
@pytest.mark.parametrize("board", ["rp2040-pico", "nucleo-l4r5zi"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_family_matches_tflm_on_the_device(family, board, tmp_path):
    kinds = ["float", "int8"] if family == "gather" else KINDS  # TFLM's GATHER has no int16
    for kind in kinds:
        model = converted(f"device_{family}", kind)
        assert FAMILY_OPERATORS[family] <= set(operators(model)), operators(model)
        for op in FAMILY_OPERATORS[family]:  # each in the model's type, none left in float
            assert _type_of(model, op) == {"float": "float32", "int8": "int8", "int16": "int16"}[kind]
        path = tmp_path / f"{family}_{kind}.tflite"
        path.write_bytes(model)
        result, _ = measure(path, get_platform(board), inputs=inputs_for(f"device_{family}", model), variant=kind)
        assert result.output_matches_reference is True, f"{family} {kind} on {board}"
        assert result.reference == "tflm"
