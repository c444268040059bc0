"""DIV, FLOOR_DIV, FLOOR_MOD, FLOOR, CEIL, ROUND, ADD_N, SUM, REDUCE_MIN, LOG_SOFTMAX,
L2_POOL_2D and CUMSUM against the TFLM interpreter.

Each case is a small model (TensorFlow operations in Lambda layers, or a tf.function) converted
by TensorFlow's converter to float32, and to int8 and int16 activations where TFLM's kernel takes
them; the generated C, built for the host, must give exactly TFLM's integer outputs and its
float32 outputs within 1e-5 relative (and the same infinities and NaNs). Edge cases: broadcasting,
negative axes, kept dimensions, divisors at and near zero, halves for ROUND, exclusive and
reversed sums. One device test runs a model holding every family in QEMU on a Cortex-M0+, an
M4F and the M55.
"""

from __future__ import annotations

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

from emu.compile.hostrun import compile_and_run_on_host
from emu.errors import EmuError
from emu.model.oracle import tflm_outputs
from emu.model.reader import parse_model
from emu.platforms import get_platform
from emu.results.measure import measure
from tests import model_edits, modelgen
from tests.conftest import needs_arm_gcc
from tests.test_ops_data import _set_scale
from tests.test_ops_misc import (
    assert_lowering_refuses,
    assert_same,
    int32_tensor,
    make_tensor,
    ops_of,
    output_types,
)
from tests.test_ops_slice import converted, inputs_for


def _tf():
    return modelgen.tf()


def _check(model: bytes, name: str, dtype: str, seeds=(0, 1), inputs=None) -> None:
    """The model holds `name` in `dtype`, and emu's outputs equal TFLM's."""
    assert name in ops_of(model), ops_of(model)
    assert output_types(model, name) == {dtype}, output_types(model, name)
    for seed in seeds:
        x = inputs if inputs is not None else inputs_for(model, seed)
        assert_same(compile_and_run_on_host(model, x), tflm_outputs(model, x))


KIND_TYPE = {"float": "float32", "int8": "int8", "int16": "int16"}

# ---- FLOOR, CEIL, ROUND ---------------------------------------------------------------------

ROUNDINGS = {"FLOOR": lambda x: _tf().math.floor(x), "CEIL": lambda x: _tf().math.ceil(x),
             "ROUND": lambda x: _tf().math.round(x)}


@pytest.mark.parametrize("name", ROUNDINGS)
def test_roundings_match_tflm_on_halves_and_zeros(name):
    model = converted((ROUNDINGS[name],), (6, 8), "float")
    # every half from -6.5 to 6.5 (ROUND takes them to the even neighbour), signed zeros,
    # values just off a half, and numbers too large to have a fraction
    halves = np.arange(-6.5, 7.0, 0.5, dtype=np.float32)
    special = np.array([-0.0, 0.0, -0.25, 0.25, 0.49999997, -0.49999997, 2.5000002, -2.4999998,
                        1e9, -1e9, 8388607.5, -8388607.5, np.inf, -np.inf, np.nan], np.float32)
    rng = np.random.default_rng(0)
    rest = rng.uniform(-100, 100, 48 - halves.size - special.size).astype(np.float32)
    x = np.concatenate([halves, special, rest]).reshape(1, 6, 8)
    _check(model, name, "float32", seeds=(0,), inputs=[x])
    ours, = compile_and_run_on_host(model, [x])
    theirs, = tflm_outputs(model, [x])
    assert np.array_equal(np.signbit(ours), np.signbit(theirs))  # -0.25 rounds to +0.0 in both


# ---- SUM and REDUCE_MIN ---------------------------------------------------------------------

