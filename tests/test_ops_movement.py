"""Operators that move elements without computing on them, against the TFLM interpreter: SLICE,
REVERSE_V2, DEPTH_TO_SPACE, SPACE_TO_DEPTH, MIRROR_PAD, GATHER_ND, EMBEDDING_LOOKUP,
DYNAMIC_UPDATE_SLICE and SHAPE.

Each model is a tf.function converted by TensorFlow's converter (float32, int8, int16 16x8,
or the integer and bool types as they are), holding the operator in several forms as separate
outputs; EMBEDDING_LOOKUP, which the converter does not write, is a GATHER model with its
operator turned into EMBEDDING_LOOKUP. The generated C, built for the host, must give exactly
TFLM's integer and bool outputs and its float32 outputs within 1e-5 relative; where TFLM
refuses a form, emu refuses it in one line. One device test runs the family on a Cortex-M0+,
an M4F and the M55.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from emu.compile.codegen import compile_graph
from emu.compile.hostrun import compile_and_run_on_host
from emu.errors import EmuError
from emu.model.oracle import tflm_outputs
from emu.model.reader import parse_model
from emu.platforms import get_platform
from emu.results.measure import measure
from tests import model_edits, modelgen
from tests.conftest import needs_arm_gcc
from tests.test_ops_misc import (
    assert_lowering_refuses,
    assert_same,
    int32_tensor,
    make_tensor,
    ops_of,
    output_types,
)


def _tf():
    return modelgen.tf()


# ---- the models ---------------------------------------------------------------------------------
# Each: (function, inputs) where an input is ("data", shape), a tensor of the model's kind,
# ("index", shape, low, high), int32 (or int64 with "index64") positions drawn from [low, high],
# or ("fixed", shape, values), int32 values (axes, which must differ from each other).

def _slices(x):
    t = _tf()
    return [t.slice(x, [0, 1, 0, 1], [-1, 2, 3, -1]),   # size -1: to the end
            t.slice(x, [0, 0, 4, 0], [1, 4, 1, 3]),     # the last column
            t.slice(x, [0, 3, 2, 2], [1, -1, -1, 1]),   # the tail corner
            t.slice(x, [0, 1, 1, 0], [1, 3, 4, 2])]


def _slice_at(x, begin):
    t = _tf()
    return [t.slice(x, begin, t.constant([1, 2, 3, 2], begin.dtype))]


def _reversals(x):
    t = _tf()
    return [t.reverse(x, [1]), t.reverse(x, [-1]), t.reverse(x, [1, 2]), t.reverse(x, [-2, -3, -1]),
            t.reverse(x, [0, 1, 2, 3])]


def _reverse_at(x, axes):
    return [_tf().reverse(x, axes)]


def _mirror_pad_at(x, paddings):
    return [_tf().pad(x, paddings, mode="REFLECT")]


def _depth_to_space(x):
    t = _tf()
    return [t.nn.depth_to_space(x, 2), t.nn.depth_to_space(x[..., :9], 3)]


def _space_to_depth(x):
    t = _tf()
    return [t.nn.space_to_depth(x, 2), t.nn.space_to_depth(x, 3)]


def _mirror_pads(x):
    t = _tf()
    return [t.pad(x, [[0, 0], [1, 3], [2, 4], [0, 0]], mode="REFLECT"),     # REFLECT's widest: extent - 1
            t.pad(x, [[0, 0], [4, 1], [0, 5], [1, 2]], mode="SYMMETRIC"),   # SYMMETRIC's widest: the extent
            t.pad(x, [[0, 0], [0, 0], [1, 1], [0, 0]], mode="REFLECT"),
            t.pad(x, [[0, 0], [2, 0], [0, 0], [0, 0]], mode="SYMMETRIC")]


def _gather_nd(x, points, rows, full):
    t = _tf()
    return [t.gather_nd(x, points), t.gather_nd(x, rows), t.gather_nd(x, full)]


def _update(x, u, start):
    from tensorflow.compiler.tf2xla.python import xla

    return [xla.dynamic_update_slice(x, u, start)]


def _update_whole(x, u, start):
    from tensorflow.compiler.tf2xla.python import xla

    return [xla.dynamic_update_slice(x, u, start), xla.dynamic_update_slice(x, x * 2.0, start)]


def _shape_out(x):
    return [_tf().shape(x), x * 2.0]


def _flatten(x):
    t = _tf()
    return [t.reshape(x, [t.shape(x)[0], 60]) * 2.0]  # as Keras writes Flatten with an open batch


MODELS = {
    "slice": (_slices, [("data", (1, 4, 5, 3))]),
    "slice_at": (_slice_at, [("data", (2, 4, 5, 3)), ("index", (4,), 0, 1)]),
    "slice_at64": (_slice_at, [("data", (2, 4, 5, 3)), ("index64", (4,), 0, 1)]),
    "reverse": (_reversals, [("data", (2, 4, 5, 3))]),
    "reverse_at": (_reverse_at, [("data", (2, 4, 5, 3)), ("fixed", (2,), [1, 2])]),
    "mirror_pad_at": (_mirror_pad_at, [("data", (1, 4, 5, 3)), ("index", (4, 2), 0, 0)]),
    "depth_to_space": (_depth_to_space, [("data", (2, 3, 4, 36))]),
    "space_to_depth": (_space_to_depth, [("data", (2, 6, 6, 2))]),
    "mirror_pad": (_mirror_pads, [("data", (1, 4, 5, 3))]),
    "gather_nd": (_gather_nd, [("data", (4, 5, 3)), ("index", (2, 3, 3), 0, 2), ("index", (4, 1), 0, 3),
                               ("index", (1,), 0, 3)]),
    "update": (_update, [("data", (4, 5, 3)), ("data", (2, 3, 3)), ("index", (3,), -3, 6)]),
    "update64": (_update, [("data", (4, 5, 3)), ("data", (2, 3, 3)), ("index64", (3,), -3, 6)]),
    "update_whole": (_update_whole, [("data", (2, 3)), ("data", (2, 3)), ("index", (2,), -3, 6)]),
    "shape": (_shape_out, [("data", (None, 4, 5, 3))]),
    "flatten": (_flatten, [("data", (None, 4, 5, 3))]),
}

# kind -> TensorFlow dtype of the data inputs as converted
_DATA_DTYPES = {"float": "float32", "int8": "float32", "int16": "float32", "int32": "int32", "bool": "bool",
                "uint8": "uint8", "int64": "int64"}


def _specs(name: str, kind: str):
    t = _tf()
    specs = []
    for spec in MODELS[name][1]:
        dtype = _DATA_DTYPES[kind] if spec[0] == "data" else ("int64" if spec[0] == "index64" else "int32")
        specs.append(t.TensorSpec(spec[1], getattr(t, dtype)))
    return specs


def _representative(name: str, rng):
    values = []
    for spec in MODELS[name][1]:
        if spec[0] == "data":
            values.append(rng.uniform(-3, 3, spec[1]).astype(np.float32))
        elif spec[0] == "fixed":
            values.append(np.array(spec[2], np.int32))
        else:
            values.append(rng.integers(max(spec[2], 0), spec[3], spec[1], endpoint=True).astype(
                np.int64 if spec[0] == "index64" else np.int32))
    return values


@functools.lru_cache(maxsize=None)
def converted(name: str, kind: str) -> bytes:
    """MODELS[name] converted once per session: float32, int8 or int16 activations (16x8), or
    the integer and bool types as they are."""
    t = _tf()
    if name == "update" and kind in ("int8", "int16"):
        return _retyped(converted(name, "int32"), kind)
    function, _ = MODELS[name]
    concrete = t.function(function, autograph=False).get_concrete_function(*_specs(name, kind))
    converter = t.lite.TFLiteConverter.from_concrete_functions([concrete])
    if kind in ("int8", "int16"):
        rng = np.random.default_rng(1)
        converter.optimizations = [t.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: (_representative(name, rng) for _ in range(16))
        ops = t.lite.OpsSet
        int16 = ops.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
        converter.target_spec.supported_ops = [ops.TFLITE_BUILTINS_INT8 if kind == "int8" else int16]
        converter.inference_input_type = converter.inference_output_type = t.int8 if kind == "int8" else t.int16
    return converter.convert()


def _retyped(model: bytes, kind: str) -> bytes:
    """The int32 model with its operators' data tensors made int8 or int16 (the converter does
    not quantize DYNAMIC_UPDATE_SLICE, which TFLM runs on both): the start indices stay int32."""
    schema = model_edits.schema

    def change(m, g):
        for op in g.operators:
            for i in (op.inputs[0], op.inputs[1], op.outputs[0]):
                g.tensors[i].type = schema.TensorType.INT8 if kind == "int8" else schema.TensorType.INT16
    return model_edits.edited(model, change)


def inputs_for(name: str, model: bytes, seed: int = 0) -> list[np.ndarray]:
    """Data over the whole range of its type; positions over MODELS' range, which for
    DYNAMIC_UPDATE_SLICE reaches past either end of the operand."""
    graph = parse_model(model)
    rng = np.random.default_rng(seed)
    values = []
    for index, spec in zip(graph.inputs, MODELS[name][1], strict=True):
        t = graph.tensors[index]
        if spec[0] == "fixed":
            values.append(np.array(spec[2], np.int32))
        elif spec[0] != "data":
            values.append(rng.integers(spec[2], spec[3], t.shape, endpoint=True).astype(t.dtype))
        elif t.dtype == "float32":
            values.append(rng.uniform(-3.0, 3.0, t.shape).astype(np.float32))
        elif t.dtype == "bool":
            values.append(rng.integers(0, 2, t.shape).astype(bool))
        else:
            info = np.iinfo(t.dtype)
            values.append(rng.integers(info.min, info.max, t.shape, endpoint=True).astype(t.dtype))
    return values


def _matches_tflm(name: str, model: bytes, seeds=range(2)) -> None:
    for seed in seeds:
        inputs = inputs_for(name, model, seed)
        assert_same(compile_and_run_on_host(model, inputs), tflm_outputs(model, inputs))


_TYPE = {"float": "float32", "int8": "int8", "int16": "int16", "int32": "int32", "bool": "bool",
         "uint8": "uint8", "int64": "int64"}

# (model, operator, its count in the model, the kinds TFLM's kernel takes)
CASES = [
    ("slice", "SLICE", 4, ["float", "int8", "int16", "int32", "bool"]),
    ("slice_at", "SLICE", 1, ["float", "int8", "int16", "int32", "bool"]),
    ("reverse", "REVERSE_V2", 5, ["float", "int8", "int16", "int32", "bool", "uint8", "int64"]),
    ("depth_to_space", "DEPTH_TO_SPACE", 2, ["float", "int8"]),
    ("space_to_depth", "SPACE_TO_DEPTH", 2, ["float", "int8"]),
    ("mirror_pad", "MIRROR_PAD", 4, ["float", "int8"]),
    ("gather_nd", "GATHER_ND", 3, ["float", "int8"]),
    ("update", "DYNAMIC_UPDATE_SLICE", 1, ["float", "int8", "int16", "int32"]),
    ("update64", "DYNAMIC_UPDATE_SLICE", 1, ["float"]),
    ("update_whole", "DYNAMIC_UPDATE_SLICE", 2, ["float"]),
]


@pytest.mark.parametrize("name, operator, count, kind",
                         [(n, o, c, k) for n, o, c, kinds in CASES for k in kinds])
def test_operator_matches_tflm_on_the_host(name, operator, count, kind):
    model = converted(name, kind)
    assert ops_of(model).count(operator) == count, ops_of(model)
    assert output_types(model, operator) == {_TYPE[kind]}
    _matches_tflm(name, model)


def test_update_starts_are_read_at_run_time_and_clamped_like_tflm():
    model = converted("update", "float")
    assert parse_model(model).tensors[parse_model(model).inputs[2]].is_constant is False
    x, u, _ = inputs_for("update", model)
    # every start position along each axis, from before the operand to past its end
    for start in ([-7, -1, -2**31], [0, 0, 0], [1, 2, 0], [2, 2, 0], [3, 9, 1], [2**31 - 1, 3, -5]):
        inputs = [x, u, np.array(start, np.int32)]
        assert_same(compile_and_run_on_host(model, inputs), tflm_outputs(model, inputs))


def test_slice_begin_is_read_at_run_time_like_tflm():
    model = converted("slice_at", "int8")
    graph = parse_model(model)
    assert not graph.tensors[graph.operators[0].inputs[1]].is_constant
    x, _ = inputs_for("slice_at", model)
    for begin in ([0, 0, 0, 0], [1, 2, 2, 1], [1, 0, 2, 0], [0, 2, 1, 1]):  # every last start inside
        inputs = [x, np.array(begin, np.int32)]
        ours, = compile_and_run_on_host(model, inputs)
        assert_same([ours], tflm_outputs(model, inputs))
        assert np.array_equal(ours, x[begin[0]:begin[0] + 1, begin[1]:begin[1] + 2, begin[2]:begin[2] + 3,
                                      begin[3]:begin[3] + 2])


def test_slice_of_an_int64_begin_with_an_int32_size_is_refused():
    # the converter writes the constant size as int32 whatever the begin's type; TFLM reads it
    # as int64 and copies something other than the slice
    model = converted("slice_at64", "float")
    graph = parse_model(model)
    begin, size = (graph.tensors[i] for i in graph.operators[0].inputs[1:])
    assert (begin.dtype, size.dtype) == ("int64", "int32")
    x, _ = inputs_for("slice_at64", model)
    inputs = [x, np.array([1, 0, 0, 0], np.int64)]
    try:  # it reads past the size's buffer: a wrong result, or a failure
        assert not np.array_equal(tflm_outputs(model, inputs)[0], x[1:2, 0:2, 0:3, 0:2])
    except RuntimeError:
        pass
    with pytest.raises(EmuError, match="SLICE at index 0 .*begin of int64 and size of int32"):
        compile_and_run_on_host(model, inputs)


def test_reverse_axes_are_read_at_run_time_like_tflm():
    for kind in ("float", "int8"):
        model = converted("reverse_at", kind)
        graph = parse_model(model)
        assert not graph.tensors[graph.operators[0].inputs[1]].is_constant
        x, _ = inputs_for("reverse_at", model)
        for axes in ([1, 2], [-1, -2], [3, 2], [0, 1], [2, 1]):
            inputs = [x, np.array(axes, np.int32)]
            assert_same(compile_and_run_on_host(model, inputs), tflm_outputs(model, inputs))
        for axes in ([1, 3], [2, 2], [4, 0]):  # apart, repeated, out of range: TFLM fails, emu writes zeros
            inputs = [x, np.array(axes, np.int32)]
            with pytest.raises(RuntimeError):
                tflm_outputs(model, inputs)
            assert not compile_and_run_on_host(model, inputs)[0].any()


def test_mirror_paddings_are_read_at_run_time_like_tflm():
    # TFLM does not resize MIRROR_PAD's output: the file must declare the padded shape, which
    # the converter cannot know for paddings computed at run time; it is written in here
    def change(m, g):
        g.tensors[g.operators[0].outputs[0]].shape = [1, 8, 8, 3]
    model = model_edits.edited(converted("mirror_pad_at", "float"), change)
    x, _ = inputs_for("mirror_pad_at", model)
    for rows, columns in (([1, 3], [2, 1]), ([3, 1], [0, 3]), ([2, 2], [3, 0])):
        inputs = [x, np.array([[0, 0], rows, columns, [0, 0]], np.int32)]
        ours = compile_and_run_on_host(model, inputs)
        assert_same(ours, tflm_outputs(model, inputs))
        assert np.array_equal(ours[0], np.pad(x, [[0, 0], rows, columns, [0, 0]], mode="reflect"))
    # wider than REFLECT allows, or not the declared shape: zeros (TFLM reads outside its input)
    for rows, columns in (([0, 4], [2, 1]), ([1, 3], [1, 1])):
        inputs = [x, np.array([[0, 0], rows, columns, [0, 0]], np.int32)]
        assert not compile_and_run_on_host(model, inputs)[0].any()


def test_shape_of_an_activation_runs():
    # the open batch keeps SHAPE in the file (the file's static shape has batch 1)
    model = converted("shape", "float")
    graph = parse_model(model)
    assert ops_of(model).count("SHAPE") == 1 and graph.tensors[graph.inputs[0]].shape[0] == 1
    # as a graph output it is written by a layer of its own, with the static shape TFLM reports
    paths = [(layer.op, layer.path) for layer in compile_graph(graph).layers]
    assert ("SHAPE", "shape/reference") in paths, paths
    _matches_tflm("shape", model)
    assert compile_and_run_on_host(model, inputs_for("shape", model))[0].tolist() == [1, 4, 5, 3]
    # feeding the shape arithmetic of a Flatten, it is folded away with it
    model = converted("flatten", "float")
    assert {"SHAPE", "STRIDED_SLICE", "PACK", "RESHAPE"} <= set(ops_of(model)), ops_of(model)
    assert "SHAPE" not in {layer.op for layer in compile_graph(parse_model(model)).layers}
    _matches_tflm("flatten", model)


def test_gather_nd_checks_only_the_flat_position_like_tflm():
    model = converted("gather_nd", "float")
    x, points, rows, full = inputs_for("gather_nd", model)
    # a coordinate past its own axis whose flat position stays inside the input: TFLM reads on
    points[0, 0] = [0, 7, 1]
    rows[1, 0] = 3
    inputs = [x, points, rows, full]
    ours = compile_and_run_on_host(model, inputs)
    assert_same(ours, tflm_outputs(model, inputs))
    assert ours[0][0, 0] == x.reshape(-1)[7 * 3 + 1]
    # a slice leaving the input: TFLM fails the invocation; emu writes zeros for that slice only
    points[1, 2] = [3, 4, 3]
    inputs = [x, points, rows, full]
    with pytest.raises(RuntimeError):
        tflm_outputs(model, inputs)
    ours = compile_and_run_on_host(model, inputs)
    assert ours[0][1, 2] == 0 and ours[0][0, 0] == x.reshape(-1)[7 * 3 + 1]


# ---- EMBEDDING_LOOKUP: a GATHER model turned into one --------------------------------------------

def _gather_rows(table, rows):
    return [_tf().gather(table, rows)]


def _lookup_model(kind: str) -> bytes:
    """A table input (float32 or int8) or, for "hybrid", a constant int8 table with a float32
    output, looked up by a run-time list of rows."""
    t = _tf()
    schema = model_edits.schema
    table_shape = (6, 2, 3)
    if kind == "hybrid":
        table = np.random.default_rng(3).uniform(-2, 2, table_shape).astype(np.float32)
        function = lambda rows: [t.gather(t.constant(table), rows)]  # noqa: E731
        specs = [t.TensorSpec((5,), t.int32)]
    else:
        function = _gather_rows
        dtype = t.int8 if kind == "int8" else t.float32
        specs = [t.TensorSpec(table_shape, dtype), t.TensorSpec((5,), t.int32)]
    concrete = t.function(function, autograph=False).get_concrete_function(*specs)
    model = t.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()

    def change(m, g):
        code = next(i for i, c in enumerate(m.operatorCodes)
                    if max(c.builtinCode, c.deprecatedBuiltinCode) == schema.BuiltinOperator.GATHER)
        m.operatorCodes[code].builtinCode = schema.BuiltinOperator.EMBEDDING_LOOKUP
        m.operatorCodes[code].deprecatedBuiltinCode = schema.BuiltinOperator.EMBEDDING_LOOKUP
        op = g.operators[0]
        op.inputs = [op.inputs[1], op.inputs[0]]  # EMBEDDING_LOOKUP reads the rows first
        op.builtinOptionsType, op.builtinOptions = 0, None
        if kind == "int8":  # an int8 table passes its values through unchanged
            for i in (op.inputs[1], op.outputs[0]):
                g.tensors[i].quantization = schema.QuantizationParametersT()
                g.tensors[i].quantization.scale, g.tensors[i].quantization.zeroPoint = [0.05], [0]
        if kind == "hybrid":  # the constant table stored as int8 with one scale
            values = g.tensors[op.inputs[1]]
            data = np.frombuffer(bytes(bytearray(m.buffers[values.buffer].data)), np.float32)
            values.type = schema.TensorType.INT8
            values.quantization = schema.QuantizationParametersT()
            values.quantization.scale, values.quantization.zeroPoint = [0.0173], [0]
            quantized = np.clip(np.round(data / 0.0173), -128, 127).astype(np.int8)
            m.buffers[values.buffer].data = np.frombuffer(quantized.tobytes(), np.uint8)
    return model_edits.edited(model, change)


@pytest.mark.parametrize("kind, types", [("float", ("float32", "float32")), ("int8", ("int8", "int8")),
                                         ("hybrid", ("int8", "float32"))])
def test_embedding_lookup_matches_tflm_on_the_host(kind, types):
    model = _lookup_model(kind)
    graph = parse_model(model)
    op, = graph.operators
    assert op.op == "EMBEDDING_LOOKUP"
    assert (graph.tensors[op.inputs[1]].dtype, graph.tensors[op.outputs[0]].dtype) == types
    rng = np.random.default_rng(0)
    for _ in range(3):
        inputs = []
        for index in graph.inputs:
            t = graph.tensors[index]
            if t.dtype == "int32":
                inputs.append(rng.integers(0, 5, t.shape, endpoint=True).astype(np.int32))
            elif t.dtype == "int8":
                inputs.append(rng.integers(-128, 127, t.shape, endpoint=True).astype(np.int8))
            else:
                inputs.append(rng.uniform(-3, 3, t.shape).astype(np.float32))
        assert_same(compile_and_run_on_host(model, inputs), tflm_outputs(model, inputs))


# ---- forms TFLM refuses, refused in one line ----------------------------------------------------

def _reverse_apart(x):
    return [_tf().reverse(x, [1, 3])]


def _mirror_pad_small(x):
    return [_tf().pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")]


MODELS["reverse_apart"] = (_reverse_apart, [("data", (1, 4, 5, 3))])
MODELS["mirror_pad_small"] = (_mirror_pad_small, [("data", (1, 4, 5, 3))])


@pytest.mark.parametrize("name, kind, why", [
    ("reverse_apart", "float", r"REVERSE_V2 at index .*axes \[1, 3\], which are not neighbours"),
    ("mirror_pad_small", "int16", "MIRROR_PAD at index .*int16 -> int16"),
    ("mirror_pad_small", "int32", "MIRROR_PAD at index .*int32 -> int32"),  # Prepare takes it, Eval fails
])
def test_forms_tflm_refuses_are_refused(name, kind, why):
    model = converted(name, kind)
    inputs = inputs_for(name, model)
    with pytest.raises(RuntimeError):
        tflm_outputs(model, inputs)
    with pytest.raises(EmuError, match=why):
        compile_and_run_on_host(model, inputs)


_X = make_tensor(0, (4, 6), "float32")
_X4 = make_tensor(0, (1, 4, 6, 8), "float32")


@pytest.mark.parametrize("op, tensors, inputs, outputs, options, why", [
    ("SLICE", [_X, make_tensor(1, (2,), "int64"), int32_tensor(2, [1, 1]), make_tensor(3, (1, 1), "float32")],
     [0, 1, 2], [3], {}, "begin of int64 and size of int32"),
    ("SLICE", [_X, make_tensor(1, (2,), "int32"), int32_tensor(2, [1, 1]), make_tensor(3, (5, 1), "float32")],
     [0, 1, 2], [3], {}, r"an output of shape \[5, 1\]"),
    ("SLICE", [_X, int32_tensor(1, [3, 0]), int32_tensor(2, [2, -1]), make_tensor(3, (2, 6), "float32")],
     [0, 1, 2], [3], {}, "outside its input"),
    ("SLICE", [make_tensor(0, (1, 1, 1, 1, 1, 2), "float32"), int32_tensor(1, [0] * 6), int32_tensor(2, [-1] * 6),
               make_tensor(3, (1, 1, 1, 1, 1, 2), "float32")], [0, 1, 2], [3], {}, "6 dimensions"),
    ("SLICE", [make_tensor(0, (4, 6), "uint8"), int32_tensor(1, [0, 0]), int32_tensor(2, [1, 1]),
               make_tensor(3, (1, 1), "uint8")], [0, 1, 2], [3], {}, "uint8 tensors"),
    ("REVERSE_V2", [_X, int32_tensor(1, [2]), make_tensor(2, (4, 6), "float32")], [0, 1], [2], {}, r"axes \[2\]"),
    ("REVERSE_V2", [_X, int32_tensor(1, [1, 1]), make_tensor(2, (4, 6), "float32")], [0, 1], [2], {}, "not neighbours"),
    ("REVERSE_V2", [_X, make_tensor(1, (0,), "int32"), make_tensor(2, (4, 6), "float32")], [0, 1], [2], {},
     "0 axes"),
    ("DEPTH_TO_SPACE", [_X4, make_tensor(1, (1, 12, 18, 0), "float32")], [0], [1], {"block_size": 3},
     "not a multiple"),
    ("DEPTH_TO_SPACE", [_X4, make_tensor(1, (1, 4, 6, 8), "float32")], [0], [1], {"block_size": 0},
     "block size 0"),
    ("SPACE_TO_DEPTH", [_X4, make_tensor(1, (1, 1, 2, 128), "float32")], [0], [1], {"block_size": 3},
     "not a multiple"),
    ("SPACE_TO_DEPTH", [make_tensor(0, (1, 4, 6, 8), "int16", 0.1), make_tensor(1, (1, 2, 3, 32), "int16", 0.1)],
     [0], [1], {"block_size": 2}, "int16 -> int16"),
    ("MIRROR_PAD", [_X, int32_tensor(1, [[4, 0], [0, 0]]), make_tensor(2, (8, 6), "float32")], [0, 1], [2],
     {"mode": 0}, "REFLECT paddings .*outside"),
    ("MIRROR_PAD", [_X, int32_tensor(1, [[0, 0], [0, 7]]), make_tensor(2, (4, 13), "float32")], [0, 1], [2],
     {"mode": 1}, "SYMMETRIC paddings .*outside"),
    # what the converter declares for paddings computed at run time (TFLM would write one element)
    ("MIRROR_PAD", [_X, make_tensor(1, (2, 2), "int32"), make_tensor(2, (1, 1), "float32")], [0, 1], [2],
     {"mode": 0}, r"an output of shape \[1, 1\]"),
    ("GATHER_ND", [_X, make_tensor(1, (2, 3), "int32"), make_tensor(2, (2,), "float32")], [0, 1], [2], {},
     "3 coordinates per index into a rank-2"),
    ("GATHER_ND", [_X, int32_tensor(1, [[3, 6]]), make_tensor(2, (1,), "float32")], [0, 1], [2], {},
     "outside the input"),
    ("GATHER_ND", [make_tensor(0, (4, 6), "int16", 0.1), make_tensor(1, (2, 1), "int32"),
                   make_tensor(2, (2, 6), "int16", 0.1)], [0, 1], [2], {}, "int16 -> int16"),
    ("EMBEDDING_LOOKUP", [make_tensor(0, (3,), "int32"), make_tensor(1, (6,), "float32"),
                          make_tensor(2, (3,), "float32")], [0, 1], [2], {}, "at least 2"),
    ("EMBEDDING_LOOKUP", [make_tensor(0, (3,), "int32"), make_tensor(1, (6, 2), "int8", 0.1, 3),
                          make_tensor(2, (3, 2), "float32")], [0, 1], [2], {}, "zero point 0"),
    ("DYNAMIC_UPDATE_SLICE", [_X, make_tensor(1, (5, 1), "float32"), make_tensor(2, (2,), "int32"),
                              make_tensor(3, (4, 6), "float32")], [0, 1, 2], [3], {}, "no larger"),
    ("DYNAMIC_UPDATE_SLICE", [make_tensor(0, (4, 6), "bool"), make_tensor(1, (1, 1), "bool"),
                              make_tensor(2, (2,), "int32"), make_tensor(3, (4, 6), "bool")],
     [0, 1, 2], [3], {}, "bool tensors"),
    ("SHAPE", [_X, make_tensor(1, (2,), "int64")], [0], [1], {}, "int32 only"),
])
def test_refused_forms_are_named(op, tensors, inputs, outputs, options, why):
    assert_lowering_refuses(op, tensors, inputs, outputs, options, why)


def test_layers_name_the_kernels_that_run():
    for name, operator in (("slice", "SLICE"), ("reverse", "REVERSE_V2"), ("depth_to_space", "DEPTH_TO_SPACE"),
                           ("space_to_depth", "SPACE_TO_DEPTH"), ("mirror_pad", "MIRROR_PAD"),
                           ("gather_nd", "GATHER_ND"), ("update", "DYNAMIC_UPDATE_SLICE")):
        layers = compile_graph(parse_model(converted(name, "int8"))).layers
        assert {layer.path for layer in layers if layer.op == operator} == {f"{operator.lower()}/reference"}


# ---- on the device: the family in one model per type, on a Cortex-M0+, an M4F and the M55 ------

def _family(x, rows, start, begin, axes):
    t = _tf()
    from tensorflow.compiler.tf2xla.python import xla

    moved = t.nn.space_to_depth(t.reverse(t.slice(x, [0, 0, 1, 0], [1, 4, 4, -1]), [1, 2]), 2)
    padded = t.pad(t.nn.depth_to_space(moved, 2), [[0, 0], [1, 2], [2, 1], [0, 0]], mode="SYMMETRIC")
    picked = t.gather_nd(padded[0], rows)
    return [xla.dynamic_update_slice(padded, x[:, :2, :3, :], start), picked,
            t.pad(x, [[0, 0], [2, 2], [0, 0], [0, 0]], mode="REFLECT"), t.slice(x, begin, [1, 2, 3, 1]),
            t.reverse(x, axes)]


MODELS["family"] = (_family, [("data", (1, 4, 5, 2)), ("index", (3, 2), 0, 3), ("index", (4,), -2, 6),
                              ("index", (4,), 0, 1), ("fixed", (2,), [2, 1])])


@needs_arm_gcc
@pytest.mark.qemu
@pytest.mark.parametrize("board", ["rp2040-pico", "nucleo-l4r5zi", "alif-e7-appkit"])
def test_movement_family_matches_tflm_on_the_device(board, tmp_path):
    for kind in ("float", "int8"):
        model = converted("family", kind)
        assert {"SLICE", "REVERSE_V2", "SPACE_TO_DEPTH", "DEPTH_TO_SPACE", "MIRROR_PAD", "GATHER_ND",
                "DYNAMIC_UPDATE_SLICE"} <= set(ops_of(model)), ops_of(model)
        path = tmp_path / f"movement_{kind}.tflite"
        path.write_bytes(model)
        inputs = inputs_for("family", model)
        inputs[3][0] = 0  # the batch of 1 has one start
        result, _ = measure(path, get_platform(board), inputs=inputs, variant=kind)
        assert result.output_matches_reference is True, f"{kind} on {board}"
        assert result.reference == "tflm"
