"""ELU and PRELU against the TFLM interpreter.

PRELU models are Keras PReLU layers (with random alphas of both signs, for several
shared_axes) converted by TensorFlow's converter to float32 and int8; ELU models are Keras
ELU layers in float32. The converter leaves ELU in float32 even in int8 models (between a
DEQUANTIZE and a QUANTIZE), so the int8 ELU models are converted int8 ABS models with the
operator renamed ELU and the output given an ELU's quantization; int16 PRELU models are int8
ones with int16 activations (TFLM takes int16 PRELU with an int8 alpha; the converter does
not produce it). The generated C, built for the host, must give exactly TFLM's integer
outputs and its float32 outputs within 1e-5 relative. One device test runs a model holding
both operators in QEMU on a Cortex-M0+ and an M4F.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as schema

from emu.compile.codegen import compile_graph
from emu.compile.hostrun import compile_and_run_on_host
from emu.compile.ops import lowerings
from emu.model.oracle import tflm_outputs
from emu.model.reader import parse_model
from emu.platforms import get_platform
from emu.results.measure import measure
from tests import modelgen
from tests.conftest import needs_arm_gcc
from tests.model_edits import edited
from tests.test_ops_misc import (
    RANGES,
    assert_lowering_refuses,
    assert_same,
    convert_calibrated,
    float_inputs,
    make_tensor,
    ops_of,
    sweep_int8,
)


def _tf():
    return modelgen.tf()


def assert_matches_tflm(model: bytes, inputs: list[np.ndarray]) -> None:
    assert_same(compile_and_run_on_host(model, inputs), tflm_outputs(model, inputs))


def paths_of(model: bytes) -> set[str]:
    return {layer.path for layer in compile_graph(parse_model(model)).layers}


def types_of(model: bytes, op_name: str) -> set[str]:
    graph = parse_model(model)
    return {graph.tensors[op.inputs[0]].dtype for op in graph.operators if op.op == op_name}


def _with_random_alphas(model, seed: int):
    """Keras initializes PReLU's alphas to 0; these are drawn from [-1.5, 1.5], both signs."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if type(layer).__name__ == "PReLU":
            (alpha,) = layer.get_weights()
            layer.set_weights([rng.uniform(-1.5, 1.5, alpha.shape).astype(np.float32)])
    return model


# name -> (layers applied in turn, input shape without the batch)
CASES = {
    "prelu_channels": (lambda L: [L.PReLU(shared_axes=[1, 2])], (5, 4, 3)),
    "prelu_full": (lambda L: [L.PReLU()], (5, 4, 3)),
    "prelu_shared": (lambda L: [L.PReLU(shared_axes=[1, 2, 3])], (5, 4, 3)),
    "prelu_rows": (lambda L: [L.PReLU(shared_axes=[1])], (5, 4, 3)),
    "prelu_columns": (lambda L: [L.PReLU(shared_axes=[2])], (5, 4, 3)),
    "prelu_vector": (lambda L: [L.PReLU()], (256,)),
    "prelu_sequence": (lambda L: [L.PReLU(shared_axes=[1])], (9, 6)),
    "elu": (lambda L: [L.ELU()], (4, 64)),
    "dense_elu": (lambda L: [L.Dense(12, activation="elu")], (10,)),
    "abs": (lambda L: [L.Lambda(lambda x: _tf().abs(x))], (256,)),
    "device": (lambda L: [L.PReLU(shared_axes=[1, 2]), L.ELU()], (4, 4, 3)),
    "device_int8": (lambda L: [L.PReLU(shared_axes=[1, 2]), L.Lambda(lambda x: _tf().abs(x))], (4, 4, 3)),
}


@functools.lru_cache(maxsize=None)
def converted(name: str, kind: str, range_name: str = "unit", seed: int = 0) -> bytes:
    t = _tf()
    build, shape = CASES[name]
    t.keras.utils.set_random_seed(seed)
    x = t.keras.Input(shape=shape, batch_size=1, name="in0")
    y = x
    for layer in build(t.keras.layers):
        y = layer(y)
    model = _with_random_alphas(t.keras.Model(x, y), seed)
    return convert_calibrated(model, [shape], kind, range_name, seed)


# ---- ELU ------------------------------------------------------------------------------------

def elu_quantization(low: float, high: float) -> tuple[float, int]:
    """The int8 scale and zero point the converter gives ELU's output over inputs [low, high]."""
    out_low, out_high = min(0.0, math.expm1(low)), max(0.0, high)
    scale = (out_high - out_low) / 255.0
    return scale, int(round(-128 - out_low / scale))


def abs_as_elu(model: bytes, scale: float, zero_point: int, input_quantization=None) -> bytes:
    """A converted int8 model of one ABS with the operator made an ELU and its output quantized
    with `scale` and `zero_point` (and its input with input_quantization, when given)."""
    def change(m, g):
        (op,) = g.operators
        code = m.operatorCodes[op.opcodeIndex]
        code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.ELU
        op.builtinOptionsType, op.builtinOptions = 0, None
        quantization = g.tensors[op.outputs[0]].quantization
        quantization.scale, quantization.zeroPoint = [scale], [zero_point]
        if input_quantization is not None:
            quantization = g.tensors[op.inputs[0]].quantization
            quantization.scale, quantization.zeroPoint = [input_quantization[0]], [input_quantization[1]]

    return edited(model, change)