REDUCTIONS = {
    "last_axis": (lambda op: lambda x: op(x, axis=-1), (5, 7, 3)),
    "axes_1_3_keepdims": (lambda op: lambda x: op(x, axis=[1, 3], keepdims=True), (5, 7, 3)),
    "negative_axes": (lambda op: lambda x: op(x, axis=[-3, -1]), (4, 2, 6)),
    "all_axes": (lambda op: lambda x: op(x, axis=[1, 2, 3]), (5, 7, 3)),
    "time_keepdims": (lambda op: lambda x: op(x, axis=1, keepdims=True), (9, 8)),
}


@pytest.mark.parametrize("kind", ["float", "int8", "int16"])
@pytest.mark.parametrize("case", REDUCTIONS)
def test_sum_matches_tflm_on_the_host(kind, case):
    make, shape = REDUCTIONS[case]
    _check(converted((make(_tf().reduce_sum),), shape, kind), "SUM", KIND_TYPE[kind])


@pytest.mark.parametrize("kind", ["float", "int8"])
@pytest.mark.parametrize("case", REDUCTIONS)
def test_reduce_min_matches_tflm_on_the_host(kind, case):
    make, shape = REDUCTIONS[case]
    _check(converted((make(_tf().reduce_min),), shape, kind), "REDUCE_MIN", KIND_TYPE[kind])


# ---- DIV, FLOOR_DIV, FLOOR_MOD --------------------------------------------------------------

def _halves(x):
    """The two halves of the last axis, dividend and divisor."""
    k = x.shape[-1] // 2
    return x[..., :k], x[..., k:]


BINARY = {
    "same_shape": lambda f: lambda x: f(*_halves(x)),
    "divisor_broadcast_over_rows": lambda f: lambda x: f(_halves(x)[0], _halves(x)[1][:, :1, :]),
    "dividend_broadcast_over_columns": lambda f: lambda x: f(_halves(x)[0][..., :1], _halves(x)[1]),
    # (a constant divisor becomes a MUL by its reciprocal)
    "constant_dividend": lambda f: lambda x: f(np.array([1.5, -0.75, 3.0, -2.0, 0.5, 0.25, -4.0, 1.25], np.float32), x),
}
DIVISIONS = {"DIV": lambda a, b: _tf().math.divide(a, b), "FLOOR_DIV": lambda a, b: _tf().math.floordiv(a, b),
             "FLOOR_MOD": lambda a, b: _tf().math.floormod(a, b)}


def _near_zero(model: bytes, seed: int) -> list[np.ndarray]:
    """Values down to 1e-30 and exact zeros among ordinary ones: quotients overflow to the
    largest float (DIV's clamp), infinity or NaN."""
    graph = parse_model(model)
    rng = np.random.default_rng(seed)
    x = []
    for index in graph.inputs:
        shape = graph.tensors[index].shape
        magnitudes = rng.choice(np.array([0.0, 1e-30, 1e-20, 1e-7, 1e-3, 0.5, 1.0, 3.0, 7.25], np.float32), shape)
        x.append((magnitudes * rng.choice([-1.0, 1.0], shape)).astype(np.float32))
    return x


@pytest.mark.parametrize("name", DIVISIONS)
@pytest.mark.parametrize("case", BINARY)
def test_float_divisions_match_tflm_on_the_host(name, case):
    model = converted((BINARY[case](DIVISIONS[name]),), (5, 8), "float")
    for seed in range(2):
        x = inputs_for(model, seed)
        if name != "FLOOR_DIV":  # which stops at a zero divisor: inputs_for's values avoid none
            _check(model, name, "float32", inputs=x, seeds=(0,))
            _check(model, name, "float32", inputs=_near_zero(model, seed), seeds=(0,))
        else:
            x = [np.where(v == 0, np.float32(0.375), v) for v in x]
            _check(model, name, "float32", inputs=x, seeds=(0,))


@pytest.mark.parametrize("case", BINARY)
def test_int8_div_matches_tflm_on_the_host(case):
    # inputs over the whole int8 range: divisors at their zero point, dividends near theirs
    _check(converted((BINARY[case](DIVISIONS["DIV"]),), (5, 8), "int8"), "DIV", "int8", seeds=(0, 1, 2))


