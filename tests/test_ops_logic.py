"""The comparisons (EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS, LESS_EQUAL), LOGICAL_AND,
LOGICAL_OR, LOGICAL_NOT, REDUCE_ALL, SELECT_V2, CAST, ZEROS_LIKE, FILL, BROADCAST_TO and
BROADCAST_ARGS against the TFLM interpreter.

Each case is a small tf.function converted by TensorFlow's converter (from its concrete
function) to float32 and int8 (and int16 activations where the converter and TFLM take them);
the int8 inputs get different calibration ranges, so the comparisons see inputs of different
scales. The generated C, built for the host, must give exactly TFLM's integer and bool outputs
and its float32 outputs within 1e-5 relative. One device test runs a model of every family in
QEMU on a Cortex-M0+ and an M4F.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

from emu.compile.codegen import compile_graph
from emu.compile.hostrun import compile_and_run_on_host
from emu.compile.kernel_call import UnsupportedOperator
from emu.compile.ops import lowerings
from emu.compile.ops.fill import TYPES as REPEAT_TYPES
from emu.errors import EmuError
from emu.model.oracle import tflm_outputs
from emu.model.reader import parse_model
from emu.platforms import get_platform
from emu.results.measure import measure
from tests import model_edits, modelgen
from tests.conftest import needs_arm_gcc
from tests.test_ops_misc import assert_same, make_tensor, ops_of, single_op_graph


def _tf():
    return modelgen.tf()


def _spec(shape, dtype="float32"):
    return _tf().TensorSpec(shape, getattr(_tf(), dtype))


COMPARISONS = ("equal", "not_equal", "greater", "greater_equal", "less", "less_equal")


def _each_comparison(a, b):
    """Every comparison of a with 0.6 b, each selecting between a and b (SELECT_V2, broadcast).
    SELECT_V2 gives a and b one quantization; the product has a scale of its own."""
    tf = _tf()
    c = b * 0.6
    return [tf.where(getattr(tf.math, name)(a, c), a, b) for name in COMPARISONS]


def _each_comparison_cast(a, b):
    """Every comparison of two inputs of one shape, each cast to float."""
    tf = _tf()
    c = b * 0.6
    return [tf.cast(getattr(tf.math, name)(a, c), tf.float32) for name in COMPARISONS]


def _equal_often(a, b):
    """EQUAL and NOT_EQUAL where they are often true: a against max(a, 0), same scale or not."""
    tf = _tf()
    m = tf.maximum(a, 0.0)
    return [tf.cast(tf.equal(a, m), tf.float32), tf.cast(tf.not_equal(m, a), tf.float32),
            tf.cast(tf.greater_equal(m, b), tf.float32)]


def _logic(a, b):
    tf = _tf()
    both = tf.logical_and(a > 0.0, b < 0.5)  # broadcast (1, 4, 3) with (1, 1, 3)
    either = tf.logical_or(tf.logical_not(both), a < -0.5)
    return [tf.where(either, a, b), tf.cast(tf.reduce_all(a > -0.5, axis=1), tf.float32),
            tf.cast(tf.reduce_all(a > -0.9, axis=[0, 2], keepdims=True), tf.float32)]


def _select_outer(c, a, b):
    return _tf().where(c, a, b)  # condition (1, 4, 1), x (1, 4, 3), y (1, 1, 3)


def _fill(a):
    return _tf().fill([2, 3], a[0, 1, 2])


def _broadcast_to(a):
    tf = _tf()
    return [tf.broadcast_to(a, [2, 1, 4, 3]), tf.broadcast_to(a[:, :1, :], [3, 4, 3])]


def _zeros_like(a):
    return _tf().raw_ops.ZerosLike(x=a) * a


# name -> (function, input specs as (shape, dtype), the operators it must convert to)
FLOAT_CASES = {
    # every int8 value of a (a sweep) against each of b's: the common scale's rounding shows
    "compare_channel": (_each_comparison, [((1, 256, 3), "float32"), ((1, 1, 3), "float32")]),
    "compare_outer": (_each_comparison, [((1, 256, 1), "float32"), ((1, 1, 16), "float32")]),
    "compare_same": (_each_comparison_cast, [((2, 3), "float32"), ((2, 3), "float32")]),
    "equal_often": (_equal_often, [((1, 32, 8), "float32"), ((1, 32, 8), "float32")]),
    "logic": (_logic, [((1, 4, 3), "float32"), ((1, 1, 3), "float32")]),
    "select_outer": (_select_outer, [((1, 4, 1), "bool"), ((1, 4, 3), "float32"), ((1, 1, 3), "float32")]),
    "fill": (_fill, [((1, 2, 3), "float32")]),
    "broadcast_to": (_broadcast_to, [((1, 4, 3), "float32")]),
    "zeros_like": (_zeros_like, [((2, 3), "float32")]),
}


@functools.lru_cache(maxsize=None)
def converted(name: str, kind: str) -> bytes:
    """A case converted once per session: kind is float, int8 or int16 (16x8). The quantized
    inputs are calibrated over [-1, 1], [-2, 1.5], [-3, 2] ... so their scales differ."""
    tf = _tf()
    function, specs = FLOAT_CASES[name]
    concrete = tf.function(function).get_concrete_function(*[_spec(s, d) for s, d in specs])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], function)
    if kind != "float":
        rng = np.random.default_rng(0)

        def representative():
            for _ in range(32):
                yield [rng.uniform(-1 - i, 1 + 0.5 * i, s).astype(np.float32) if d == "float32"
                       else rng.integers(0, 2, s).astype(bool) for i, (s, d) in enumerate(specs)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        ops = tf.lite.OpsSet
        converter.target_spec.supported_ops = [ops.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
                                               if kind == "int16" else ops.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = getattr(tf, kind)
        converter.inference_output_type = getattr(tf, kind)
    return converter.convert()


def inputs_for(model: bytes, seed: int = 0) -> list[np.ndarray]:
    """Random inputs; int8 ones hold every int8 value, float ones repeat values so that equal
    elements meet."""
    graph = parse_model(model)
    rng = np.random.default_rng(seed)
    inputs = []
    for index in graph.inputs:
        t = graph.tensors[index]
        if t.dtype == "int8":
            x = rng.integers(-128, 128, t.shape).astype(np.int8).reshape(-1)
            x[:256] = np.arange(-128, 128)[: x.size]
            inputs.append(x.reshape(t.shape))
        elif t.dtype == "int16":
            inputs.append(rng.integers(-32768, 32768, t.shape).astype(np.int16))
        elif t.dtype == "bool":
            inputs.append(rng.integers(0, 2, t.shape).astype(bool))
        else:
            inputs.append(rng.choice(np.float32([-1.5, -0.5, 0.0, 0.25, 0.5, 1.0]), t.shape).astype(np.float32)
                          if seed % 2 else rng.uniform(-2, 2, t.shape).astype(np.float32))
    return inputs


def assert_matches_tflm(model: bytes, seeds=range(3)) -> None:
    for seed in seeds:
        inputs = inputs_for(model, seed)
        assert_same(compile_and_run_on_host(model, inputs), tflm_outputs(model, inputs))


def _layers(model: bytes) -> set[str]:
    """The operators the compiled model runs (those folded at build time are no layers)."""
    return {layer.op for layer in compile_graph(parse_model(model)).layers}


def _types(model: bytes, op: str) -> set[str]:
    graph = parse_model(model)
    return {graph.tensors[o.inputs[0]].dtype for o in graph.operators if o.op == op}


@pytest.mark.parametrize("kind", ["float", "int8"])
@pytest.mark.parametrize("name", ["compare_channel", "compare_outer", "compare_same", "equal_often"])
def test_comparisons(name, kind):
    model = converted(name, kind)
    ops = set(ops_of(model))
    wanted = {"EQUAL", "NOT_EQUAL", "GREATER_EQUAL"} if name == "equal_often" else \
        {"EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL",
         "CAST" if name == "compare_same" else "SELECT_V2"}
    assert wanted <= ops, ops
    if kind == "int8" and name != "compare_same":  # the converter leaves those in float
        graph = parse_model(model)
        compare = next(o for o in graph.operators if o.op == "GREATER_EQUAL")
        scales = {graph.tensors[i].quantization.scale[0] for i in compare.inputs}
        assert len(scales) == 2  # the common-scale rescale matters
    assert wanted <= _layers(model)
    assert_matches_tflm(model)


@pytest.mark.parametrize("kind", ["float", "int8"])
def test_logical_and_reduce_all(kind):
    model = converted("logic", kind)
    assert {"LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT", "REDUCE_ALL", "SELECT_V2", "CAST"} <= _layers(model)
    assert_matches_tflm(model)


def _as_int16(model: bytes) -> bytes:
    """The int8 model with every int8 tensor made int16, quantization kept: the converter does
    not quantize SELECT_V2 to 16x8, but TFLM's kernel takes int16."""
    def change(m, g):
        for t in g.tensors:
            if t.type == schema.TensorType.INT8:
                t.type = schema.TensorType.INT16
    return model_edits.edited(model, change)


