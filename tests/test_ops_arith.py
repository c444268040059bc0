"""SUB, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, LEAKY_RELU and HARD_SWISH against the TFLM interpreter.

Each case is a small Keras model converted by TensorFlow's converter to float32 and to int8
over several calibration ranges (so scales and zero points vary); the generated C, built for
the host, must give exactly TFLM's int8 outputs and its float32 outputs within 1e-5
relative. LEAKY_RELU and HARD_SWISH see all 256 int8 input values. One device test per family runs the
same C on an M0+, an M4F and the M55 (whose Helium kernel SUB shares with ADD).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from emu.compile.codegen import compile_graph
from emu.model.reader import parse_model
from tests import model_edits, modelgen
from tests.conftest import needs_arm_gcc
from tests.test_ops_misc import RANGES, assert_matches_tflm, convert_calibrated, float_inputs, ops_of, sweep_int8


def _layers():
    return modelgen.tf().keras.layers


def _tf():
    return modelgen.tf()


MEAN = np.array([0.5, -1.0, 2.0], dtype=np.float32)
VARIANCE = np.array([4.0, 0.25, 1.0], dtype=np.float32)

# name -> (build(*inputs) -> outputs, input shapes without the batch dimension)
CASES = {
    "sub": (lambda a, b: _layers().Subtract()([a, b]), [(4, 5, 3), (4, 5, 3)]),
    "sub_channel": (lambda a, b: _layers().Subtract()([a, b]), [(4, 5, 3), (1, 1, 3)]),
    "sub_outer": (lambda a, b: _layers().Subtract()([a, b]), [(4, 1, 3), (1, 5, 1)]),
    "sub_relu": (lambda a, b: _layers().ReLU()(_layers().Subtract()([a, b])), [(4, 5, 3), (4, 5, 3)]),
    # a constant minuend: SUB's second input is the model input
    "sub_grid": (lambda a, b: _layers().Subtract()([a, b]), [(256, 256), (1, 256)]),
    "sub_from_const": (lambda a: _tf().keras.ops.subtract(np.linspace(-1, 1, 3, dtype=np.float32), a), [(4, 3)]),
    "normalization": (lambda x: _layers().Normalization(mean=MEAN, variance=VARIANCE)(x), [(4, 5, 3)]),
    "maximum": (lambda a, b: _layers().Maximum()([a, b]), [(4, 5, 3), (4, 5, 3)]),
    "minimum": (lambda a, b: _layers().Minimum()([a, b]), [(4, 5, 3), (4, 5, 3)]),
    "maximum_broadcast": (lambda a, b: _layers().Lambda(lambda t: _tf().maximum(t[0], t[1]))([a, b]),
                          [(4, 1, 3), (1, 5, 1)]),
    "minimum_const": (lambda a: _layers().Lambda(lambda t: _tf().minimum(t, np.float32(0.25)))(a), [(4, 5, 3)]),
    "sqdiff": (lambda a, b: _layers().Lambda(lambda t: _tf().math.squared_difference(t[0], t[1]))([a, b]),
               [(4, 5, 3), (4, 5, 3)]),
    "sqdiff_broadcast": (lambda a, b: _layers().Lambda(lambda t: _tf().math.squared_difference(t[0], t[1]))([a, b]),
                         [(4, 1, 3), (1, 5, 1)]),
    **{f"leaky_{alpha}": (lambda x, alpha=alpha: _layers().LeakyReLU(negative_slope=alpha)(x), [(256,)])
       for alpha in (0.01, 0.2, 0.3, 1.5)},
    "hardswish": (lambda x: _layers().Activation("hard_swish")(x), [(256,)]),
}

UNARY = [name for name in CASES if name.startswith(("leaky_", "hardswish"))]
BINARY = [name for name in CASES if name not in UNARY and name != "sub_grid"]
OPERATOR = {"sqdiff": "SQUARED_DIFFERENCE", "sub": "SUB", "normalization": "SUB", "maximum": "MAXIMUM",
            "minimum": "MINIMUM", "leaky": "LEAKY_RELU", "hardswish": "HARD_SWISH"}


def operator_of(name: str) -> str:
    return OPERATOR[name.split("_")[0]]


def _keras_model(name: str, seed: int = 0):
    t = modelgen.tf()
    build, shapes = CASES[name]
    t.keras.utils.set_random_seed(seed)
    inputs = [t.keras.Input(shape=s, batch_size=1, name=f"in{i}") for i, s in enumerate(shapes)]
    return t.keras.Model(inputs, build(*inputs)), shapes


@functools.lru_cache(maxsize=None)
def converted(name: str, kind: str, range_name: str = "unit", seed: int = 0) -> bytes:
    """The case converted once per session: kind is float, int8 or int16 (16-bit activations,
    8-bit weights)."""
    model, shapes = _keras_model(name, seed)
    return convert_calibrated(model, shapes, kind, range_name, seed)


def paths(model: bytes, kernel_set: str) -> set[str]:
    return {layer.path for layer in compile_graph(parse_model(model), kernel_set).layers}


# ---- binary operators: SUB, MAXIMUM, MINIMUM ------------------------------------------------

@pytest.mark.parametrize("range_name", RANGES)
@pytest.mark.parametrize("name", BINARY)
def test_binary_int8(name, range_name):
    model = converted(name, "int8", range_name)
    op = operator_of(name)
    assert op in ops_of(model)
    if name == "sub_relu":
        assert parse_model(model).operators[0].options["fused_activation_function"] == "RELU"
    kernel_sets = ["reference", "optimized"] if op == "SUB" else ["reference"]
    for kernel_set in kernel_sets:
        expected = f"{op.lower()}/{'dsp' if kernel_set == 'optimized' else 'reference'}"
        assert expected in paths(model, kernel_set)
        assert_matches_tflm(model, sweep_int8(model), kernel_set)
        assert_matches_tflm(model, modelgen.random_input(model, 1), kernel_set)


@pytest.mark.parametrize("name", BINARY)
def test_binary_float(name):
    model = converted(name, "float")
    assert operator_of(name) in ops_of(model)
    assert_matches_tflm(model, float_inputs(model, -3.0, 3.0))
    # equal inputs: MAXIMUM and MINIMUM pick either, SUB gives zero
    inputs = float_inputs(model, -3.0, 3.0, seed=5)
    if len(inputs) == 2 and inputs[0].shape == inputs[1].shape:
        assert_matches_tflm(model, [inputs[0], inputs[0].copy()])


# ---- unary operators: LEAKY_RELU and HARD_SWISH ------------------------------------------

@pytest.mark.parametrize("range_name", RANGES)
@pytest.mark.parametrize("name", UNARY)
def test_unary_int8_all_values(name, range_name):
    model = converted(name, "int8", range_name)
    assert ops_of(model) == [operator_of(name)]
    x = sweep_int8(model)[0]
    assert sorted(x.reshape(-1).tolist()) == list(range(-128, 128))
    assert_matches_tflm(model, [x])


@pytest.mark.parametrize("name", UNARY)
def test_unary_float(name):
    model = converted(name, "float")
    assert ops_of(model) == [operator_of(name)]
    # past both of HARD_SWISH's bends (-3 and 3)
    assert_matches_tflm(model, float_inputs(model, -5.0, 5.0))


# ---- int16 (16-bit activations): SUB, SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, LEAKY_RELU --------

# (the converter puts an int16 QUANTIZE, which emu does not take yet, before MAXIMUM and MINIMUM
# of two inputs, and before a MAXIMUM with a constant: the int16 cases compare with a constant,
# and MAXIMUM's is that MINIMUM model with its operator code changed)
INT16 = ["sub", "sub_channel", "sub_outer", "sub_relu", "sub_from_const", "sqdiff", "sqdiff_broadcast",
         "minimum_const", "minimum_const-as-maximum", "leaky_0.01", "leaky_0.3", "leaky_1.5"]


def sweep_int16(model: bytes) -> list[np.ndarray]:
    """Inputs that run from -32768 to 32767 in even steps, the rest random."""
    graph = parse_model(model)
    rng = np.random.default_rng(7)
    inputs = []
    for index in graph.inputs:
        shape = graph.tensors[index].shape
        x = rng.integers(-32768, 32768, shape, dtype=np.int16).reshape(-1)
        sweep = np.linspace(-32768, 32767, min(x.size, 256)).round().astype(np.int16)
        x[: sweep.size] = sweep
        inputs.append(x.reshape(shape))
    return inputs


def as_maximum(m, g):
    from ai_edge_litert import schema_py_generated as schema

    code = m.operatorCodes[g.operators[0].opcodeIndex]
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.MAXIMUM


@pytest.mark.parametrize("range_name", ["unit", "wide", "tiny"])
@pytest.mark.parametrize("name", INT16)
def test_int16(name, range_name):
    model = converted(name.split("-")[0], "int16", range_name)
    if name.endswith("-as-maximum"):
        model = model_edits.edited(model, as_maximum)
    graph = parse_model(model)
    operator = "MAXIMUM" if name.endswith("-as-maximum") else operator_of(name)
    assert [(op.op, graph.tensors[op.outputs[0]].dtype) for op in graph.operators] == [(operator, "int16")]
    if name == "sub_relu":
        assert graph.operators[0].options["fused_activation_function"] == "RELU"
    assert_matches_tflm(model, sweep_int16(model))
    assert_matches_tflm(model, modelgen.random_input(model, 1))


# ---- rescale ratios in double ---------------------------------------------------------------

# TFLM's Prepare functions for SUB, LEAKY_RELU and HARD_SWISH spell their rescale ratios in
# float32 (ADD's in double), but the interpreter's results are those of double ratios. Each case
# below: (scale, zero point) of the operator's inputs and output at which float32 and double
# ratios give different multipliers and different int8 results (found by searching random
# scales): 4 of SUB's 65536 input pairs, one or two of the unary operators' 256 inputs.
DOUBLE_RATIOS = {
    "sub_grid": [(0.006150108762085438, -11), (0.04105063155293465, 17), (0.02065279148519039, -17)],
    "leaky_0.3": [(0.03394339978694916, -30), (0.013310089707374573, 17)],
    "hardswish": [(0.10149282962083817, -60), (0.0563155896961689, -128)],
}
DOUBLE_RATIOS["hardswish-2"] = [(0.1606513112783432, 0), (0.07759075611829758, -100)]


@pytest.mark.parametrize("case", DOUBLE_RATIOS)
def test_int8_rescales_like_tflm_where_float32_and_double_ratios_differ(case):
    def requantize(m, g):
        op = g.operators[0]
        for index, (scale, zero) in zip([*op.inputs, *op.outputs], DOUBLE_RATIOS[case], strict=True):
            g.tensors[index].quantization.scale = [scale]
            g.tensors[index].quantization.zeroPoint = [zero]

    model = model_edits.edited(converted(case.split("-")[0], "int8"), requantize)
    values = np.arange(-128, 128, dtype=np.int8)
    if case == "sub_grid":
        # every pair of int8 values: row i of the first input holds i - 128, the second input j - 128
        inputs = [np.repeat(values[:, None], 256, axis=1)[None], values[None, None, :]]
    else:
        inputs = [values[None]]
    assert_matches_tflm(model, inputs)


# ---- on the device ------------------------------------------------------------------------

def arith_model():
    """SUB (a Normalization layer, and broadcast with a fused RELU), MAXIMUM, MINIMUM,
    SQUARED_DIFFERENCE, LEAKY_RELU and HARD_SWISH in one model."""
    t = modelgen.tf()
    L = t.keras.layers
    t.keras.utils.set_random_seed(11)
    x = t.keras.Input((6, 6, 3), batch_size=1)
    n = L.Normalization(mean=MEAN, variance=VARIANCE)(x)
    a = L.Conv2D(3, 1)(n)
    d = L.ReLU()(L.Subtract()([a, L.Conv2D(3, 1)(L.AveragePooling2D(6)(x))]))
    hi = L.Maximum()([n, d])
    lo = L.Lambda(lambda t_: t.minimum(t_[0], t_[1]))([a, L.AveragePooling2D(6)(n)])
    sq = L.Lambda(lambda t_: t.math.squared_difference(t_[0], t_[1]))([n, L.AveragePooling2D(6)(a)])
    out = L.LeakyReLU(negative_slope=0.2)(L.Concatenate()([hi, L.Activation("hard_swish")(lo), sq]))
    return t.keras.Model(x, out), (6, 6, 3)


def arith_int16_model():
    """The operators emu takes with int16 activations: SUB (broadcast, fused RELU),
    SQUARED_DIFFERENCE, LEAKY_RELU."""
    t = modelgen.tf()
    L = t.keras.layers
    x = t.keras.Input((6, 6, 3), batch_size=1)
    m = t.keras.Input((1, 1, 3), batch_size=1)
    d = L.ReLU()(L.Subtract()([x, m]))
    sq = L.Lambda(lambda t_: t.math.squared_difference(t_[0], t_[1]))([x, d])
    return t.keras.Model([x, m], L.LeakyReLU(negative_slope=0.2)(sq))


def to_int16(model) -> bytes:
    t = modelgen.tf()
    rng = np.random.default_rng(2)
    converter = t.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [t.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([rng.uniform(-3, 3, (1, *i.shape[1:])).astype(np.float32)
                                                 for i in model.inputs] for _ in range(16))
    converter.target_spec.supported_ops = [t.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    converter.inference_input_type = converter.inference_output_type = t.int16
    return converter.convert()


DEVICE_FORMS = {
    "int8": lambda m, shape: modelgen.to_int8(m, shape, low=-3.0, high=3.0),
    "float32": lambda m, shape: modelgen.to_float(m),
}


@pytest.fixture(scope="module")
def device_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("device-arith")
    model, shape = arith_model()
    found = {}
    for form, convert in DEVICE_FORMS.items():
        found[form] = folder / f"arith_{form}.tflite"
        found[form].write_bytes(convert(model, shape))
    found["int16"] = folder / "arith_int16.tflite"
    found["int16"].write_bytes(to_int16(arith_int16_model()))
    return found


# the int8 SUB kernel each board runs: the M4F and the M55 take the optimized kernels by default
SUB_PATH = {"rp2040-pico": "sub/reference", "nucleo-l4r5zi": "sub/dsp", "alif-e7-appkit": "sub/mve"}


@needs_arm_gcc
@pytest.mark.parametrize("board", list(SUB_PATH))
@pytest.mark.parametrize("form", [*DEVICE_FORMS, "int16"])
def test_arith_model_matches_tflm_on_the_device(device_models, form, board):
    from emu.platforms import get_platform
    from emu.results.measure import measure

    model = device_models[form].read_bytes()
    expected_ops = {"SUB", "SQUARED_DIFFERENCE", "LEAKY_RELU"}
    if form != "int16":
        expected_ops |= {"MAXIMUM", "MINIMUM", "HARD_SWISH"}
    assert expected_ops <= set(ops_of(model))
    result, _ = measure(device_models[form], get_platform(board), variant=form)
    assert result.output_matches_reference is True, f"{form} on {board}"
    sub_paths = {layer.path for layer in result.layers if layer.op == "SUB"}
    assert sub_paths == ({SUB_PATH[board]} if form == "int8" else {"sub/reference"})