def test_int8_div_of_a_tiny_dividend_by_a_large_divisor_matches_tflm():
    # the quotient's last shift goes past 31 bits here, where TFLM's arithmetic wraps its shift
    model = converted((BINARY["same_shape"](DIVISIONS["DIV"]),), (5, 8), "int8")
    graph = parse_model(model)
    zero = graph.tensors[graph.inputs[0]].quantization.zero_point[0]
    x = np.full((1, 5, 8), zero, np.int8)
    x[0, :, :4] = zero + np.array([[0, -2, 1, 5], [1, -1, 3, -3], [10, -10, 0, -2], [2, 1, -1, 4], [1, 1, 1, 1]])
    x[0, :, 4:] = [[127, 127, 127, 127], [-128, -128, -128, -128], [127, -128, 100, 50], [-1, 126, -128, 60],
                   [0, 1, 2, 3]]
    _check(model, "DIV", "int8", inputs=[x], seeds=(0,))


def _int32_divisions(x):
    a, b = _halves(x)
    return [_tf().raw_ops.Div(x=a, y=b), _tf().raw_ops.Div(x=a, y=b[:, 2:3, :]), _tf().raw_ops.Div(x=a[..., :1], y=b)]


def test_int32_div_truncates_like_tflm():
    model = converted((_int32_divisions,), (5, 8), "int32")
    rng = np.random.default_rng(0)
    for seed in range(2):
        rng = np.random.default_rng(seed)
        x = rng.integers(-1000, 1000, (1, 5, 8)).astype(np.int32)
        x[0, 0, :4] = [2**31 - 1, -(2**31) + 1, 7, -7]  # large values, and signs of both kinds
        x = np.where(x == 0, 3, x)  # TFLM cannot divide integers by zero
        _check(model, "DIV", "int32", inputs=[x], seeds=(0,))


# ---- ADD_N and CUMSUM -----------------------------------------------------------------------
# The converter keeps int8 ADD_N and CUMSUM in float32 (LiteRT has no int8 kernel for them), so
# their int8 models are int8 models of operators with the same tensors, given the operator
# code and options of ADD_N or CUMSUM: the TFLM interpreter runs them as such.

def _recoded(model: bytes, *changes) -> bytes:
    """The model with each change(model, subgraph, schema) applied (see tests/model_edits.py)."""
    def change_all(m, g):
        for change in changes:
            change(m, g, schema)
    return model_edits.edited(model, change_all)


def _set_operator(m, op, code: int, options_type: int, options) -> None:
    m.operatorCodes[op.opcodeIndex].builtinCode = code
    m.operatorCodes[op.opcodeIndex].deprecatedBuiltinCode = min(code, 127)
    m.operatorCodes[op.opcodeIndex].version = 1
    op.builtinOptionsType, op.builtinOptions = options_type, options


def _maxima(x):
    return _tf().maximum(_tf().maximum(x[..., 0:3], x[..., 3:6]), x[..., 6:9])


def _add_n_float(x):
    return _tf().math.add_n([x[..., 0:3], x[..., 3:6] * 0.5, x[..., 6:9]])


def _maxima_to_add_n(m, g, schema):
    """The two MAXIMUMs of _maxima made one ADD_N of the three slices, written where the second
    wrote, at 3x its scale."""
    first, second = (op for op in g.operators if m.operatorCodes[op.opcodeIndex].builtinCode
                     == schema.BuiltinOperator.MAXIMUM)
    second.inputs = [*first.inputs, second.inputs[1]]
    g.operators.remove(first)
    _set_operator(m, second, schema.BuiltinOperator.ADD_N, schema.BuiltinOptions.AddNOptions, schema.AddNOptionsT())
    g.tensors[second.outputs[0]].quantization.scale = [g.tensors[second.outputs[0]].quantization.scale[0] * 3]


