"""Every (operator, type) emu lowers, run on a Cortex-M0+, an M4F and the M55 against TFLM.

The operator tests check each operator's forms on the host and run one model per family on
some boards; this file runs every pair of docs/operators.md's table (each operator with each
type of its module's TYPES that TFLM's kernel takes too) in the emulator on the three cores
whose kernels differ: the M0+ (soft float, no DSP), the M4F (the DSP kernels) and the M55
(the Helium ones). Few models, each chaining many operators: the same layers converted to
float32, int8 and int16x8; one model of the integer and bool types as the converter writes
them; the forms the converter does not write (EMBEDDING_LOOKUP, QUANTIZE between integer types,
int16 PRELU and PADV2, int8 ELU and NOT_EQUAL, ...), the recurrent operators and control flow.
The same models run on the host too, and the last test checks, from the models' own operators
as emu's compiler lowers them, that together they hold every pair.
"""

from __future__ import annotations

import numpy as np
import pytest

from emu.model.reader import parse_model
from emu.platforms import get_platform
from emu.results.measure import measure
from tests import model_edits, modelgen
from tests.conftest import needs_arm_gcc
from tests.op_coverage import graph_pairs, tflm_checkable_pairs

BOARDS = ["rp2040-pico", "nucleo-l4r5zi", "alif-e7-appkit"]  # Cortex-M0+ (soft float), M4F, M55
# Operators whose own test file runs them on these three boards, kept out of these models.


def _tf():
    return modelgen.tf()


def _spec(shape, dtype):
    return _tf().TensorSpec(shape, dtype)


# ---- the layers, in float32, int8 and int16x8 ------------------------------------------------

def _layers(kind: str):
    """A network of the operators TFLM takes in float32, int8 and int16 (int16: 16-bit
    activations, 8-bit weights), with, for float32 and int8, those it takes in those two only,
    and for float32 the float-only math. Each activation reads a tensor that something else
    reads too, so the converter fuses none of them away."""
    tf = _tf()
    L = tf.keras.layers
    tf.keras.utils.set_random_seed(21)
    conv, depth, prelu = L.Conv2D(4, 3, padding="same"), L.DepthwiseConv2D(3, padding="same"), L.PReLU()
    deconv, dense = L.Conv2DTranspose(4, 2, strides=2), L.Dense(5)

    def network(x, v, c):
        a, d = conv(x), depth(x)
        relu, relu6 = tf.nn.relu(x), tf.nn.relu6(a)
        act = tf.sigmoid(d) + tf.tanh(a)
        act = act * relu - tf.nn.leaky_relu(d, 0.2)
        if kind != "int16":  # the converter has no 16x8 PRELU or SELECT_V2: _integers_model has SELECT_V2's
            act = tf.where(c, act + prelu(a), a)
        act = tf.maximum(act, relu6) - tf.minimum(act, d) + tf.math.squared_difference(relu6, d) + tf.abs(d)
        pooled = tf.concat([tf.nn.max_pool2d(act, 2, 2, "VALID"), tf.nn.avg_pool2d(relu6, 2, 2, "VALID")], -1)
        up = tf.image.resize(pooled, [6, 6], method="nearest")
        moved = tf.transpose(up, [0, 2, 1, 3])[:, ::2, 1:5, :]
        parts = tf.split(moved, 2, axis=-1) + tf.split(moved, [3, 5], axis=-1)
        stacked = tf.stack(tf.unstack(parts[0], axis=1) + [parts[1][:, 0]], axis=-1)
        sliced = tf.slice(deconv(pooled), [0, 1, 0, 0], [1, 2, 4, 3])
        padded = tf.pad(sliced, [[0, 0], [1, 0], [0, 1], [0, 0]])
        # PADV2 (a pad value but zero); in 16x8 the converter writes its value in float32, which
        # TFLM's kernel refuses: handmade_model has the int16 PADV2
        padded2 = tf.pad(padded, [[0, 0], [0, 1], [1, 1], [0, 0]], constant_values=0.5 if kind != "int16" else 0.0)
        mean = tf.reduce_mean(tf.reverse(padded2, [1, 2]), axis=[1, 2])
        matmul = tf.matmul(v, v, transpose_b=True)
        flat = tf.concat([tf.reshape(matmul, [1, -1]), mean, tf.reshape(stacked, [1, -1])], -1)
        # SPLIT_V's pieces joined: the converter leaves a split whose pieces are only outputs in float
        outputs = [tf.nn.softmax(dense(flat)), tf.concat([parts[3], parts[2]], -1), padded2]
        if kind != "int16":
            outputs += _float32_and_int8_ops(tf, x, a, d)
        if kind == "float32":
            outputs += _float32_ops(tf, x)
        return outputs

    # the condition broadcast along the channels: SELECT_V2 (SELECT where the shapes are equal)
    specs = [_spec((1, 6, 6, 4), tf.float32), _spec((1, 4, 6), tf.float32), _spec((1, 6, 6, 1), tf.bool)]
    return tf.function(network, autograph=False).get_concrete_function(*specs)


