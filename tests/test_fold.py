"""Shape arithmetic folded at compile time (emu/compile/fold.py).

Keras models with an open batch size (Input without batch_size) make the converter compute
shapes at run time (SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE). Converted to int8 and float32
by TensorFlow's converter, compiled by emu for the host, they must give TFLM's outputs (int8
exactly, float32 within 1e-5 relative); one int8 model runs on the M4F in the emulator. The
folding of each operator is checked against TensorFlow's own ops on small constants, and
STRIDED_SLICE's masks also against the TFLM interpreter on a converted model.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest

from emu.compile.codegen import compile_graph
from emu.compile.fold import NotFoldable, fold_constants, strided_slice
from emu.compile.hostrun import run_compiled_on_host
from emu.errors import EmuError
from emu.model.graph import Graph, Operator, Tensor
from emu.model.oracle import tflm_outputs
from emu.model.reader import parse_model
from tests import modelgen
from tests.conftest import needs_arm_gcc

FLOAT_RTOL, FLOAT_ATOL = 1e-5, 1e-7
SHAPE_OPS = {"SHAPE", "STRIDED_SLICE", "PACK"}


def _open_batch(build, shape, seed: int = 0):
    """A Keras model whose input has no batch size: the converter's dynamic-batch pattern."""
    tf = modelgen.tf()
    tf.keras.utils.set_random_seed(seed)
    x = tf.keras.Input(shape=shape)  # batch None
    return tf.keras.Model(x, build(tf.keras.layers, x)), shape


def _flatten(L, x):
    return L.Dense(5)(L.Flatten()(L.Conv2D(4, 3, activation="relu")(x)))


def _reshape_dense(L, x):
    y = L.Conv2D(4, 3)(x)  # 6x6x4
    y = L.Softmax()(L.Reshape((6, 24))(y))  # softmax over 24 values: the reshape is real
    return L.Dense(7)(L.Reshape((144,))(y))


def _mobilenet_like(L, x):
    y = L.ReLU(6.0)(L.BatchNormalization()(L.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(x)))
    for filters in (16, 32):
        y = L.ReLU(6.0)(L.BatchNormalization()(L.DepthwiseConv2D(3, padding="same", use_bias=False)(y)))
        y = L.ReLU(6.0)(L.BatchNormalization()(L.Conv2D(filters, 1, use_bias=False)(y)))
    y = L.GlobalAveragePooling2D(keepdims=True)(y)
    y = L.Reshape((32,))(y)  # as keras.applications.MobileNet ends
    return L.Softmax()(L.Dense(10)(y))


MODELS = {
    "flatten": (_flatten, (8, 8, 3)),
    "reshape_dense": (_reshape_dense, (8, 8, 3)),
    "mobilenet_like": (_mobilenet_like, (16, 16, 3)),
}


@functools.lru_cache(maxsize=None)
def converted(name: str, kind: str) -> bytes:
    if name == "keras_mobilenet":
        tf = modelgen.tf()
        tf.keras.utils.set_random_seed(0)
        model = tf.keras.applications.MobileNet(input_shape=(32, 32, 3), alpha=0.25, weights=None, classes=10)
        shape = (32, 32, 3)
    else:
        model, shape = _open_batch(*MODELS[name])
    return modelgen.to_float(model) if kind == "float" else modelgen.to_int8(model, shape)


def _assert_same(ours, reference):
    assert len(ours) == len(reference)
    for got, want in zip(ours, reference, strict=True):
        assert got.dtype == want.dtype and got.shape == want.shape
        if got.dtype.kind == "f":
            np.testing.assert_allclose(got, want, rtol=FLOAT_RTOL, atol=FLOAT_ATOL)
        else:
            np.testing.assert_array_equal(got, want)