def _add_n_model(kind: str) -> bytes:
    if kind == "float":
        return converted((_add_n_float,), (5, 9), "float")
    return _recoded(converted((_maxima,), (5, 9), "int8"), _maxima_to_add_n)


@pytest.mark.parametrize("kind", ["float", "int8"])
def test_add_n_matches_tflm_on_the_host(kind):
    model = _add_n_model(kind)
    assert len(next(op for op in parse_model(model).operators if op.op == "ADD_N").inputs) == 3
    _check(model, "ADD_N", KIND_TYPE[kind], seeds=(0, 1, 2))


CUMSUMS = {  # name -> (axis, exclusive, reverse)
    "axis_1": (1, False, False),
    "last_axis_exclusive": (-1, True, False),
    "reverse": (2, False, True),
    "exclusive_reverse_negative_axis": (-3, True, True),
}
CUMSUM_SHAPE = (4, 6, 5)


def _reverse_to_cumsum(axis: int, exclusive: bool, reverse: bool):
    """An edit making the model's REVERSE_V2 (which reads the same tensors: an input, a constant
    int32 axis, an output of the input's shape) a CUMSUM, its output at 4x its scale."""
    def change(m, g, schema):
        op = next(op for op in g.operators
                  if m.operatorCodes[op.opcodeIndex].builtinCode == schema.BuiltinOperator.REVERSE_V2)
        m.buffers[g.tensors[op.inputs[1]].buffer].data = np.frombuffer(np.int32(axis).tobytes(), np.uint8)
        g.tensors[op.inputs[1]].shape = [1]
        options = schema.CumsumOptionsT()
        options.exclusive, options.reverse = exclusive, reverse
        _set_operator(m, op, schema.BuiltinOperator.CUMSUM, schema.BuiltinOptions.CumsumOptions, options)
        g.tensors[op.outputs[0]].quantization.scale = [g.tensors[op.outputs[0]].quantization.scale[0] * 4]
    return change


def _cumsum_model(case: str, kind: str) -> bytes:
    axis, exclusive, reverse = CUMSUMS[case]
    if kind == "float":
        return converted((lambda x: _tf().math.cumsum(x, axis=axis, exclusive=exclusive, reverse=reverse),),
                         CUMSUM_SHAPE, "float")
    return _recoded(converted((lambda x: _tf().reverse(x, axis=[1]),), CUMSUM_SHAPE, "int8"),
                    _reverse_to_cumsum(axis, exclusive, reverse))


@pytest.mark.parametrize("kind", ["float", "int8"])
@pytest.mark.parametrize("case", CUMSUMS)
def test_cumsum_matches_tflm_on_the_host(kind, case):
    model = _cumsum_model(case, kind)
    _check(model, "CUMSUM", KIND_TYPE[kind])
    op = next(op for op in parse_model(model).operators if op.op == "CUMSUM")
    _, exclusive, reverse = CUMSUMS[case]
    assert (op.options.get("exclusive", False), op.options.get("reverse", False)) == (exclusive, reverse)


# ---- L2_POOL_2D ------------------------------------------------------------------------------
# No TensorFlow operation converts to L2_POOL_2D (sqrt(avg_pool(x^2)) stays three operators):
# its models are AVERAGE_POOL_2D models given L2_POOL_2D's code, whose options are the same.

def _average_to_l2_pool(activation=None):
    """An edit giving the model's AVERAGE_POOL_2D L2_POOL_2D's code (and a fused activation)."""
    def change(m, g, schema):
        op = next(op for op in g.operators
                  if m.operatorCodes[op.opcodeIndex].builtinCode == schema.BuiltinOperator.AVERAGE_POOL_2D)
        if activation is not None:
            op.builtinOptions.fusedActivationFunction = activation
        _set_operator(m, op, schema.BuiltinOperator.L2_POOL_2D, op.builtinOptionsType, op.builtinOptions)
    return change


