"""The integer forms of the arithmetic operators and the integer QUANTIZE and DEQUANTIZE forms, against TFLM.

int32 MUL, SUB and SQUARED_DIFFERENCE, int32 and int64 MAXIMUM and MINIMUM (converted from
tf.function on integer inputs, with broadcasting, values that overflow int32, and the fused
activations TFLM applies to int32 SUB and MUL), QUANTIZE from int32 to int8 and int16 and
between int8 and uint8, and DEQUANTIZE of uint8 (models built by hand: the converter writes
none of them). Every output equal to TFLM's, bit for bit; NEG int8, which TFLM's kernel
refuses, refused by emu too, and quantized int32 SUB (TFLM's Prepare fails it) as well.
"""

from __future__ import annotations

import numpy as np
import pytest

from emu.compile.hostrun import compile_and_run_on_host
from emu.compile.kernel_call import UnsupportedOperator
from emu.compile.ops.unary_math import lower as lower_unary
from emu.errors import EmuError
from emu.model.oracle import tflm_outputs
from emu.model.reader import parse_model
from tests import model_edits, modelgen

schema = model_edits.schema


def assert_equal_to_tflm(model: bytes, inputs: list[np.ndarray]) -> None:
    ours, theirs = compile_and_run_on_host(model, inputs), tflm_outputs(model, inputs)
    assert len(ours) == len(theirs)
    for i, (got, want) in enumerate(zip(ours, theirs, strict=True)):
        assert got.dtype == want.dtype and got.shape == want.shape, f"output {i}"
        np.testing.assert_array_equal(got, want, err_msg=f"output {i}")


# ---- int32 and int64 arithmetic, as the converter writes it ----------------------------------

def _integer_arithmetic():
    tf = modelgen.tf()

    def network(a, b, c, d):  # a (2, 1, 4) and b (3, 1) int32, c (2, 3) and d (3,) int64
        return [a * b, a - b, tf.math.squared_difference(a, b), tf.maximum(a, b), tf.minimum(b, a),
                tf.maximum(c, d), tf.minimum(c, d), a * a, b - a]

    specs = [tf.TensorSpec((2, 1, 4), tf.int32), tf.TensorSpec((3, 1), tf.int32), tf.TensorSpec((2, 3), tf.int64),
             tf.TensorSpec((3,), tf.int64)]
    concrete = tf.function(network, autograph=False).get_concrete_function(*specs)
    return tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()


@pytest.fixture(scope="module")
def arithmetic_model() -> bytes:
    return _integer_arithmetic()


def _arithmetic_inputs(rng, small: bool) -> list[np.ndarray]:
    bound32 = 40 if small else 2**31
    bound64 = 2**40 if small else 2**62
    return [rng.integers(-bound32, bound32, (2, 1, 4)).astype(np.int32),
            rng.integers(-bound32, bound32, (3, 1)).astype(np.int32),
            rng.integers(-bound64, bound64, (2, 3)).astype(np.int64),
            rng.integers(-bound64, bound64, (3,)).astype(np.int64)]


def test_the_converted_model_holds_the_integer_forms(arithmetic_model):
    graph = parse_model(arithmetic_model)
    forms = {(op.op, graph.tensors[op.outputs[0]].dtype) for op in graph.operators}
    assert forms == {("MUL", "int32"), ("SUB", "int32"), ("SQUARED_DIFFERENCE", "int32"), ("MAXIMUM", "int32"),
                     ("MINIMUM", "int32"), ("MAXIMUM", "int64"), ("MINIMUM", "int64")}


@pytest.mark.parametrize("small", [True, False], ids=["small", "overflowing"])
def test_integer_arithmetic_equals_tflm(arithmetic_model, small):
    # "overflowing": products, differences and squares past int32's range wrap in both
    rng = np.random.default_rng(11 if small else 12)
    for _ in range(3):
        assert_equal_to_tflm(arithmetic_model, _arithmetic_inputs(rng, small))


def _with_activation(model: bytes, activation: int) -> bytes:
    """The model with every int32 MUL and SUB given the fused activation (the converter fuses
    none into integer operators, TFLM's kernels apply it)."""
    def change(m, g):
        for op in g.operators:
            name = m.operatorCodes[op.opcodeIndex].builtinCode
            if name in (schema.BuiltinOperator.MUL, schema.BuiltinOperator.SUB):
                op.builtinOptions.fusedActivationFunction = activation
    return model_edits.edited(model, change)


@pytest.mark.parametrize("activation", ["RELU", "RELU6", "RELU_N1_TO_1", "TANH"])
def test_int32_mul_and_sub_clamp_to_the_fused_activation_as_tflm(arithmetic_model, activation):
    # TANH: TFLM's integer activation range is the whole int32 range for any activation but the RELUs
    model = _with_activation(arithmetic_model, getattr(schema.ActivationFunctionType, activation))
    assert all(op.options["fused_activation_function"] == activation
               for op in parse_model(model).operators if op.op in ("MUL", "SUB"))
    rng = np.random.default_rng(13)
    assert_equal_to_tflm(model, _arithmetic_inputs(rng, True))


# ---- the integer QUANTIZE and DEQUANTIZE forms, built by hand --------------------------------