# int8 MobileNet from keras.applications is left out: with untrained weights its int8 form
# makes TFLM's interpreter abort (with batch_size=1 as well), so there is no reference.
CASES = [(name, kind) for name in MODELS for kind in ("int8", "float")] + [("keras_mobilenet", "float")]


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_open_batch_model_matches_tflm(name, kind):
    model = converted(name, kind)
    graph = parse_model(model)
    assert SHAPE_OPS <= {op.op for op in graph.operators}  # the converter's dynamic-batch pattern
    compiled = compile_graph(graph)
    layer_ops = [layer.op for layer in compiled.layers]
    assert not SHAPE_OPS & set(layer_ops)  # folded: no layer of their own
    # The layers keep the operators' indices in the file, in order, with gaps where folded.
    kept = [op for op in graph.operators if op.op not in SHAPE_OPS]
    assert [(layer.index, layer.op) for layer in compiled.layers] == [(op.index, op.op) for op in kept]
    for seed in (0, 1):
        inputs = modelgen.random_input(model, seed)
        _assert_same(run_compiled_on_host(compiled, inputs), tflm_outputs(model, inputs))


@needs_arm_gcc
def test_open_batch_int8_model_matches_tflm_on_the_m4f(tmp_path):
    from emu.platforms import get_platform
    from emu.results.measure import measure

    path = tmp_path / "mobilenet_like_int8.tflite"
    path.write_bytes(converted("mobilenet_like", "int8"))
    result, _ = measure(path, get_platform("nucleo-l4r5zi"))
    assert result.output_matches_reference is True and result.reference == "tflm"
    assert not SHAPE_OPS & {layer.op for layer in result.layers}


# ---- STRIDED_SLICE's masks ---------------------------------------------------------------

# (begin, end, strides, options) on a tensor of shape (4, 5, 6), where TensorFlow and TFLM agree:
# the forms the converter writes.
SLICES = [
    ([1, 0, 0], [3, 5, 6], [1, 1, 1], {}),
    ([0, 0, 0], [1, 5, 6], [1, 1, 1], {"shrink_axis_mask": 1}),
    ([-1, 0, 0], [0, 5, 6], [1, 1, 1], {"shrink_axis_mask": 1}),  # the converter's x.shape[-1]
    ([-3, 1, 0], [-1, 5, 6], [1, 2, 1], {}),
    ([3, 4, 5], [0, 0, 0], [-1, -2, -3], {}),
    ([3, 4, 5], [0, 0, 0], [-1, -1, -1], {"end_mask": 0b101}),
    ([2, 1, 0], [4, 5, 6], [1, 1, 2], {"begin_mask": 0b011}),
    ([1, 2, 3], [3, 4, 5], [1, 1, 1], {"begin_mask": 0b110, "end_mask": 0b011, "shrink_axis_mask": 0b001}),
    ([-100, 2, 0], [100, -100, 6], [1, -1, 4], {}),  # clamped at both ends
    ([1, 3, -2], [2, 4, -1], [1, 1, 1], {"shrink_axis_mask": 0b111}),  # a scalar
    ([0, 0, 0], [4, 5, 6], [3, 2, 5], {"end_mask": 0b111}),
]

# Where TFLM's kernel differs from TensorFlow's op, TFLM is the one emu follows: a shrunk axis
# with its begin masked takes element 0 (TensorFlow: begin); the ellipsis and new-axis masks
# and `offset` are ignored (the converter writes none of them).
TFLM_ONLY = [
    ([2, 1, 0], [3, 4, 6], [1, 1, 1], {"begin_mask": 0b001, "shrink_axis_mask": 0b001}),
    ([2, 1, 0], [3, 4, 6], [1, 1, 1], {"begin_mask": 0b011, "shrink_axis_mask": 0b011, "end_mask": 0b011}),
    ([1, 4, 4], [3, 0, 0], [1, 1, -1], {"begin_mask": 0b110, "shrink_axis_mask": 0b010}),
    ([0, 1, 0], [4, 3, 6], [1, 1, 1], {"ellipsis_mask": 0b001}),
    ([0, 1, 0], [4, 3, 6], [1, 1, 1], {"new_axis_mask": 0b010}),
    ([1, 1, 1], [2, 3, 4], [1, 1, 1], {"offset": True}),
]


def _vectors(begin, end, strides):
    return [np.array(v, np.int32) for v in (begin, end, strides)]