def _l2_pool_model(size, strides, padding, activation=None) -> bytes:
    pool = _tf().keras.layers.AveragePooling2D(size, strides, padding)
    return _recoded(converted((pool,), (7, 6, 3), "float"), _average_to_l2_pool(activation))


L2_POOLS = {
    "2x2_valid": (2, 2, "valid"),
    "3x3_same_stride_2": (3, 2, "same"),
    "2x3_same_stride_1_relu6": ((2, 3), 1, "same", 3),  # ActivationFunctionType.RELU6
}


@pytest.mark.parametrize("case", L2_POOLS)
def test_l2_pool_matches_tflm_on_the_host(case):
    _check(_l2_pool_model(*L2_POOLS[case]), "L2_POOL_2D", "float32")


# ---- LOG_SOFTMAX -----------------------------------------------------------------------------

LOG_SOFTMAXES = {
    "rows_of_10": (lambda x: _tf().nn.log_softmax(x), (4, 10)),
    "one_row_of_40": (lambda x: _tf().nn.log_softmax(x * 3.0), (40,)),
    "channels": (lambda x: _tf().nn.log_softmax(x, axis=-1), (3, 2, 5)),
}


@pytest.mark.parametrize("kind", ["float", "int8"])
@pytest.mark.parametrize("case", LOG_SOFTMAXES)
def test_log_softmax_matches_tflm_on_the_host(kind, case):
    operation, shape = LOG_SOFTMAXES[case]
    model = converted((operation,), shape, kind)
    _check(model, "LOG_SOFTMAX", KIND_TYPE[kind], seeds=(0, 1, 2))


# ---- forms TFLM refuses, refused in one line --------------------------------------------------

def test_int8_log_softmax_with_another_output_scale_is_refused_like_tflm():
    model = converted((LOG_SOFTMAXES["rows_of_10"][0],), LOG_SOFTMAXES["rows_of_10"][1], "int8")
    op = next(op for op in parse_model(model).operators if op.op == "LOG_SOFTMAX")
    edited = _set_scale(model, op.outputs[0], 2.0)
    inputs = inputs_for(edited)
    with pytest.raises(RuntimeError):
        tflm_outputs(edited, inputs)
    with pytest.raises(EmuError, match="LOG_SOFTMAX at index .*output scale 16/256 and zero point 127"):
        compile_and_run_on_host(edited, inputs)


def _first_input_only(name: str):
    def change(m, g, schema):
        op = next(op for op in g.operators
                  if m.operatorCodes[op.opcodeIndex].builtinCode == getattr(schema.BuiltinOperator, name))
        op.inputs = op.inputs[:1]
    return change


@pytest.mark.parametrize("name, model", [
    ("DIV", lambda: converted((BINARY["same_shape"](DIVISIONS["DIV"]),), (5, 8), "float")),
    ("FLOOR_MOD", lambda: converted((BINARY["same_shape"](DIVISIONS["FLOOR_MOD"]),), (5, 8), "float")),
    ("ADD_N", lambda: _add_n_model("float")),
    ("CUMSUM", lambda: _cumsum_model("axis_1", "float")),
])
def test_an_operator_missing_an_input_is_refused_in_one_line(name, model):
    with pytest.raises(EmuError, match=rf"\({name}\) has 1 input; {name} needs at least 2"):
        parse_model(_recoded(model(), _first_input_only(name)))


def _f(index, shape=(4, 6)):
    return make_tensor(index, shape, "float32")


def _q(index, dtype="int8", shape=(4, 6), scale=0.1, zero=0):
    return make_tensor(index, shape, dtype, scale, zero)