@pytest.mark.parametrize("kind", ["float", "int8", "int16"])
def test_select_v2_broadcasts_all_three_inputs(kind):
    model = converted("select_outer", kind) if kind != "int16" else _as_int16(converted("select_outer", "int8"))
    assert _types(model, "SELECT_V2") == {"bool"}
    assert ops_of(model).count("SELECT_V2") == 1
    assert_matches_tflm(model)


@pytest.mark.parametrize("kind", ["float", "int8", "int16"])
@pytest.mark.parametrize("name", ["fill", "broadcast_to", "zeros_like"])
def test_repeating_operators(name, kind):
    # the converter does not quantize ZEROS_LIKE to 16x8; the int8 model's tensors made int16 are
    model = _as_int16(converted(name, "int8")) if (name, kind) == ("zeros_like", "int16") else converted(name, kind)
    op = name.upper()
    assert op in ops_of(model)
    graph = parse_model(model)
    data = next(o for o in graph.operators if o.op == op).inputs[1 if op == "FILL" else 0]
    if op != "BROADCAST_TO" and graph.tensors[data].dtype not in REPEAT_TYPES[op]:
        # TFLM's kernel refuses the type (int16 FILL, ZEROS_LIKE): so does emu, in one line
        with pytest.raises(EmuError, match=f"unsupported operator {op}"):
            compile_graph(graph)
        with pytest.raises((EmuError, RuntimeError)):
            tflm_outputs(model, inputs_for(model))
        return
    assert op in _layers(model)
    assert_matches_tflm(model)