@pytest.mark.parametrize(("begin", "end", "strides", "options"), SLICES)
def test_strided_slice_matches_tensorflow(begin, end, strides, options):
    tf = modelgen.tf()
    x = np.arange(4 * 5 * 6, dtype=np.int32).reshape(4, 5, 6)
    want = tf.strided_slice(x, begin, end, strides, **options).numpy()
    got = strided_slice(x, *_vectors(begin, end, strides), options)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_strided_slice_mask_combinations_match_tensorflow():
    """Every begin, end and shrink mask on two dimensions, with negative starts and strides,
    where a masked begin is not also shrunk (there TFLM and TensorFlow differ: TFLM_ONLY)."""
    tf = modelgen.tf()
    x = np.arange(30, dtype=np.int32).reshape(5, 6)
    compared = 0
    for begin_mask, end_mask, shrink, (b0, s0) in itertools.product(range(4), range(4), range(4),
                                                                    ((-2, 1), (3, -1), (1, 2))):
        if begin_mask & shrink:
            continue
        begin, end, strides = [b0, -5], [4, -1], [s0, 2]
        options = {"begin_mask": begin_mask, "end_mask": end_mask, "shrink_axis_mask": shrink}
        vectors = _vectors(begin, end, strides)
        try:
            want = tf.strided_slice(x, begin, end, strides, **options).numpy()
        except tf.errors.InvalidArgumentError:  # a shrunk dimension with stride -1
            with pytest.raises(NotFoldable):
                strided_slice(x, *vectors, options)
            continue
        got = strided_slice(x, *vectors, options)
        assert got.shape == want.shape, options
        np.testing.assert_array_equal(got, want, err_msg=str(options))
        compared += 1
    assert compared >= 90


@functools.lru_cache(maxsize=None)
def _slice_base() -> bytes:
    """A converted model of one STRIDED_SLICE of its int32 input (4, 5, 6)."""
    tf = modelgen.tf()

    @tf.function(input_signature=[tf.TensorSpec((4, 5, 6), tf.int32)])
    def one_slice(x):
        return tf.strided_slice(x, [0, 1, 0], [4, 5, 6], [1, 1, 2])

    converter = tf.lite.TFLiteConverter.from_concrete_functions([one_slice.get_concrete_function()], one_slice)
    return converter.convert()


def _tflm_slice(x: np.ndarray, begin, end, strides, options: dict, shape) -> np.ndarray:
    """TFLM's STRIDED_SLICE with these operands and options, its output declared `shape`: the
    converted model with its operands, options and output shape rewritten."""
    from ai_edge_litert import schema_py_generated as schema

    from tests.model_edits import edited

    def change(m, g):
        (op,) = g.operators
        for t, values in zip(op.inputs[1:4], (begin, end, strides), strict=True):
            m.buffers.append(schema.BufferT())
            m.buffers[-1].data = np.array(values, np.int32).view(np.uint8)
            g.tensors[t].buffer, g.tensors[t].shape = len(m.buffers) - 1, [len(values)]
        names = {"begin_mask": "beginMask", "end_mask": "endMask", "ellipsis_mask": "ellipsisMask",
                 "new_axis_mask": "newAxisMask", "shrink_axis_mask": "shrinkAxisMask", "offset": "offset"}
        for name, field in names.items():
            setattr(op.builtinOptions, field, options.get(name, False if name == "offset" else 0))
        out = g.tensors[op.outputs[0]]
        out.shape, out.shapeSignature = list(shape), None

    (result,) = tflm_outputs(edited(_slice_base(), change), [x])
    return result


@pytest.mark.parametrize(("begin", "end", "strides", "options"), SLICES + TFLM_ONLY)
def test_strided_slice_matches_tflm(begin, end, strides, options):
    assert [op.op for op in parse_model(_slice_base()).operators] == ["STRIDED_SLICE"]
    x = np.arange(4 * 5 * 6, dtype=np.int32).reshape(4, 5, 6) * 7 - 300
    got = strided_slice(x, *_vectors(begin, end, strides), options)
    want = _tflm_slice(x, begin, end, strides, options, got.shape)
    assert want.shape == got.shape
    np.testing.assert_array_equal(got, want)


def test_strided_slice_folds_what_tensorflow_and_tflm_disagree_on_as_tflm():
    x = np.arange(4 * 5 * 6, dtype=np.int32).reshape(4, 5, 6)
    begin, end, strides, options = TFLM_ONLY[0]
    got = strided_slice(x, *_vectors(begin, end, strides), options)
    np.testing.assert_array_equal(got, x[0, 1:4, :])  # element 0 of the shrunk axis, not 2