@pytest.mark.parametrize("op, tensors, inputs, outputs, options, why", [
    ("FLOOR", [_q(0), _q(1)], [0], [1], {}, r"int8 inputs \(TFLM's kernel takes float32\)"),
    ("ROUND", [_q(0, "int16"), _q(1, "int16")], [0], [1], {}, "int16 inputs"),
    ("DIV", [_q(0, "int16"), _q(1, "int16"), _q(2, "int16")], [0, 1], [2], {},
     r"supported: float32, int8, int32"),
    ("DIV", [make_tensor(0, (4, 6), "int32"), int32_tensor(1, [[1, 0, 2, 3, 4, 5]]), make_tensor(2, (4, 6), "int32")],
     [0, 1], [2], {}, "a constant divisor holding 0"),
    ("DIV", [make_tensor(0, (4, 6), "int32", 0.5), make_tensor(1, (4, 6), "int32", 0.5),
             make_tensor(2, (4, 6), "int32")], [0, 1], [2], {}, "quantized int32 inputs"),
    ("DIV", [_q(0), _q(1), _q(2, scale=1e-9)], [0, 1], [2], {}, "needs a shift of"),
    ("FLOOR_DIV", [make_tensor(0, (4, 6), "int32"), make_tensor(1, (4, 6), "int32"), make_tensor(2, (4, 6), "int32")],
     [0, 1], [2], {}, r"supported: float32\)"),
    ("FLOOR_DIV", [_f(0), make_tensor(1, (6,), "float32", data=np.arange(6, dtype=np.float32)), _f(2)],
     [0, 1], [2], {}, "a constant divisor holding 0"),
    ("FLOOR_MOD", [_f(0, (2, 1, 3, 1, 5)), _f(1, (2, 2, 3, 4, 5)), _f(2, (2, 2, 3, 4, 5))], [0, 1], [2], {},
     "more than 4 dimensions"),
    ("ADD_N", [_q(0), _q(1, zero=3), _q(2)], [0, 1], [2], {}, "quantized differently"),
    ("ADD_N", [_f(0), _f(1, (4, 1)), _f(2)], [0, 1], [2], {}, "one type and shape"),
    ("ADD_N", [_q(0, "int16"), _q(1, "int16"), _q(2, "int16")], [0, 1], [2], {}, "int16 -> int16"),
    ("CUMSUM", [_f(0), make_tensor(1, (1,), "int32"), _f(2)], [0, 1], [2], {}, "an axis computed at run time"),
    ("CUMSUM", [_f(0), int32_tensor(1, [2]), _f(2)], [0, 1], [2], {}, "axis 2 of a rank-2 input"),
    ("CUMSUM", [_f(0), int32_tensor(1, [0, 1]), _f(2)], [0, 1], [2], {}, "an axis of 2 int32 values"),
    ("CUMSUM", [_q(0, "int16"), int32_tensor(1, [1]), _q(2, "int16")], [0, 1], [2], {}, "int16 -> int16"),
    ("SUM", [_f(0), make_tensor(1, (1,), "int32"), _f(2, (4,))], [0, 1], [2], {}, "axes computed at run time"),
    ("REDUCE_MIN", [_q(0, "int16"), int32_tensor(1, [1]), _q(2, "int16", (4,))], [0, 1], [2], {}, "int16 -> int16"),
    ("REDUCE_MIN", [_q(0), int32_tensor(1, [1]), _q(2, shape=(4,), scale=0.2)], [0, 1], [2], {},
     "quantized unlike the input"),
    ("LOG_SOFTMAX", [_q(0, "int16"), _q(1, "int16")], [0], [1], {}, "int16 -> int16"),
    ("LOG_SOFTMAX", [_q(0), _q(1, scale=1 / 256, zero=-128)], [0], [1], {}, "output scale 16/256"),
    ("L2_POOL_2D", [_q(0, shape=(1, 4, 4, 2)), _q(1, shape=(1, 2, 2, 2))], [0], [1],
     {"filter_height": 2, "filter_width": 2, "stride_h": 2, "stride_w": 2, "padding": "VALID"},
     r"int8 tensors \(TFLM's kernel takes float32\)"),
])
def test_refused_forms_are_named(op, tensors, inputs, outputs, options, why):
    assert_lowering_refuses(op, tensors, inputs, outputs, options, why)