# ---- integer and bool models (no quantization) ------------------------------------------------

def _int_comparisons(a, b):
    return [getattr(_tf().math, name)(a, b) for name in COMPARISONS]


def _bool_equal(a, b):
    tf = _tf()
    return [tf.equal(a, b), tf.not_equal(a, b), tf.cast(a, tf.int32), tf.cast(b, tf.float32),
            tf.broadcast_to(b, [2, 2, 3])]


def _casts(f, h, u, c):
    tf = _tf()
    return [tf.cast(f, tf.int32), tf.cast(tf.abs(f), tf.uint32), tf.cast(f, tf.int8), tf.cast(f, tf.int16),
            tf.cast(h, tf.int8), tf.cast(h, tf.float32), tf.cast(h, tf.uint32),
            tf.cast(u, tf.float32), tf.cast(u, tf.int16), tf.cast(u, tf.int32),
            tf.cast(c, tf.int32), tf.cast(c, tf.float32), tf.cast(c, tf.int16)]


def _int_fill(a):
    tf = _tf()
    return [tf.fill([2, 3], a[1]), tf.raw_ops.ZerosLike(x=a), tf.broadcast_to(a, [3, 2])]


def _broadcast_args(a, b):
    return _tf().raw_ops.BroadcastArgs(s0=a, s1=b)


# name -> (function, input specs, the operators it must convert to)
INT_CASES = {
    "compare_int32": (_int_comparisons, [((2, 3), "int32"), ((3,), "int32")], {"GREATER", "LESS_EQUAL"}),
    "compare_int64": (_int_comparisons, [((4, 1), "int64"), ((1, 3), "int64")], {"LESS", "NOT_EQUAL"}),
    "compare_bool": (_bool_equal, [((2, 3), "bool"), ((1, 3), "bool")], {"EQUAL", "NOT_EQUAL", "CAST", "BROADCAST_TO"}),
    "casts": (_casts, [((2, 5), "float32"), ((2, 5), "int16"), ((2, 5), "uint32"), ((2, 5), "int8")], {"CAST"}),
    "fill_int32": (_int_fill, [((2,), "int32")], {"FILL", "ZEROS_LIKE", "BROADCAST_TO"}),
    "fill_int64": (lambda a: [_tf().raw_ops.ZerosLike(x=a), _tf().broadcast_to(a, [2, 2, 3])], [((2, 3), "int64")],
                   {"ZEROS_LIKE", "BROADCAST_TO"}),
    "broadcast_args_int32": (_broadcast_args, [((3,), "int32"), ((2,), "int32")], {"BROADCAST_ARGS"}),
    "broadcast_args_int64": (_broadcast_args, [((4,), "int64"), ((4,), "int64")], {"BROADCAST_ARGS"}),
}