@pytest.mark.parametrize(("x_shape", "begin", "end", "strides"), [
    ((2, 2, 2, 2, 2), [0] * 5, [1] * 5, [1] * 5),  # TFLM takes at most 4 dimensions
    ((4, 5), [0], [1], [1]),  # one begin per dimension
    ((4, 5), [0, 0], [1, 1], [1, 0]),  # stride 0
    ((4, 5), [2, 0], [3, 5], [-1, 1]),  # a shrunk axis read backwards: TFLM's kernel writes nothing
])
def test_strided_slice_tflm_refuses_is_not_folded(x_shape, begin, end, strides):
    x = np.zeros(x_shape, np.int32)
    with pytest.raises(NotFoldable):
        strided_slice(x, *_vectors(begin, end, strides), {"shrink_axis_mask": 1 if strides[0] < 0 else 0})


def test_strided_slice_shrinking_past_the_end_is_not_folded():
    # TFLM's Prepare accepts it, but its kernel then writes nothing into the output
    x = np.arange(6, dtype=np.int32).reshape(2, 3)
    with pytest.raises(NotFoldable):
        strided_slice(x, *_vectors([5, 0], [6, 3], [1, 1]), {"shrink_axis_mask": 1})


# ---- each operator folded, against TensorFlow's op on the same constants --------------------

def _const(index: int, value, dtype="int32") -> Tensor:
    data = np.asarray(value, dtype=dtype)
    return Tensor(index, f"c{index}", data.shape, dtype, None, data)


def _folded(op_name: str, constants: list, out_shape, out_dtype="int32", options=None) -> np.ndarray:
    """One operator on constants, followed by an ADD of its result (the graph's output must be
    computed); the folded value of its output."""
    tensors = [Tensor(0, "x", tuple(out_shape), out_dtype, None)]
    tensors += [_const(i + 1, *c) if isinstance(c, tuple) else _const(i + 1, c) for i, c in enumerate(constants)]
    out = len(tensors)
    tensors += [Tensor(out, "folded", tuple(out_shape), out_dtype, None),
                Tensor(out + 1, "y", tuple(out_shape), out_dtype, None)]
    ops = [Operator(0, op_name, tuple(range(1, out)), (out,), options or {}),
           Operator(1, "ADD", (out, 0), (out + 1,), {"fused_activation_function": "NONE"})]
    graph = fold_constants(Graph("g", "", tensors, ops, [0], [out + 1]))
    assert [op.op for op in graph.operators] == ["ADD"]
    return graph.tensors[out].data


def test_fold_matches_tensorflow_ops():
    tf = modelgen.tf()
    a = np.array([[3, -7, 8], [-9, 4, 5]], np.int32)
    b = np.array([2, -3, 4], np.int32)
    for name, ref in (("ADD", tf.add), ("SUB", tf.subtract), ("MUL", tf.multiply)):
        want = ref(a, b).numpy()
        np.testing.assert_array_equal(_folded(name, [a, b], want.shape, options={}), want, err_msg=name)
    fa, fb = a.astype(np.float32) / 3, b.astype(np.float32)  # TFLM's FLOOR_DIV takes float32 only
    want = tf.math.floordiv(fa, fb).numpy()
    np.testing.assert_array_equal(_folded("FLOOR_DIV", [(fa, "float32"), (fb, "float32")], want.shape, "float32"),
                                  want)
    f = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    cases = [
        ("PACK", [np.int32(1), np.int32(6), np.int32(24)], tf.stack([1, 6, 24], axis=0), {"axis": 0}),
        ("PACK", [b, b * 2], tf.stack([b, b * 2], axis=-1), {"axis": -1}),
        ("CONCATENATION", [a, a + 1], tf.concat([a, a + 1], axis=-1), {"axis": -1}),
        ("GATHER", [(f, "float32"), np.array([[2, 0], [1, 1]], np.int32)], tf.gather(f, [[2, 0], [1, 1]], axis=1),
         {"axis": 1}),
        ("GATHER", [(f, "float32"), np.array([1], np.int32)], tf.gather(f, [1]), {"axis": 0}),
        ("FILL", [np.array([2, 3], np.int32), np.int32(-5)], tf.fill([2, 3], -5), {}),
        ("FILL", [np.array([2, 1], np.int64), (np.float32(0.25), "float32")], tf.fill([2, 1], 0.25), {}),
        ("BROADCAST_TO", [b, np.array([4, 3], np.int32)], tf.broadcast_to(b, [4, 3]), {}),
        ("EXPAND_DIMS", [b, np.int32(-1)], tf.expand_dims(b, -1), {}),
        ("SQUEEZE", [a.reshape(1, 2, 1, 3)], tf.squeeze(a.reshape(1, 2, 1, 3)), {"squeeze_dims": []}),
        ("RESHAPE", [a, np.array([3, -1], np.int32)], tf.reshape(a, [3, -1]), {}),
    ]
    for name, constants, want, options in cases:
        want = want.numpy()
        np.testing.assert_array_equal(_folded(name, constants, want.shape, want.dtype.name, options), want,
                                      err_msg=name)
    x = np.array([1.9, -1.9, 3.0, 127.5], np.float32)
    for dtype in ("int32", "int8"):
        want = tf.cast(x, dtype).numpy()
        np.testing.assert_array_equal(_folded("CAST", [(x, "float32")], want.shape, dtype, {}), want)