def test_elu_float():
    model = converted("elu", "float")
    assert ops_of(model) == ["ELU"]
    assert "elu/reference" in paths_of(model)
    assert_matches_tflm(model, float_inputs(model, -20.0, 5.0))
    # near zero, where exp(x) - 1 in float32 loses what expm1 keeps
    x = float_inputs(model, -1e-3, 1e-3, seed=4)[0]
    x.reshape(-1)[:4] = [0.0, -0.0, -1e-30, np.float32(-np.inf)]
    assert_matches_tflm(model, [x])


def test_elu_as_a_dense_activation_float():
    model = converted("dense_elu", "float")
    assert "ELU" in ops_of(model)
    assert_matches_tflm(model, float_inputs(model, -3.0, 3.0))


def test_converter_leaves_int8_elu_in_float():
    # why the int8 tests below edit an ABS model: the converter's int8 model keeps ELU in float
    model = converted("elu", "int8")
    assert types_of(model, "ELU") == {"float32"}
    assert_matches_tflm(model, sweep_int8(model))


@pytest.mark.parametrize("range_name", RANGES)
@pytest.mark.parametrize("output", ["converter", "narrow", "offset"])
def test_elu_int8_every_input(range_name, output):
    source = converted("abs", "int8", range_name)
    scale, zero_point = elu_quantization(*RANGES[range_name])
    if output == "narrow":  # half the scale: the largest inputs saturate
        scale /= 2.0
    elif output == "offset":  # another zero point, so the table's offset and clamp at -128 show
        zero_point = max(-128, zero_point - 60)
    model = abs_as_elu(source, scale, zero_point)
    assert ops_of(model) == ["ELU"] and types_of(model, "ELU") == {"int8"}
    assert "elu/reference" in paths_of(model)
    x = sweep_int8(model)
    assert_matches_tflm(model, x)
    if output == "narrow" and RANGES[range_name][1] > 0:
        assert compile_and_run_on_host(model, x)[0].max() == 127