@functools.lru_cache(maxsize=None)
def converted_int(name: str) -> bytes:
    tf = _tf()
    function, specs, _ = INT_CASES[name]
    concrete = tf.function(function).get_concrete_function(*[_spec(s, d) for s, d in specs])
    return tf.lite.TFLiteConverter.from_concrete_functions([concrete], function).convert()


def int_inputs(model: bytes, name: str, seed: int) -> list[np.ndarray]:
    graph = parse_model(model)
    rng = np.random.default_rng(seed)
    inputs = []
    full = rng.integers(2, 6, 4)  # the shape both shapes broadcast to
    for index in graph.inputs:
        t = graph.tensors[index]
        if name.startswith("broadcast_args"):  # each dimension 1 or the full one's, aligned at the end
            inputs.append(np.where(rng.random(t.shape) < 0.5, 1, full[4 - t.size:]).astype(t.dtype))
        elif t.dtype == "bool":
            inputs.append(rng.integers(0, 2, t.shape).astype(bool))
        elif t.dtype == "float32":  # inside every integer type, with fractions of both signs
            inputs.append(rng.uniform(-120, 120, t.shape).astype(np.float32))
        else:
            info = np.iinfo(t.dtype)
            values = rng.integers(max(info.min, -3), min(info.max, 3), t.shape, endpoint=True) if seed % 2 else \
                rng.integers(info.min, info.max, t.shape, endpoint=True, dtype=t.dtype)
            inputs.append(values.astype(t.dtype))
    return inputs


@pytest.mark.parametrize("name", INT_CASES)
def test_integer_and_bool_models(name):
    model = converted_int(name)
    assert INT_CASES[name][2] <= _layers(model)  # run as layers, not folded
    for seed in range(3):
        inputs = int_inputs(model, name, seed)
        assert_same(compile_and_run_on_host(model, inputs), tflm_outputs(model, inputs))


def test_broadcast_args_of_given_shapes_a_zero_among_them():
    model = converted_int("broadcast_args_int32")
    for inputs in ([np.int32([7, 1, 5]), np.int32([4, 1])], [np.int32([1, 1, 1]), np.int32([0, 9])]):
        assert_same(compile_and_run_on_host(model, inputs), tflm_outputs(model, inputs))


# ---- forms that are refused -------------------------------------------------------------------

def _q(index, shape, dtype, scale, zero=0):
    return make_tensor(index, shape, dtype, scale, zero)


@pytest.mark.parametrize("op, tensors, inputs, why", [
    ("GREATER", [_q(0, (4,), "int16", 0.1), _q(1, (4,), "int16", 0.1), make_tensor(2, (4,), "bool")], [0, 1],
     "int16 inputs"),
    ("LESS", [make_tensor(0, (4,), "bool"), make_tensor(1, (4,), "bool"), make_tensor(2, (4,), "bool")], [0, 1],
     "bool and bool"),
    ("EQUAL", [_q(0, (4,), "int8", 1.5), _q(1, (4,), "int8", 0.1), make_tensor(2, (4,), "bool")], [0, 1],
     "scale 1.5"),
    ("EQUAL", [make_tensor(0, (4,), "int32"), make_tensor(1, (4,), "int64"), make_tensor(2, (4,), "bool")],
     [0, 1], "int32 and int64"),
    ("LOGICAL_AND", [make_tensor(0, (4,), "int8"), make_tensor(1, (4,), "int8"), make_tensor(2, (4,), "int8")],
     [0, 1], "takes bool"),
    ("SELECT_V2", [make_tensor(0, (3, 1), "bool"), make_tensor(1, (2,), "float32"), make_tensor(2, (4,), "float32"),
                   make_tensor(3, (3, 4), "float32")], [0, 1, 2], "for an output of shape"),
    ("SELECT_V2", [make_tensor(0, (4,), "bool"), make_tensor(1, (4,), "int32"), make_tensor(2, (4,), "int32"),
                   make_tensor(3, (4,), "int32")], [0, 1, 2], "int32"),
    ("CAST", [make_tensor(0, (4,), "float32"), make_tensor(1, (4,), "bool")], [0], "float32 -> bool"),
    ("CAST", [make_tensor(0, (4,), "int64"), make_tensor(1, (4,), "int32")], [0], "int64 -> int32"),
    ("FILL", [make_tensor(0, (2,), "int32", data=np.int32([2, 3])), make_tensor(1, (), "int16"),
              make_tensor(2, (2, 3), "int16")], [0, 1], "int16"),
    ("FILL", [make_tensor(0, (2,), "int32"), make_tensor(1, (), "float32"), make_tensor(2, (2, 3), "float32")],
     [0, 1], "dims computed at run time"),
    ("ZEROS_LIKE", [make_tensor(0, (4,), "int16"), make_tensor(1, (4,), "int16")], [0], "int16"),
    ("BROADCAST_TO", [make_tensor(0, (1, 1, 1, 1, 1, 2), "float32"),
                      make_tensor(1, (6,), "int32", data=np.int32([2, 1, 1, 1, 1, 2])),
                      make_tensor(2, (2, 1, 1, 1, 1, 2), "float32")], [0, 1], "1 to 5"),
    ("BROADCAST_ARGS", [make_tensor(0, (2,), "int16"), make_tensor(1, (2,), "int16"), make_tensor(2, (2,), "int16")],
     [0, 1], "int16"),
])
def test_unsupported_forms_are_named(op, tensors, inputs, why):
    operator, graph = single_op_graph(tensors, op, inputs, [len(tensors) - 1])
    with pytest.raises(UnsupportedOperator, match=why):
        lowerings()[op](operator, graph)