def _float32_and_int8_ops(tf, x, a, d):
    """HARD_SWISH, ELU, L2_NORMALIZATION, ARG_MAX, ARG_MIN, the space/batch/depth moves,
    GATHER, GATHER_ND, RESIZE_BILINEAR, REDUCE_MAX, MIRROR_PAD, RSQRT and the comparisons."""
    swish = a * tf.nn.relu6(a + 3.0) / 6.0
    norm = tf.math.l2_normalize(swish, axis=-1)
    arg = tf.argmax(swish, axis=-1, output_type=tf.int32) + tf.argmin(d, axis=-1, output_type=tf.int32)
    blocks = tf.nn.depth_to_space(tf.nn.space_to_depth(norm, 2), 2)
    batched = tf.batch_to_space(tf.space_to_batch(blocks, [2, 2], [[0, 0], [0, 0]]), [2, 2], [[0, 0], [0, 0]])
    picked = tf.gather(batched, [3, 0, 2], axis=1) + tf.gather_nd(batched, [[0, 1], [0, 4], [0, 2]])[None]
    smooth = tf.image.resize(picked, [4, 5], method="bilinear")
    peak = tf.reduce_max(smooth, axis=[1, 2])
    mirrored = tf.pad(smooth, [[0, 0], [1, 1], [0, 2], [0, 0]], mode="REFLECT")
    inverse = tf.math.rsqrt(tf.abs(x) + 0.25)
    compared = tf.logical_or(tf.logical_and(tf.greater(a, d), tf.less(a, 0.5)),
                             tf.logical_or(tf.equal(a, d), tf.logical_and(tf.not_equal(a, d), tf.less_equal(a, d))))
    compared = tf.cast(tf.logical_or(compared, tf.greater_equal(d, 0.0)), tf.float32)
    return [arg, peak, mirrored, inverse, compared]


def _float32_ops(tf, x):
    """The float-only math, and ELU (which the converter leaves in float: handmade_model has its int8)."""
    return [tf.nn.elu(x),
            tf.sqrt(tf.abs(x)) + tf.exp(x) - tf.math.log(tf.abs(x) + 1.0) + tf.sin(x) * tf.cos(x) - tf.square(-x)]


def _representative():
    rng = np.random.default_rng(3)
    for _ in range(24):
        yield [rng.uniform(-2, 2, (1, 6, 6, 4)).astype(np.float32), rng.uniform(-1, 1, (1, 4, 6)).astype(np.float32),
               rng.integers(0, 2, (1, 6, 6, 1)).astype(bool)]