def test_elu_int8_rounds_halves_away_from_zero():
    # Input steps of 1/16 read on output steps of 1/8: every odd positive input lands halfway
    # between two outputs, where TFLM's round() goes up (round-half-even would not).
    model = abs_as_elu(converted("abs", "int8", "unit"), 1.0 / 8.0, -100, input_quantization=(1.0 / 16.0, 0))
    x = sweep_int8(model)
    (got,) = compile_and_run_on_host(model, x)
    assert_same([got], tflm_outputs(model, x))
    positive = np.arange(1, 128)
    np.testing.assert_array_equal(got[0, 128 + positive].astype(int), np.minimum(-100 + (positive + 1) // 2, 127))


def test_elu_int8_output_scale_out_of_proportion_is_refused():
    from emu.compile.ops.elu import elu_table_s8
    from emu.compile.quant import RescaleOutOfRange

    with pytest.raises(RescaleOutOfRange, match="out of proportion"):
        elu_table_s8(0.1, 0, 1e-45, 0)  # 1 / scale is infinite in float32


# ---- PRELU ----------------------------------------------------------------------------------

PRELU_CASES = ["prelu_channels", "prelu_full", "prelu_shared", "prelu_rows", "prelu_columns", "prelu_vector",
               "prelu_sequence"]


@pytest.mark.parametrize("name", PRELU_CASES)
def test_prelu_float(name):
    model = converted(name, "float")
    assert ops_of(model) == ["PRELU"]
    assert "prelu/reference" in paths_of(model)
    assert_matches_tflm(model, float_inputs(model, -3.0, 3.0))


@pytest.mark.parametrize("name", PRELU_CASES)
@pytest.mark.parametrize("range_name", ["unit", "wide", "tiny"])
def test_prelu_int8(name, range_name):
    model = converted(name, "int8", range_name)
    assert ops_of(model) == ["PRELU"] and types_of(model, "PRELU") == {"int8"}
    graph = parse_model(model)
    alpha = graph.tensors[graph.operators[0].inputs[1]]
    values = np.asarray(alpha.data).reshape(-1)
    if values.size > 1:
        assert values.min() < 0 < values.max()  # alphas of both signs
    assert_matches_tflm(model, sweep_int8(model))


def test_prelu_int8_alpha_zero_point():
    # The converter quantizes alpha symmetrically (zero point 0); TFLM subtracts whatever
    # zero point alpha has, and so does emu.
    source = converted("prelu_channels", "int8", "wide")

    def change(m, g):
        (op,) = g.operators
        g.tensors[op.inputs[1]].quantization.zeroPoint = [7]

    model = edited(source, change)
    graph = parse_model(model)
    assert graph.tensors[graph.operators[0].inputs[1]].quantization.zero_point == (7,)
    assert_matches_tflm(model, sweep_int8(model))


def as_int16(model: bytes, input_scale: float, output_scale: float) -> bytes:
    """An int8 PRELU model with int16 input and output (zero points 0), alpha still int8."""
    def change(m, g):
        (op,) = g.operators
        for index, scale in ((op.inputs[0], input_scale), (op.outputs[0], output_scale)):
            tensor = g.tensors[index]
            tensor.type = schema.TensorType.INT16
            tensor.quantization.scale, tensor.quantization.zeroPoint = [scale], [0]

    return edited(model, change)


@pytest.mark.parametrize("name", ["prelu_channels", "prelu_rows"])
@pytest.mark.parametrize("scales", [(1e-4, 1e-4), (3e-4, 1.1e-4)])
def test_prelu_int16(name, scales):
    model = as_int16(converted(name, "int8", "wide"), *scales)
    assert types_of(model, "PRELU") == {"int16"}
    assert "prelu/reference" in paths_of(model)
    graph = parse_model(model)
    shape = graph.tensors[graph.inputs[0]].shape
    rng = np.random.default_rng(2)
    x = rng.integers(-32768, 32768, shape).astype(np.int16)
    x.reshape(-1)[:4] = [-32768, 32767, 0, -1]
    assert_matches_tflm(model, [x])


def test_prelu_rescales_follow_the_scales():
    # An oracle beside TFLM: a positive input goes through in_scale / out_scale, a negative one
    # through in_scale * alpha_scale / out_scale; both multipliers as frexp gives them.
    model = converted("prelu_channels", "int8", "wide")
    graph = parse_model(model)
    op = graph.operators[0]
    x, alpha, y = (graph.tensors[i].quantization.scale[0] for i in (*op.inputs, op.outputs[0]))
    p = lowerings()["PRELU"](op, graph).params
    for multiplier, shift, real in ((p["identity_multiplier"], p["identity_shift"], x / y),
                                    (p["alpha_multiplier"], p["alpha_shift"], x * alpha / y)):
        assert multiplier * 2.0 ** (shift - 31) == pytest.approx(real, rel=1e-9)
    assert p["stride2"][: p["rank"]][-1] == 1 and 0 in p["stride2"][: p["rank"]]  # alpha broadcast over rows


@pytest.mark.parametrize("op, tensors, why", [
    ("PRELU", [make_tensor(0, (1, 2, 2, 2, 3), "float32"), make_tensor(1, (3,), "float32"),
               make_tensor(2, (1, 2, 2, 2, 3), "float32")], "more than 4 dimensions"),
    ("PRELU", [make_tensor(0, (1, 3), "float32"), make_tensor(1, (2, 3), "float32"),
               make_tensor(2, (2, 3), "float32")], "only alpha is broadcast"),
    ("PRELU", [make_tensor(0, (4,), "int16", 0.1), make_tensor(1, (4,), "int16", 0.1),
               make_tensor(2, (4,), "int16", 0.1)], "int16 alpha with int16 input"),
    ("PRELU", [make_tensor(0, (4,), "uint8", 0.1), make_tensor(1, (4,), "uint8", 0.1),
               make_tensor(2, (4,), "uint8", 0.1)], "uint8 -> uint8"),
    ("ELU", [make_tensor(0, (4,), "int16", 0.1), make_tensor(1, (4,), "int16", 0.1)], "int16 -> int16"),
])
def test_refused_forms_are_named(op, tensors, why):
    assert_lowering_refuses(op, tensors, range(len(tensors) - 1), [len(tensors) - 1], None, why)


# ---- on the device: both operators in one model, on a Cortex-M0+ and an M4F ------------------

def device_model(kind: str) -> bytes:
    if kind == "float":
        return converted("device", "float")
    scale, zero_point = elu_quantization(-1.5, 1.5)  # the ABS of a PReLU over [-1, 1]
    source = converted("device_int8", "int8")

    def change(m, g):
        op = g.operators[-1]
        code = m.operatorCodes[op.opcodeIndex]
        assert code.builtinCode == schema.BuiltinOperator.ABS
        code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.ELU
        op.builtinOptionsType, op.builtinOptions = 0, None
        quantization = g.tensors[op.outputs[0]].quantization
        quantization.scale, quantization.zeroPoint = [scale], [zero_point]

    return edited(source, change)


@needs_arm_gcc
@pytest.mark.qemu
@pytest.mark.parametrize("board", ["rp2040-pico", "nucleo-l4r5zi"])
def test_elu_and_prelu_match_tflm_on_the_device(board, tmp_path):
    for kind in ("float", "int8"):
        model = device_model(kind)
        assert ops_of(model) == ["PRELU", "ELU"], ops_of(model)
        for op in ("PRELU", "ELU"):
            assert types_of(model, op) == {"float32" if kind == "float" else "int8"}, op
        path = tmp_path / f"elu_prelu_{kind}.tflite"
        path.write_bytes(model)
        inputs = sweep_int8(model) if kind == "int8" else float_inputs(model, -3.0, 3.0)
        result, _ = measure(path, get_platform(board), inputs=inputs, variant=kind)
        assert result.output_matches_reference is True, f"{kind} on {board}"
        assert result.reference == "tflm"