def test_shape_folds_the_static_shape_of_an_activation():
    x = Tensor(0, "x", (1, 6, 6, 4), "float32", None)
    shape = Tensor(1, "shape", (4,), "int32", None)
    y = Tensor(2, "y", (1, 144), "float32", None)
    ops = [Operator(0, "SHAPE", (0,), (1,), {"out_type": 2}), Operator(1, "RESHAPE", (0, 1), (2,), {})]
    graph = fold_constants(Graph("g", "", [x, shape, y], ops, [0], [2]))
    assert [op.index for op in graph.operators] == [1]
    np.testing.assert_array_equal(graph.tensors[1].data, [1, 6, 6, 4])


# ---- what stays in the graph ---------------------------------------------------------------

def _fill_graph(value_is_constant: bool, output_is_filled: bool, dtype: str = "int32") -> Graph:
    """FILL of [2, 3] with a scalar, then an ADD of the result."""
    tensors = [Tensor(0, "x", (), dtype, None), _const(1, [2, 3]), _const(2, 7, dtype),
               Tensor(3, "filled", (2, 3), dtype, None), Tensor(4, "y", (2, 3), dtype, None)]
    ops = [Operator(0, "FILL", (1, 2 if value_is_constant else 0), (3,), {})]
    if not output_is_filled:
        ops.append(Operator(1, "ADD", (3, 0), (4,), {"fused_activation_function": "NONE"}))
    return Graph("g", "", tensors, ops, [0], [3 if output_is_filled else 4])


def test_a_graph_output_is_never_folded():
    graph = _fill_graph(value_is_constant=True, output_is_filled=True)
    assert fold_constants(graph) is graph
    assert [layer.op for layer in compile_graph(graph).layers] == ["FILL"]  # lowered: it runs


def test_an_operator_on_a_run_time_value_is_refused_in_one_line():
    # int16 FILL: TFLM's kernel does not take it, so it is neither folded nor lowered
    graph = _fill_graph(value_is_constant=False, output_is_filled=True, dtype="int16")
    assert fold_constants(graph) is graph
    with pytest.raises(EmuError, match=r"^unsupported operator FILL at index 0 in g: a value of int16 [^\n]*$"):
        compile_graph(graph)


def test_the_same_graph_with_constant_inputs_folds():
    graph = fold_constants(_fill_graph(value_is_constant=True, output_is_filled=False))
    assert [op.op for op in graph.operators] == ["ADD"]
    assert graph.tensors[3].data.tolist() == [[7, 7, 7], [7, 7, 7]]


def test_a_result_other_than_the_declared_shape_is_not_folded():
    # the file declares [3] for a PACK of two scalars: TFLM would not run it as declared
    tensors = [Tensor(0, "x", (3,), "int32", None), _const(1, 6), Tensor(2, "packed", (3,), "int32", None),
               Tensor(3, "y", (3,), "int32", None)]
    ops = [Operator(0, "PACK", (1, 1), (2,), {"axis": 0}),
           Operator(1, "ADD", (2, 0), (3,), {"fused_activation_function": "NONE"})]
    graph = Graph("g", "", tensors, ops, [0], [3])
    assert fold_constants(graph) is graph


