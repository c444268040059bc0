"""ARG_MAX, ARG_MIN, the elementwise math operators (ABS, NEG, SQRT, RSQRT, EXP, LOG, SIN,
COS, SQUARE), L2_NORMALIZATION, SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND against the TFLM
interpreter.

Each case is a small Keras model (the TensorFlow operation in a Lambda layer) converted by
TensorFlow's converter to float32 and int8 (and int16 activations where TFLM takes them);
the generated C, built for the host, must give exactly TFLM's integer outputs and its
float32 outputs within 1e-5 relative. One device test runs a model holding every family
in QEMU on a Cortex-M0+ and an M4F.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from emu.compile.codegen import compile_graph
from emu.compile.hostrun import compile_and_run_on_host
from emu.compile.ops import lowerings
from emu.errors import EmuError
from emu.model.oracle import tflm_outputs
from emu.model.reader import parse_model
from emu.platforms import get_platform
from emu.results.measure import measure
from tests import modelgen
from tests.conftest import needs_arm_gcc
from tests.test_ops_data import _set_scale
from tests.test_ops_misc import (
    assert_lowering_refuses,
    assert_same,
    convert_calibrated,
    float_inputs,
    int32_tensor,
    make_tensor,
    ops_of,
    sweep_int8,
)


def _tf():
    return modelgen.tf()


def _argmax(x, axis):
    return _tf().math.argmax(x, axis=axis, output_type=_tf().int32)


def _argmin(x, axis):
    return _tf().math.argmin(x, axis=axis, output_type=_tf().int32)


def _dilated_conv(x, rate: int):
    """A convolution dilated by hand, as tf.nn.atrous_conv2d lays it out: the input cut into
    rate x rate interleaved batches (padded to a multiple of the rate), a plain 3x3
    convolution, a ReLU between the convolution and the reassembly (so the converter cannot
    fold the three back into one dilated convolution), and the batches put back (cropped)."""
    tf = _tf()
    h, w = x.shape[1], x.shape[2]
    pad_h, pad_w = (-h - 2 * rate) % rate, (-w - 2 * rate) % rate
    filters = np.linspace(-0.5, 0.5, 3 * 3 * x.shape[3] * 2, dtype=np.float32).reshape(3, 3, x.shape[3], 2)
    blocks = tf.space_to_batch_nd(x, [rate, rate], [[rate, rate + pad_h], [rate, rate + pad_w]])
    y = tf.nn.relu(tf.nn.conv2d(blocks, filters, strides=1, padding="VALID"))
    return tf.batch_to_space(y, [rate, rate], [[0, pad_h], [0, pad_w]])


def _dilated_conv1d(x, rate: int):
    """The same along one axis of an (N, L, C) sequence: SPACE_TO_BATCH_ND on a rank-3 tensor."""
    tf = _tf()
    length = x.shape[1]
    pad = (-length - 2 * rate) % rate
    filters = np.linspace(-0.5, 0.5, 3 * x.shape[2] * 2, dtype=np.float32).reshape(3, x.shape[2], 2)
    blocks = tf.space_to_batch_nd(x, [rate], [[rate, rate + pad]])
    y = tf.nn.relu(tf.nn.conv1d(blocks, filters, stride=1, padding="VALID"))
    return tf.batch_to_space(y, [rate], [[0, pad]])


# name -> (operation on the input, input shape without the batch, the operators it converts to)
CASES = {
    "argmax_last": (lambda x: _argmax(x, -1), (4, 7), {"ARG_MAX"}),
    "argmax_first": (lambda x: _argmax(x, 1), (5, 3, 2), {"ARG_MAX"}),
    "argmin_negative": (lambda x: _argmin(x, -2), (5, 3, 2), {"ARG_MIN"}),
    "argmin_last": (lambda x: _argmin(x, 2), (2, 9), {"ARG_MIN"}),
    # the converter's default output type, int64, which TFLM's kernel refuses
    "argmax_int64": (lambda x: _tf().math.argmax(x, axis=-1), (4, 6), {"ARG_MAX"}),
    "math": (lambda x: [_tf().math.rsqrt(x), _tf().sqrt(x), _tf().abs(x - 1.0), _tf().exp(x), _tf().math.log(x),
                        _tf().sin(x), _tf().cos(x), _tf().square(x), -x],
             (3, 16), {"RSQRT", "SQRT", "ABS", "EXP", "LOG", "SIN", "COS", "SQUARE", "NEG"}),
    "rsqrt": (lambda x: _tf().math.rsqrt(x), (256,), {"RSQRT"}),
    "abs": (lambda x: _tf().abs(x), (256,), {"ABS"}),
    "exp": (lambda x: _tf().exp(x), (16,), {"EXP"}),
    "log": (lambda x: _tf().math.log(x), (16,), {"LOG"}),
    "sqrt": (lambda x: _tf().sqrt(x), (16,), {"SQRT"}),
    # a Keras layer, applied as it is (not in a Lambda)
    "layer_norm": (lambda: _tf().keras.layers.LayerNormalization(), (4, 8), {"RSQRT", "MEAN"}),
    "l2norm_last": (lambda x: _tf().math.l2_normalize(x, axis=-1), (4, 8), {"L2_NORMALIZATION"}),
    "l2norm_rank4": (lambda x: _tf().math.l2_normalize(x, axis=-1), (3, 2, 5), {"L2_NORMALIZATION"}),
    "space_to_batch": (lambda x: _tf().space_to_batch_nd(x, [2, 3], [[1, 0], [0, 2]]), (5, 7, 2),
                       {"SPACE_TO_BATCH_ND"}),
    "space_to_batch_nhc": (lambda x: _tf().space_to_batch_nd(x, [3], [[2, 2]]), (11, 3), {"SPACE_TO_BATCH_ND"}),
    "batch_to_space": (lambda x: _tf().batch_to_space(
        2.0 * _tf().space_to_batch_nd(x, [2, 3], [[1, 0], [0, 2]]), [2, 3], [[1, 0], [0, 2]]), (5, 7, 2),
        {"SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"}),
    "dilated_2": (lambda x: _dilated_conv(x, 2), (7, 9, 3), {"SPACE_TO_BATCH_ND", "CONV_2D", "BATCH_TO_SPACE_ND"}),
    "dilated_3": (lambda x: _dilated_conv(x, 3), (11, 7, 2), {"SPACE_TO_BATCH_ND", "CONV_2D", "BATCH_TO_SPACE_ND"}),
    "dilated_1d_3": (lambda x: _dilated_conv1d(x, 3), (13, 4), {"SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"}),
}

LAYER_CASES = {"layer_norm"}


@functools.lru_cache(maxsize=None)
def converted(name: str, kind: str, range_name: str = "unit") -> bytes:
    """The case converted once per session: kind is float, int8 or int16 (16x8)."""
    t = _tf()
    operation, shape, _ = CASES[name]
    t.keras.utils.set_random_seed(0)
    x = t.keras.Input(shape=shape, batch_size=1, name="in0")
    layer = operation() if name in LAYER_CASES else t.keras.layers.Lambda(operation)
    model = t.keras.Model(x, layer(x))
    return convert_calibrated(model, [shape], kind, range_name)


def types_of(model: bytes, op_name: str) -> set[str]:
    graph = parse_model(model)
    return {graph.tensors[op.inputs[0]].dtype for op in graph.operators if op.op == op_name}


def assert_matches_tflm(model: bytes, inputs: list[np.ndarray]) -> None:
    assert_same(compile_and_run_on_host(model, inputs), tflm_outputs(model, inputs))


def paths_of(model: bytes) -> set[str]:
    return {layer.path for layer in compile_graph(parse_model(model)).layers}


# ---- ARG_MAX and ARG_MIN --------------------------------------------------------------------

ARG_CASES = ["argmax_last", "argmax_first", "argmin_negative", "argmin_last"]


@pytest.mark.parametrize("name", ARG_CASES)
@pytest.mark.parametrize("kind", ["float", "int8"])
def test_arg_min_max_matches_tflm(name, kind):
    model = converted(name, kind)
    (op,) = CASES[name][2]
    assert types_of(model, op) == {"float32" if kind == "float" else "int8"}
    assert f"{op.lower()}/reference" in paths_of(model)
    if kind == "int8":
        # every value, and values from a narrow range, so that rows hold many ties
        rng = np.random.default_rng(5)
        shape = sweep_int8(model)[0].shape
        for inputs in (sweep_int8(model), [rng.integers(-2, 3, shape).astype(np.int8)]):
            assert_matches_tflm(model, inputs)
        return
    rng = np.random.default_rng(5)
    shape = float_inputs(model, -1, 1)[0].shape
    ties = rng.integers(-2, 3, shape).astype(np.float32)
    assert_matches_tflm(model, float_inputs(model, -3.0, 3.0))
    assert_matches_tflm(model, [ties])
    # NaN never wins after the first place, and wins there: TFLM compares with > and <
    ties.reshape(-1)[::3] = np.nan
    assert_matches_tflm(model, [ties])


def test_arg_min_max_ties_pick_the_first_index():
    # An oracle of its own beside TFLM: equal values give the lowest index.
    model = converted("argmax_last", "int8")
    x = np.zeros(sweep_int8(model)[0].shape, np.int8)
    x[0, :, [2, 5]] = 9  # two maxima per row in columns 2 and 5
    (got,) = compile_and_run_on_host(model, [x])
    np.testing.assert_array_equal(got, np.full(got.shape, 2, np.int32))


def test_negative_axes_reach_the_lowering():
    graph = parse_model(converted("argmin_negative", "float"))
    op = next(op for op in graph.operators if op.op == "ARG_MIN")
    assert int(np.asarray(graph.tensors[op.inputs[1]].data).reshape(-1)[0]) < 0


@pytest.mark.parametrize("kind", ["float", "int8"])
def test_int64_arg_max_is_refused_like_tflm(kind):
    model = converted("argmax_int64", kind)
    inputs = sweep_int8(model) if kind == "int8" else float_inputs(model, -1, 1)
    with pytest.raises(RuntimeError):
        tflm_outputs(model, inputs)
    with pytest.raises(EmuError, match="ARG_MAX at index 0 in .*an int64 output"):
        compile_and_run_on_host(model, inputs)


# ---- elementwise math -------------------------------------------------------------------------

def test_math_float():
    model = converted("math", "float")
    assert set(ops_of(model)) >= CASES["math"][2]
    paths = paths_of(model)
    assert {f"{op.lower()}/reference" for op in CASES["math"][2]} <= paths
    assert_matches_tflm(model, float_inputs(model, 0.01, 4.0))
    # zero and negative inputs: RSQRT and LOG give infinities, SQRT and LOG NaN, as TFLM's do
    x = float_inputs(model, -3.0, 3.0, seed=4)[0]
    x.reshape(-1)[:3] = [0.0, -0.0, -1.0]
    assert_matches_tflm(model, [x])


@pytest.mark.parametrize("range_name", ["pos", "unit", "tiny"])
def test_rsqrt_int8_every_defined_input(range_name):
    model = converted("rsqrt", "int8", range_name)
    assert types_of(model, "RSQRT") == {"int8"}
    zero = parse_model(model).tensors[parse_model(model).inputs[0]].quantization.zero_point[0]
    # TFLM defines RSQRT for inputs at and above the zero point; the one at it gives 127
    x = np.full((1, 256), zero, np.int8)
    x[0, : 128 - zero] = np.arange(zero, 128)
    assert_matches_tflm(model, [x])
    assert compile_and_run_on_host(model, [x])[0][0, 0] == 127


def test_rsqrt_int8_below_the_zero_point_is_refused_by_tflm_and_saturates_here():
    model = converted("rsqrt", "int8", "unit")
    zero = parse_model(model).tensors[parse_model(model).inputs[0]].quantization.zero_point[0]
    x = np.full((1, 256), zero - 1, np.int8)
    with pytest.raises(RuntimeError):
        tflm_outputs(model, [x])
    np.testing.assert_array_equal(compile_and_run_on_host(model, [x])[0], np.full((1, 256), 127, np.int8))


@pytest.mark.parametrize("range_name", ["pos", "tiny"])
def test_rsqrt_int16(range_name):
    model = converted("rsqrt", "int16", range_name)
    assert types_of(model, "RSQRT") == {"int16"}
    assert "rsqrt/reference" in paths_of(model)
    rng = np.random.default_rng(3)
    small = np.arange(256, dtype=np.int16)  # 0 (the zero point: the largest output) and the steepest part
    spread = rng.integers(0, 32768, 256).astype(np.int16)
    spread[:2] = [32767, 16384]
    for x in (small, spread):
        assert_matches_tflm(model, [x.reshape(1, 256)])


@pytest.mark.parametrize("range_name", ["unit", "pos", "wide"])
def test_abs_int8_all_values(range_name):
    model = converted("abs", "int8", range_name)
    assert types_of(model, "ABS") == {"int8"}
    assert_matches_tflm(model, sweep_int8(model))


def test_abs_int8_with_equal_scales_skips_the_rescale_like_tflm():
    model = converted("abs", "int8", "unit")
    graph = parse_model(model)
    x, y = (graph.tensors[i] for i in (graph.inputs[0], graph.outputs[0]))
    edited = _set_scale(model, y.index, x.quantization.scale[0] / y.quantization.scale[0])
    edited_graph = parse_model(edited)
    assert edited_graph.tensors[y.index].quantization.scale == x.quantization.scale
    call = lowerings()["ABS"](edited_graph.operators[0], edited_graph)
    assert call.params["rescale"] == 0
    assert_matches_tflm(edited, sweep_int8(edited))


def test_abs_int16():
    model = converted("abs", "int16", "wide")
    assert types_of(model, "ABS") == {"int16"}
    rng = np.random.default_rng(2)
    x = rng.integers(-32768, 32768, (1, 256)).astype(np.int16)
    x[0, :3] = [-32768, 0, 32767]
    assert_matches_tflm(model, [x])


@pytest.mark.parametrize("name, op", [("exp", "EXP"), ("log", "LOG"), ("sqrt", "SQRT")])
def test_int8_exp_log_and_sqrt_are_refused_like_tflm(name, op):
    # The converter makes these int8; TFLM's kernels take float32 only.
    model = converted(name, "int8", "pos")
    assert types_of(model, op) == {"int8"}
    inputs = sweep_int8(model)
    with pytest.raises(RuntimeError):
        tflm_outputs(model, inputs)
    with pytest.raises(EmuError, match=f"{op} at index 0 in .*int8 inputs"):
        compile_and_run_on_host(model, inputs)


@pytest.mark.parametrize("kind", ["float", "int8"])
def test_layer_normalization_matches_tflm(kind):
    model = converted("layer_norm", kind)
    assert types_of(model, "RSQRT") == {"float32" if kind == "float" else "int8"}
    inputs = sweep_int8(model) if kind == "int8" else float_inputs(model, -2.0, 2.0)
    assert_matches_tflm(model, inputs)


# ---- L2_NORMALIZATION -------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["l2norm_last", "l2norm_rank4"])
@pytest.mark.parametrize("range_name", ["unit", "pos"])
def test_l2_normalization_int8(name, range_name):
    model = converted(name, "int8", range_name)
    assert types_of(model, "L2_NORMALIZATION") == {"int8"}
    assert "l2_normalization/reference" in paths_of(model)
    x = sweep_int8(model)[0]
    zero = parse_model(model).tensors[parse_model(model).inputs[0]].quantization.zero_point[0]
    rows = x.reshape(-1, x.shape[-1])
    rows[0] = zero  # a row of zeros: a sum of squares of 0
    rows[1] = zero
    rows[1, 0] = zero + 1  # and of 1
    assert_matches_tflm(model, [x])


@pytest.mark.parametrize("name", ["l2norm_last", "l2norm_rank4"])
def test_l2_normalization_float(name):
    model = converted(name, "float")
    x = float_inputs(model, -3.0, 3.0)[0]
    rows = x.reshape(-1, x.shape[-1])
    rows[0] = 0.0  # the norm is the epsilon
    rows[1] = 1e-9
    assert_matches_tflm(model, [x])


# ---- SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND ----------------------------------------------------

SPACE_CASES = ["space_to_batch", "space_to_batch_nhc", "batch_to_space", "dilated_2", "dilated_3", "dilated_1d_3"]


@pytest.mark.parametrize("name", SPACE_CASES)
@pytest.mark.parametrize("kind", ["float", "int8"])
def test_space_batch_matches_tflm(name, kind):
    # "pos": the int8 zero point is -128, and TFLM still pads with bytes of 0
    model = converted(name, kind, "pos")
    ops = set(ops_of(model))
    assert CASES[name][2] <= ops, ops
    for op in CASES[name][2] & {"SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"}:
        assert types_of(model, op) == {"float32" if kind == "float" else "int8"}
        assert f"{op.lower()}/reference" in paths_of(model)
    inputs = sweep_int8(model) if kind == "int8" else float_inputs(model, 0.0, 6.0)
    assert_matches_tflm(model, inputs)


def test_tflm_pads_with_zero_bytes_after_other_models():
    # TFLM's SPACE_TO_BATCH_ND pads with a value it reads from memory it never writes; the
    # oracle gives every model a fresh (zeroed) arena, as a device has at boot, so that value
    # is 0 whatever ran before, and emu pads with it.
    # (without the fresh arena, these two leave bytes where the third reads its pad value)
    for name in ("dilated_2", "dilated_3"):
        other = converted(name, "float", "pos")
        tflm_outputs(other, float_inputs(other, 0.0, 6.0))
    model = converted("space_to_batch", "int8", "pos")
    x = np.full(sweep_int8(model)[0].shape, 55, np.int8)
    (want,) = tflm_outputs(model, [x])
    assert set(np.unique(want)) == {0, 55}
    assert_matches_tflm(model, [x])


@pytest.mark.parametrize("rate, shape, padding", [(2, (11, 4), "same"), (3, (13, 4), "valid"), (3, (9, 3), "same")])
def test_keras_dilated_conv1d_is_folded_by_the_converter(rate, shape, padding):
    # Keras's dilated Conv1D reaches TFLite as one CONV_2D with a dilation factor (no
    # SPACE_TO_BATCH_ND): emu runs it as TFLM does.
    t = _tf()
    t.keras.utils.set_random_seed(0)
    x = t.keras.Input(shape=shape, batch_size=1, name="in0")
    model = t.keras.Model(x, t.keras.layers.Conv1D(3, 3, dilation_rate=rate, padding=padding)(x))
    for kind in ("float", "int8"):
        tflite_model = convert_calibrated(model, [shape], kind)
        conv = next(op for op in parse_model(tflite_model).operators if op.op == "CONV_2D")
        assert conv.options["dilation_wfactor"] == rate
        inputs = sweep_int8(tflite_model) if kind == "int8" else float_inputs(tflite_model, -1.0, 1.0)
        assert_matches_tflm(tflite_model, inputs)


# ---- forms TFLM refuses, refused in one line ---------------------------------------------------

@pytest.mark.parametrize("op, tensors, inputs, why", [
    ("ARG_MAX", [make_tensor(0, (2, 5), "int16", 0.1), int32_tensor(1, [1]), make_tensor(2, (2,), "int32")], [0, 1],
     "int16 inputs"),
    ("ARG_MIN", [make_tensor(0, (2, 5), "float32"), int32_tensor(1, [1]), make_tensor(2, (2,), "int64")], [0, 1],
     "int64 output"),
    ("ARG_MAX", [make_tensor(0, (2, 5), "float32"), make_tensor(1, (1,), "int32"), make_tensor(2, (2,), "int32")],
     [0, 1], "axis computed at run time"),
    ("ARG_MAX", [make_tensor(0, (2, 5), "float32"), int32_tensor(1, [-3]), make_tensor(2, (2,), "int32")], [0, 1],
     "axis -3 of a rank-2"),
    ("NEG", [make_tensor(0, (4,), "int8", 0.1), make_tensor(1, (4,), "int8", 0.1)], [0], "int8 inputs"),
    ("RSQRT", [make_tensor(0, (4,), "uint8", 0.1), make_tensor(1, (4,), "uint8", 0.1)], [0], "uint8 inputs"),
    ("RSQRT", [make_tensor(0, (4,), "int16"), make_tensor(1, (4,), "int16")], [0], "one scale and zero point"),
    ("RSQRT", [make_tensor(0, (4,), "int16", 0.1, 5), make_tensor(1, (4,), "int16", 0.1)], [0], "zero point 0"),
    ("ABS", [make_tensor(0, (4,), "int16", 0.1, 3), make_tensor(1, (4,), "int16", 0.1)], [0], "zero point 0"),
    ("SIN", [make_tensor(0, (4,), "int8", 0.1), make_tensor(1, (4,), "int8", 0.1)], [0], "int8 inputs"),
    ("L2_NORMALIZATION", [make_tensor(0, (1, 2, 2, 2, 3), "float32"), make_tensor(1, (1, 2, 2, 2, 3), "float32")],
     [0], "rank-5 input"),
    ("L2_NORMALIZATION", [make_tensor(0, (2, 3), "int16", 0.1), make_tensor(1, (2, 3), "int16", 0.1)], [0],
     "int16 -> int16"),
    ("SPACE_TO_BATCH_ND", [make_tensor(0, (1, 4, 4, 1, 2), "float32"), int32_tensor(1, [2, 2, 1]),
                           int32_tensor(2, [[0, 0]] * 3), make_tensor(3, (8, 2, 2, 1, 2), "float32")], [0, 1, 2],
     "TFLM takes 3 or 4 dimensions"),
    ("SPACE_TO_BATCH_ND", [make_tensor(0, (1, 4, 4, 2), "int16", 0.1), int32_tensor(1, [2, 2]),
                           int32_tensor(2, [[0, 0]] * 2), make_tensor(3, (4, 2, 2, 2), "int16", 0.1)], [0, 1, 2],
     "int16 tensors"),
    ("BATCH_TO_SPACE_ND", [make_tensor(0, (4, 2, 2, 2), "float32"), make_tensor(1, (2,), "int32"),
                           int32_tensor(2, [[0, 0]] * 2), make_tensor(3, (1, 4, 4, 2), "float32")], [0, 1, 2],
     "block shape computed at run time"),
    ("BATCH_TO_SPACE_ND", [make_tensor(0, (4, 2, 2, 2), "float32"), int32_tensor(1, [0, 2]),
                           int32_tensor(2, [[0, 0]] * 2), make_tensor(3, (1, 4, 4, 2), "float32")], [0, 1, 2],
     r"block shape \[0, 2\]"),
])
def test_refused_forms_are_named(op, tensors, inputs, why):
    assert_lowering_refuses(op, tensors, inputs, [len(tensors) - 1], None, why)


# ---- on the device: a model holding every family, on a Cortex-M0+ and an M4F ------------------

def _families(x):
    tf = _tf()
    flat = tf.reshape(x, (1, 6, 12))
    return [_argmax(x, -1), _argmin(flat, 1), tf.math.rsqrt(tf.abs(x) + 0.5), tf.abs(x - 0.25),
            tf.math.l2_normalize(flat, axis=-1), _dilated_conv(x, 2)]


def _families_float(x):
    # and the operators TFLM takes in float32 only, with the device's C library's functions
    tf = _tf()
    positive = tf.abs(x) + 0.1
    return [*_families(x), tf.sqrt(positive), tf.math.log(positive), tf.exp(x), tf.sin(x), tf.cos(x),
            tf.square(x), -x]


DEVICE_OPERATORS = {"ARG_MAX", "ARG_MIN", "RSQRT", "ABS", "L2_NORMALIZATION", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND"}
CASES["device_int8"] = (_families, (6, 4, 3), DEVICE_OPERATORS)
CASES["device_float"] = (_families_float, (6, 4, 3),
                         DEVICE_OPERATORS | {"SQRT", "LOG", "EXP", "SIN", "COS", "SQUARE", "NEG"})


@needs_arm_gcc
@pytest.mark.qemu
@pytest.mark.parametrize("board", ["rp2040-pico", "nucleo-l4r5zi"])
def test_families_match_tflm_on_the_device(board, tmp_path):
    for kind in ("float", "int8"):
        name = f"device_{kind}"
        model = converted(name, kind)
        assert CASES[name][2] <= set(ops_of(model)), ops_of(model)
        for op in CASES[name][2]:  # each in the model's type, none left in float
            assert types_of(model, op) == {"float32" if kind == "float" else "int8"}, op
        path = tmp_path / f"families_{kind}.tflite"
        path.write_bytes(model)
        inputs = sweep_int8(model) if kind == "int8" else float_inputs(model, -2.0, 2.0)
        result, _ = measure(path, get_platform(board), inputs=inputs, variant=kind)
        assert result.output_matches_reference is True, f"{kind} on {board}"
        assert result.reference == "tflm"