def layers_model(kind: str) -> bytes:
    tf = _tf()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([_layers(kind)])
    if kind != "float32":
        ops = tf.lite.OpsSet
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = _representative
        converter.target_spec.supported_ops = [ops.TFLITE_BUILTINS_INT8 if kind == "int8" else
                                               ops.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
        if kind == "int8":  # int16 keeps float32 at the edges: QUANTIZE and DEQUANTIZE of int16
            converter.inference_input_type = converter.inference_output_type = tf.int8
    return converter.convert()


# ---- the integer and bool types, as the converter writes them --------------------------------

INTEGER_INPUTS = (((2, 3), "int32"), ((2, 3), "int64"), ((2, 3), "bool"), ((2, 3), "uint8"), ((2, 3), "int16"),
                  ((2, 3), "int8"), ((2, 3), "uint32"), ((2, 3), "float32"), ((2,), "int32"), ((2,), "int64"),
                  ((2,), "int32"), ((None, 3), "float32"))  # the last: an open batch, whose SHAPE is not folded


def _integers(i32, i64, b, u8, i16, i8, u32, f, shape32, shape64, start, open_batch):
    """The comparisons, logic, casts and moves (and int32 DIV, MUL, SUB and SQUARED_DIFFERENCE, int32 and int64
    MAXIMUM and MINIMUM) on int32, int64, bool, uint8, int16, int8 and uint32 tensors (no quantization: the
    kernels read the values as they are)."""
    tf = _tf()
    from tensorflow.compiler.tf2xla.python import xla

    checks = [tf.equal(i32, 1), tf.not_equal(i32, 2), tf.greater(i32, 0), tf.greater_equal(i32, 1), tf.less(i32, 3),
              tf.less_equal(i32, 2), tf.equal(i64, 1), tf.not_equal(i64, 2), tf.greater(i64, 0),
              tf.greater_equal(i64, 1), tf.less(i64, 3), tf.less_equal(i64, 2), tf.equal(b, tf.reverse(b, [1])),
              tf.not_equal(b, tf.slice(tf.reverse(b, [0]), [0, 0], [2, 3]))]
    logic = tf.logical_not(tf.logical_and(tf.logical_or(checks[0], checks[1]), checks[2]))
    for check in checks[3:]:
        logic = tf.logical_or(tf.logical_and(logic, check), tf.logical_not(check))
    casts = (tf.cast(logic, tf.int32) + tf.cast(f, tf.int32) + tf.cast(i8, tf.int32) + tf.cast(i16, tf.int32)
             + tf.cast(u32, tf.int32))
    joined = tf.stack(tf.unstack(tf.reverse(casts, [0]), axis=1), axis=0)  # PACK, UNPACK int32
    pieces = tf.split(joined, 3, axis=0) + tf.split(joined, [1, 1], axis=1)
    wide = tf.stack([i64, tf.reverse(i64, [1])], axis=-1)  # PACK, REVERSE_V2 int64
    return [tf.reduce_all(logic, axis=1), tf.cast(i32, tf.float32), *pieces,
            tf.strided_slice(b, [0, 2], [2, 0], [1, -1]), tf.strided_slice(i32, [1, 0], [2, 3], [1, 2]),
            tf.pad(i32, [[1, 0], [0, 2]]), tf.pad(i32, [[0, 1], [1, 0]], constant_values=7),
            tf.reverse(u8, [1]), tf.reverse(i16, [0, 1]), wide,
            xla.dynamic_update_slice(i32, tf.ones([1, 2], tf.int32), start),
            xla.dynamic_update_slice(i16, tf.fill([1, 2], tf.constant(5, tf.int16)), start),
            xla.dynamic_update_slice(i8, tf.fill([2, 1], tf.constant(-3, tf.int8)), start),
            xla.dynamic_update_slice(f, f[:1, :2] * 2.0, start),
            tf.fill([2, 3], i32[0, 0]), tf.fill([3, 2], i8[1, 1]), tf.fill([2, 2], f[0, 1]),
            tf.raw_ops.ZerosLike(x=f), tf.raw_ops.ZerosLike(x=i32),
            tf.raw_ops.ZerosLike(x=i64),
            tf.raw_ops.BroadcastArgs(s0=shape32, s1=tf.constant([1, 1], tf.int32)),
            tf.raw_ops.BroadcastArgs(s0=shape64, s1=tf.constant([2, 1], tf.int64)),
            tf.broadcast_to(f[:, :1], [2, 2, 3]), tf.expand_dims(i32, 1), tf.squeeze(f[:1], 0),
            tf.where(b[:1], i16, tf.reverse(i16, [1])), tf.slice(i32, start, [1, 2]), tf.slice(b, start, [1, 1]),
            tf.shape(open_batch), tf.raw_ops.Div(x=i32 + 5, y=tf.constant([[2, -3, 1], [4, 3, -2]], tf.int32)),
            i32 * tf.reverse(i32, [1]) - i32[:1], tf.math.squared_difference(i32, tf.reverse(i32, [0])),
            tf.maximum(i32, tf.reverse(i32, [1])) + tf.minimum(i32, shape32[:1]),
            tf.maximum(i64, tf.reverse(i64, [0])), tf.minimum(i64, tf.constant([1, 0, 2], tf.int64))]


def integers_model() -> bytes:
    tf = _tf()
    concrete = tf.function(_integers, autograph=False).get_concrete_function(
        *[_spec(shape, getattr(tf, dtype)) for shape, dtype in INTEGER_INPUTS])
    return tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()


def integer_inputs(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    values = [rng.integers(-2, 4, shape).astype(dtype) if dtype != "float32" else
              rng.uniform(-3, 3, shape).astype(np.float32) for shape, dtype in INTEGER_INPUTS[:8]]
    values[2] = rng.integers(0, 2, (2, 3)).astype(bool)
    values[3] = rng.integers(0, 256, (2, 3)).astype(np.uint8)
    values[6] = rng.integers(0, 2**31, (2, 3)).astype(np.uint32)
    return values + [np.array([2, 1], np.int32), np.array([1, 3], np.int64), np.array([1, 1], np.int32),
                     rng.uniform(-1, 1, (1, 3)).astype(np.float32)]


# ---- the forms the converter does not write ----------------------------------------------------

def lookup_model() -> bytes:
    """EMBEDDING_LOOKUP of a float32 table, an int8 one and (hybrid) a constant int8 table with
    a float32 output: GATHERs of rows turned into EMBEDDING_LOOKUPs, as TFLM's kernel takes them."""
    tf = _tf()
    schema = model_edits.schema
    table = np.random.default_rng(3).uniform(-2, 2, (6, 3)).astype(np.float32)

    def lookups(floats, int8s, rows):
        return [tf.gather(floats, rows), tf.gather(int8s, rows), tf.gather(tf.constant(table), rows)]

    concrete = tf.function(lookups, autograph=False).get_concrete_function(
        _spec((6, 3), tf.float32), _spec((6, 3), tf.int8), _spec((4,), tf.int32))
    model = tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()

    def quantization(scale):
        q = schema.QuantizationParametersT()
        q.scale, q.zeroPoint = [scale], [0]
        return q

    def change(m, g):
        for code in m.operatorCodes:
            if max(code.builtinCode, code.deprecatedBuiltinCode) == schema.BuiltinOperator.GATHER:
                code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.EMBEDDING_LOOKUP
        for op in g.operators:
            op.inputs = [op.inputs[1], op.inputs[0]]  # EMBEDDING_LOOKUP reads the rows first
            op.builtinOptionsType, op.builtinOptions = 0, None
            values = g.tensors[op.inputs[1]]
            if values.type == schema.TensorType.INT8:  # an int8 table passes its values through
                values.quantization = g.tensors[op.outputs[0]].quantization = quantization(0.05)
            elif m.buffers[values.buffer].data is not None and len(m.buffers[values.buffer].data):
                data = np.frombuffer(bytes(bytearray(m.buffers[values.buffer].data)), np.float32)
                values.type, values.quantization = schema.TensorType.INT8, quantization(0.0173)
                m.buffers[values.buffer].data = np.frombuffer(
                    np.clip(np.round(data / 0.0173), -128, 127).astype(np.int8).tobytes(), np.uint8)
    return model_edits.edited(model, change)


def handmade_model() -> bytes:
    """The forms the converter does not write, which TFLM runs: QUANTIZE between integer types
    (int8 to int16, int16 to int16 at another scale, then to int8 and int32, int8 to int32, int32
    to int8 and int16, int8 to uint8 and back), DEQUANTIZE of uint8,
    int16 PRELU and PADV2, ELU and NOT_EQUAL in int8, FILL and ZEROS_LIKE of int8, EXPAND_DIMS
    and SQUEEZE, and SOFTMAX from int8 to int16."""
    from tests.test_ops_recurrent import _tensor

    schema = model_edits.schema
    T, Op = schema.TensorType, schema.BuiltinOperator
    model, graph = schema.ModelT(), schema.SubGraphT()
    model.version, model.buffers, model.operatorCodes = 3, [schema.BufferT()], []
    graph.tensors, graph.operators = [], []

    def tensor(name, shape, kind, data=None, scale=None, zero_point=0):
        return _tensor(model, graph, name, shape, kind, data, scale, zero_point)

    def operator(code, inputs, outputs, options_type=0, options=None):
        if code not in [c.builtinCode for c in model.operatorCodes]:
            entry = schema.OperatorCodeT()
            entry.builtinCode = entry.deprecatedBuiltinCode = code
            entry.version = 1
            model.operatorCodes.append(entry)
        op = schema.OperatorT()
        op.opcodeIndex = [c.builtinCode for c in model.operatorCodes].index(code)
        op.inputs, op.outputs, op.builtinOptionsType, op.builtinOptions = inputs, outputs, options_type, options
        graph.operators.append(op)
        return outputs[0]

    x8 = tensor("x8", (1, 40), T.INT8, None, 0.011, 3)
    x16 = tensor("x16", (1, 4, 10), T.INT16, None, 0.0003, 0)
    v8 = tensor("v8", (), T.INT8, None, 0.02, -4)
    a = operator(Op.QUANTIZE, [x8], [tensor("a", (1, 40), T.INT16, None, 0.00013, 0)])
    b = operator(Op.QUANTIZE, [a], [tensor("b", (1, 40), T.INT16, None, 0.00029, 0)])
    c = operator(Op.QUANTIZE, [b], [tensor("c", (1, 40), T.INT8, None, 0.0047, -5)])
    outputs = [c, operator(Op.QUANTIZE, [b], [tensor("d", (1, 40), T.INT32, None, 0.00007, 0)]),
               operator(Op.QUANTIZE, [x8], [tensor("e", (1, 40), T.INT32, None, 0.003, 0)])]
    outputs += [operator(Op.QUANTIZE, [outputs[-1]], [tensor("e8", (1, 40), T.INT8, None, 0.004, 6)]),
                operator(Op.QUANTIZE, [outputs[-1]], [tensor("e16", (1, 40), T.INT16, None, 0.0002, 0)])]
    u8 = operator(Op.QUANTIZE, [x8], [tensor("u8", (1, 40), T.UINT8, None, 0.013, 120)])
    outputs += [operator(Op.QUANTIZE, [u8], [tensor("s8", (1, 40), T.INT8, None, 0.013, -8)]),
                operator(Op.DEQUANTIZE, [u8], [tensor("real", (1, 40), T.FLOAT32)])]
    alpha = np.random.default_rng(5).integers(-100, 100, (10,)).astype(np.int8)
    outputs.append(operator(Op.PRELU, [x16, tensor("alpha", (10,), T.INT8, alpha, 0.004, 0)],
                            [tensor("prelu", (1, 4, 10), T.INT16, None, 0.0002, 0)]))
    paddings = tensor("paddings", (3, 2), T.INT32, np.int32([[0, 0], [1, 2], [0, 1]]))
    outputs.append(operator(Op.PADV2, [x16, paddings, tensor("value", (), T.INT16, np.int16([-1234]), 0.0003, 0)],
                            [tensor("padded", (1, 7, 11), T.INT16, None, 0.0003, 0)]))
    elu = operator(Op.ELU, [x8], [tensor("elu", (1, 40), T.INT8, None, 0.012, -40)])
    wide = operator(Op.EXPAND_DIMS, [elu, tensor("axis", (), T.INT32, np.int32([1]))],
                    [tensor("wide", (1, 1, 40), T.INT8, None, 0.012, -40)])
    squeeze = schema.SqueezeOptionsT()
    squeeze.squeezeDims = [1]
    outputs.append(operator(Op.SQUEEZE, [wide], [tensor("narrow", (1, 40), T.INT8, None, 0.012, -40)],
                            schema.BuiltinOptions.SqueezeOptions, squeeze))
    outputs.append(operator(Op.NOT_EQUAL, [x8, c], [tensor("differ", (1, 40), T.BOOL)]))
    outputs.append(operator(Op.FILL, [tensor("dims", (2,), T.INT32, np.int32([2, 3])), v8],
                            [tensor("filled", (2, 3), T.INT8, None, 0.02, -4)]))
    outputs.append(operator(Op.ZEROS_LIKE, [c], [tensor("zeros", (1, 40), T.INT8, None, 0.0047, -5)]))
    softmax = schema.SoftmaxOptionsT()
    softmax.beta = 1.0
    outputs.append(operator(Op.SOFTMAX, [x8], [tensor("softmax", (1, 40), T.INT16, None, 1 / 65536, -32768)],
                            schema.BuiltinOptions.SoftmaxOptions, softmax))
    graph.inputs, graph.outputs = [x8, x16, v8], outputs
    model.subgraphs = [graph]
    return model_edits.pack(model)


def recurrent_models() -> dict[str, bytes]:
    from tests.test_ops_lstm16 import lstm16_model
    from tests.test_ops_recurrent import LSTM_CASES, lstm_model, svdf_model

    return {"lstm_float32": lstm_model(*LSTM_CASES["seq_float32"]), "lstm_int8": lstm_model(*LSTM_CASES["seq_int8"]),
            "lstm_int16": lstm16_model(batch=1, steps=3, features=5, units=4),
            "svdf_float32": svdf_model("float32", 1, 8, 4, 2, 4), "svdf_int8": svdf_model("int8", 1, 8, 4, 2, 4)}


def control_flow_model() -> bytes:
    from tests.test_control_flow import _stateful_loop_model

    return _stateful_loop_model()


# ---- on the device -----------------------------------------------------------------------------

def _bool_inputs(model: bytes, seed: int) -> list[np.ndarray]:
    """modelgen.random_input, with bool inputs half true (it casts uniform floats: nearly all true)."""
    graph = parse_model(model)
    inputs = modelgen.random_input(model, seed)
    rng = np.random.default_rng(seed)
    for k, index in enumerate(graph.inputs):
        if graph.tensors[index].dtype == "bool":
            inputs[k] = rng.integers(0, 2, graph.tensors[index].shape).astype(bool)
    return inputs


@pytest.fixture(scope="module")
def device_models(tmp_path_factory) -> dict[str, tuple]:
    """name -> (model path, its inputs)."""
    folder = tmp_path_factory.mktemp("device-coverage")
    models = {f"layers_{kind}": layers_model(kind) for kind in ("float32", "int8", "int16")}
    models |= {"integers": integers_model(), "lookup": lookup_model(), "handmade": handmade_model(),
               "control_flow": control_flow_model(), **recurrent_models()}
    made = {}
    for name, model in models.items():
        path = folder / f"{name}.tflite"
        path.write_bytes(model)
        made[name] = path, integer_inputs() if name == "integers" else _bool_inputs(model, 1)
    return made


MODELS = ["layers_float32", "layers_int8", "layers_int16", "integers", "lookup", "handmade", "control_flow",
          "lstm_float32", "lstm_int8", "lstm_int16", "svdf_float32", "svdf_int8"]


@needs_arm_gcc
@pytest.mark.qemu
@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("name", MODELS)
def test_model_matches_tflm_on_the_device(device_models, name, board):
    path, inputs = device_models[name]
    result, _ = measure(path, get_platform(board), inputs=inputs, variant=name)
    assert result.reference == "tflm", result.reference
    assert result.output_matches_reference is True, f"{name} on {board}"


@pytest.mark.parametrize("name", MODELS)
def test_model_matches_tflm_on_the_host(device_models, name):
    """The same C built for the host: the pairs' host check (and a quicker place to see a
    mismatch than the emulator)."""
    from tests.test_ops_misc import assert_matches_tflm

    path, inputs = device_models[name]
    assert_matches_tflm(path.read_bytes(), inputs)


def test_the_models_hold_every_operator_and_type(device_models):
    """Every (operator, type) of docs/operators.md's table that TFLM runs is in a model the
    device test runs on every board: the pairs read from the models as emu's compiler lowers
    them, not from a list kept by hand."""
    assert sorted(device_models) == sorted(MODELS)
    held = set()
    for path, _ in device_models.values():
        held |= graph_pairs(parse_model(path.read_bytes()))
    # the arithmetic, rounding and reduction operators have their own device models, which
    # tests/test_ops_math.py runs on the same three boards
    from tests import test_ops_math

    assert test_ops_math.DEVICE_BOARDS == BOARDS
    for kind in ("float", "int8", "int16"):
        held |= graph_pairs(parse_model(test_ops_math._device_model(kind)[0]))
    missing = sorted(tflm_checkable_pairs() - held)
    assert not missing, f"{len(missing)} pairs in no model: {missing}"