def quantize_model() -> bytes:
    """QUANTIZE int32 -> int8 and int16 (the rescale of an int32 value, as of an accumulator),
    int8 -> uint8 (zero points 128 apart at one scale, TFLM's shortcut, and at another scale),
    uint8 -> int8, and DEQUANTIZE uint8 -> float32."""
    from tests.test_ops_recurrent import _tensor

    T, Op = schema.TensorType, schema.BuiltinOperator
    model, graph = schema.ModelT(), schema.SubGraphT()
    model.version, model.buffers, graph.tensors, graph.operators = 3, [schema.BufferT()], [], []
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = Op.QUANTIZE
    code.version = 1
    dequantize = schema.OperatorCodeT()
    dequantize.builtinCode = dequantize.deprecatedBuiltinCode = Op.DEQUANTIZE
    dequantize.version = 1
    model.operatorCodes = [code, dequantize]

    def tensor(name, kind, scale, zero_point):
        return _tensor(model, graph, name, (2, 16), kind, None, scale, zero_point)

    def operator(x, y, opcode=0):
        op = schema.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = opcode, [x], [y]
        graph.operators.append(op)
        return y

    x32 = tensor("x32", T.INT32, 0.00021, 7)
    x8 = tensor("x8", T.INT8, 0.031, -3)
    xu8 = tensor("xu8", T.UINT8, 0.017, 131)
    outputs = [operator(x32, tensor("to8", T.INT8, 0.043, -2)),
               operator(x32, tensor("to16", T.INT16, 0.0009, 0)),
               operator(x32, tensor("to8_wider", T.INT8, 0.00003, 5)),  # a left shift: clamps
               operator(x8, tensor("flipped", T.UINT8, 0.031, 125)),
               operator(x8, tensor("rescaled_u8", T.UINT8, 0.047, 140)),
               operator(xu8, tensor("back", T.INT8, 0.017, 3)),
               operator(xu8, tensor("rescaled_s8", T.INT8, 0.011, -9)),
               operator(xu8, tensor("real", T.FLOAT32, None, 0), opcode=1)]
    graph.inputs, graph.outputs = [x32, x8, xu8], outputs
    model.subgraphs = [graph]
    return model_edits.pack(model)


def test_integer_quantize_and_uint8_dequantize_equal_tflm():
    model = quantize_model()
    graph = parse_model(model)
    forms = {(op.op, graph.tensors[op.inputs[0]].dtype, graph.tensors[op.outputs[0]].dtype)
             for op in graph.operators}
    assert forms == {("QUANTIZE", "int32", "int8"), ("QUANTIZE", "int32", "int16"), ("QUANTIZE", "int8", "uint8"),
                     ("QUANTIZE", "uint8", "int8"), ("DEQUANTIZE", "uint8", "float32")}
    rng = np.random.default_rng(17)
    every8 = np.arange(-128, 128, dtype=np.int16).reshape(8, 2, 16)
    for k in range(8):  # every int8 and uint8 value; int32 across its range and near the zero point
        x32 = rng.integers(-2**31, 2**31, (2, 16)).astype(np.int32) if k % 2 else \
            rng.integers(-50_000, 50_000, (2, 16)).astype(np.int32)
        assert_equal_to_tflm(model, [x32, every8[k].astype(np.int8), (every8[k] + 128).astype(np.uint8)])


# ---- NEG int8: TFLM's kernel refuses it ------------------------------------------------------

def test_int8_neg_is_refused_as_tflm_refuses_it():
    tf = modelgen.tf()
    concrete = tf.function(lambda x: -x, autograph=False).get_concrete_function(tf.TensorSpec((4,), tf.float32))
    model = tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()

    def to_int8(m, g):
        for t in g.tensors:
            t.type = schema.TensorType.INT8
            t.quantization = schema.QuantizationParametersT()
            t.quantization.scale, t.quantization.zeroPoint = [0.1], [0]
    neg8 = model_edits.edited(model, to_int8)
    graph = parse_model(neg8)
    assert [op.op for op in graph.operators] == ["NEG"]
    with pytest.raises(RuntimeError, match="invocation failed"):  # NegEval: "Type INT8 (9) not supported."
        tflm_outputs(neg8, [np.int8([1, -2, 127, -128])])
    with pytest.raises(UnsupportedOperator, match="int8"):
        lower_unary(graph.operators[0], graph)


def test_quantized_int32_sub_is_refused_as_tflm_refuses_it(arithmetic_model):
    def quantize_sub(m, g):
        for op in g.operators:
            if m.operatorCodes[op.opcodeIndex].builtinCode == schema.BuiltinOperator.SUB:
                for t in (*op.inputs, *op.outputs):
                    g.tensors[t].quantization = schema.QuantizationParametersT()
                    g.tensors[t].quantization.scale, g.tensors[t].quantization.zeroPoint = [0.5], [0]
    model = model_edits.edited(arithmetic_model, quantize_sub)
    inputs = _arithmetic_inputs(np.random.default_rng(14), True)
    with pytest.raises(RuntimeError, match="allocate tensors"):  # SubPrepare fails on quantized int32
        tflm_outputs(model, inputs)
    with pytest.raises(EmuError, match="int32 SUB of quantized tensors"):
        compile_and_run_on_host(model, inputs)