@pytest.mark.parametrize(("op_name", "constants"), [
    # what TFLM refuses at run time
    ("FLOOR_DIV", [np.array([4, 5], np.float32), np.array([2, 0], np.float32)]),  # a zero divisor
    ("GATHER", [np.array([4, 5], np.float32), np.array([2], np.int32)]),  # an index past the end
    # types TFLM's kernels do not take
    ("FLOOR_DIV", [np.array([4, 5], np.int32), np.array([2, 1], np.int32)]),
    ("GATHER", [np.array([4, 5], np.int32), np.array([1], np.int32)]),
    ("ADD", [np.array([4, 5], np.int64), np.array([2, 1], np.int64)]),
    # an operator TFLM does not have
    ("REDUCE_PROD", [np.array([4, 5], np.int32), np.array([0], np.int32)]),
])
def test_what_tflm_refuses_is_not_folded(op_name, constants):
    dtype = constants[0].dtype.name
    shape = (1,) if op_name in ("GATHER", "REDUCE_PROD") else (2,)
    out = Tensor(3, "out", shape, dtype, None)
    tensors = [Tensor(0, "x", shape, dtype, None),
               *(Tensor(i + 1, f"c{i + 1}", c.shape, c.dtype.name, None, c) for i, c in enumerate(constants)),
               out, Tensor(4, "y", shape, dtype, None)]
    ops = [Operator(0, op_name, (1, 2), (3,), {}),
           Operator(1, "ADD", (3, 0), (4,), {"fused_activation_function": "NONE"})]
    graph = Graph("g", "", tensors, ops, [0], [4])
    assert fold_constants(graph) is graph


def test_the_flash_bound_counts_only_operators_that_stay():
    from emu.compile.fits import MARKER_CALL_BYTES, check_graph_fits
    from emu.compile.fold import most_folded

    graph = parse_model(converted("flatten", "int8"))
    kept = len(compile_graph(graph).layers)
    assert most_folded(graph) == len(graph.operators) - kept == 3  # SHAPE, STRIDED_SLICE, PACK
    least = kept * MARKER_CALL_BYTES + 2 * 8
    check_graph_fits(graph, "b", least)
    with pytest.raises(EmuError, match=f"its {kept} operators"):
        check_graph_fits(graph, "b", least - 1)


def test_a_folded_constant_feeds_a_kernel():
    # RESHAPE of a constant, concatenated with the input: the reshape folds, the concatenation
    # reads the constant from flash. The expected output is the data itself, rearranged.
    constant = np.arange(6, dtype=np.float32).reshape(3, 2) / 4
    tensors = [Tensor(0, "x", (2, 3), "float32", None), Tensor(1, "c", (3, 2), "float32", None, constant),
               _const(2, [2, 3]), Tensor(3, "r", (2, 3), "float32", None), Tensor(4, "y", (4, 3), "float32", None)]
    operators = [Operator(0, "RESHAPE", (1, 2), (3,), {}),
                 Operator(1, "CONCATENATION", (0, 3), (4,), {"axis": 0, "fused_activation_function": "NONE"})]
    compiled = compile_graph(Graph("g", "", tensors, operators, [0], [4]))
    assert [(layer.index, layer.op) for layer in compiled.layers] == [(1, "CONCATENATION")]
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    (out,) = run_compiled_on_host(compiled, [x])
    np.testing.assert_array_equal(out, np.concatenate([x, constant.reshape(2, 3)]))


def test_an_output_the_converter_folded_to_a_constant_is_that_constant():
    """A head that does not depend on the input is folded by the converter: the graph output
    is a constant tensor, which TFLM returns as it is; emu copies it into the arena."""
    tf = modelgen.tf()

    class TwoHeads(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32)])
        def __call__(self, x):
            return {"computed": x * 3.0 + 1.0, "folded": tf.reshape(tf.range(6, dtype=tf.float32) / 4.0, [2, 3])}

    module = TwoHeads()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([module.__call__.get_concrete_function()], module)
    model = converter.convert()
    graph = parse_model(model)
    assert sum(graph.tensors[i].is_constant for i in graph.outputs) == 1
    x = [np.array([[0.5, -1.0, 2.0, 0.0]], np.float32)]
    want = tflm_outputs(model, x)
    got = run_compiled_on_host(compile_graph(graph), x)
    assert len(got) == len(want) == 2
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, np.asarray(w).reshape(g.shape))