# ---- on the device ------------------------------------------------------------------------------

def _device_model(c, a, b, n, w):
    """Every family in one model: comparisons of differently scaled inputs, the logical
    operators, REDUCE_ALL, SELECT_V2, CAST, FILL, BROADCAST_TO and ZEROS_LIKE."""
    tf = _tf()
    cond = tf.logical_or(tf.logical_and(a > b, c), tf.logical_not(tf.logical_and(c, tf.less_equal(a, 0.25))))
    picked = tf.where(cond, a, b)
    alls = tf.cast(tf.reduce_all(tf.not_equal(a, b), axis=2), tf.float32)
    return [picked, alls, tf.broadcast_to(b, [2, 4, 3]), tf.fill([2, 4, 3], a[0, 1, 1]),
            tf.cast(tf.equal(n, 2), tf.int32), tf.raw_ops.ZerosLike(x=n),
            tf.broadcast_to(w, [2, 3]), tf.cast(tf.greater(w, 0), tf.int32)]  # int64: 8-byte elements


def _device_representative():
    rng = np.random.default_rng(1)
    for _ in range(32):
        yield [rng.integers(0, 2, (1, 4, 1)).astype(bool), rng.uniform(-1, 1, (1, 4, 3)).astype(np.float32),
               rng.uniform(-2, 1.5, (1, 1, 3)).astype(np.float32), rng.integers(0, 4, (2, 3)).astype(np.int32),
               rng.integers(-2, 2, (2, 1)).astype(np.int64)]


@pytest.fixture(scope="module")
def device_models(tmp_path_factory):
    tf = _tf()
    folder = tmp_path_factory.mktemp("logic-device")
    specs = [((1, 4, 1), "bool"), ((1, 4, 3), "float32"), ((1, 1, 3), "float32"), ((2, 3), "int32"), ((2, 1), "int64")]
    concrete = tf.function(_device_model).get_concrete_function(*[_spec(s, d) for s, d in specs])
    paths = {}
    for kind in ("float", "int8"):
        converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], _device_model)
        if kind == "int8":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = _device_representative
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
        paths[kind] = folder / f"logic_{kind}.tflite"
        paths[kind].write_bytes(converter.convert())
    return paths


@needs_arm_gcc
@pytest.mark.parametrize("board", ["rp2040-pico", "nucleo-l4r5zi"])
@pytest.mark.parametrize("kind", ["float", "int8"])
def test_logic_model_matches_tflm_on_the_device(device_models, kind, board):
    ops = set(ops_of(device_models[kind].read_bytes()))
    assert {"GREATER", "LESS_EQUAL", "NOT_EQUAL", "EQUAL", "LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT", "REDUCE_ALL",
            "SELECT_V2", "CAST", "FILL", "BROADCAST_TO", "ZEROS_LIKE"} <= ops, ops
    result, _ = measure(device_models[kind], get_platform(board), variant=kind)
    assert result.output_matches_reference is True, f"{kind} on {board}"
    assert result.reference == "tflm"