# ---- on the device: one model holding every family (and int16 SUM), on a Cortex-M0+, an M4F and
# the M55 --------------------------------------------------------------------------------------

def _every_family(kind: str):
    """The operations of one model of every family, on a (4, 6, 10) input; the int8 model's
    MAXIMUMs become ADD_N and its REVERSE_V2 a CUMSUM (see _maxima_to_add_n), the float model's
    average pool an L2 pool."""
    tf = _tf()
    common = [lambda x: tf.math.divide(*_halves(x)), lambda x: tf.reduce_sum(x, axis=[1, -1], keepdims=True),
              lambda x: tf.reduce_min(x, axis=2), lambda x: tf.nn.log_softmax(x)]
    if kind == "int8":
        return (*common, _maxima, lambda x: tf.reverse(x, axis=[1]))
    return (*common, lambda x: tf.math.floordiv(*_halves(x)), lambda x: tf.math.floormod(*_halves(x)),
            tf.math.floor, tf.math.ceil, tf.math.round, lambda x: tf.math.cumsum(x, axis=2, exclusive=True),
            _add_n_float, tf.keras.layers.AveragePooling2D(2, 2, "same"))


DEVICE_BOARDS = ["rp2040-pico", "nucleo-l4r5zi", "alif-e7-appkit"]  # Cortex-M0+, M4F, M55


def _device_model(kind: str) -> tuple[bytes, list[np.ndarray]]:
    if kind == "int16":  # of these operators, TFLM takes int16 in SUM alone
        model = converted((REDUCTIONS["axes_1_3_keepdims"][0](_tf().reduce_sum),
                           REDUCTIONS["last_axis"][0](_tf().reduce_sum)), (4, 6, 10), "int16")
        return model, inputs_for(model)
    model = converted(_every_family(kind), (4, 6, 10), kind)
    if kind == "int8":
        model = _recoded(model, _maxima_to_add_n, _reverse_to_cumsum(-1, False, True))
        x = inputs_for(model)[0]
        zero = parse_model(model).tensors[parse_model(model).inputs[0]].quantization.zero_point[0]
        # tiny dividends over large divisors: the quotient's shift past 31 bits (see above)
        x[0, 0, 0, :5] = zero + np.array([0, 1, -1, 2, 1])
        x[0, 0, 0, 5:] = [127, 127, -128, 127, 100]
        return model, [x]
    model = _recoded(model, _average_to_l2_pool())
    x = inputs_for(model)[0]
    x[0, 0, 0, :] = [0.5, -0.5, 1.5, 2.5, -2.5, 3.0, 0.25, -1.0, 2.0, -3.0]  # halves for ROUND
    return model, [np.where(x == 0, np.float32(0.375), x)]  # FLOOR_DIV stops at a zero divisor


@needs_arm_gcc
@pytest.mark.qemu
@pytest.mark.parametrize("board", DEVICE_BOARDS)
def test_every_family_matches_tflm_on_the_device(board, tmp_path):
    expected = {"float": {"DIV", "FLOOR_DIV", "FLOOR_MOD", "FLOOR", "CEIL", "ROUND", "ADD_N", "SUM", "REDUCE_MIN",
                          "LOG_SOFTMAX", "L2_POOL_2D", "CUMSUM"},
                "int8": {"DIV", "ADD_N", "SUM", "REDUCE_MIN", "LOG_SOFTMAX", "CUMSUM"}, "int16": {"SUM"}}
    for kind in ("float", "int8", "int16"):
        model, inputs = _device_model(kind)
        assert expected[kind] <= set(ops_of(model)), ops_of(model)
        assert all(output_types(model, name) == {KIND_TYPE[kind]} for name in expected[kind])
        path = tmp_path / f"math_{kind}.tflite"
        path.write_bytes(model)
        result, _ = measure(path, get_platform(board), inputs=inputs, variant=kind)
        assert result.output_matches_reference is True, f"{kind} on {board}"
        assert result.reference == "tflm"
