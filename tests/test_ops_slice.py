"""STRIDED_SLICE and REDUCE_MAX of activations against the TFLM interpreter.

Each case is a small Keras model (the TensorFlow operation in a Lambda layer, as Cropping2D,
unrolled recurrent cells and GlobalMaxPooling write them) converted by TensorFlow's converter;
the slice models hold many slices of one input as separate outputs, with begin, end and
strides given as masks, negative indices, negative strides and shrunk axes. The generated C,
built for the host, must give exactly TFLM's integer and bool outputs and its float32 outputs
within 1e-5 relative. One device test runs a model holding both operators in QEMU on a
Cortex-M0+ and an M4F.
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
from tests import modelgen
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


def _tf():
    return modelgen.tf()


def _ss(begin, end, strides, **masks):
    return lambda x: _tf().strided_slice(x, begin, end, strides, **masks)


# Slices of a (1, 5, 6, 4) input; begin/end values under a mask are out of range on purpose,
# so a mask that were not honoured would show.
SLICES = [
    lambda x: x[:, 1:3, 1:-1, :],                      # Cropping2D
    lambda x: x[:, ::2, 1::3, :],                      # steps
    lambda x: x[:, ::-1, :, ::-2],                     # reversed axes
    lambda x: x[:, -3:-1, -4:, :-2],                   # negative bounds
    lambda x: x[:, 4:0:-2, -1:-6:-2, 1:],              # negative strides with bounds
    lambda x: x[:, 1, :, 2],                           # shrunk axes
    lambda x: x[:, -1, 2:, -3],                        # shrunk axes at negative positions
    lambda x: x[..., 1:3],                             # an ellipsis (the converter writes masks)
    lambda x: x[:, 3:99, -99:2, :],                    # bounds past either end clamp
    _ss([0, 99, 2, -99], [1, 99, -99, 3], [1, 1, -1, 1], begin_mask=0b1010, end_mask=0b0110),
    _ss([0, 0, 99, 1], [1, 99, 4, 3], [1, -2, 1, 1], begin_mask=0b0110, end_mask=0b0010, shrink_axis_mask=0b0001),
    _ss([0, 2, 0, -1], [1, 3, 6, 0], [1, 1, 4, 1], shrink_axis_mask=0b1010),
    _ss([0, 4, 5, 3], [1, -6, -7, -5], [1, -1, -3, -1]),
]
SLICE_SHAPE = (5, 6, 4)

# (operation, input shape without the batch)
REDUCTIONS = {
    "global_max_pool": (lambda x: _tf().keras.layers.GlobalMaxPooling2D()(x), (5, 7, 3)),
    "global_max_pool_keepdims": (lambda x: _tf().keras.layers.GlobalMaxPooling2D(keepdims=True)(x), (5, 7, 3)),
    "last_axis": (lambda x: _tf().reduce_max(x, axis=-1), (5, 7, 3)),
    "axes_1_3_keepdims": (lambda x: _tf().reduce_max(x, axis=[1, 3], keepdims=True), (5, 7, 3)),
    "negative_axes": (lambda x: _tf().reduce_max(x, axis=[-3, -1]), (4, 2, 6)),
    "all_axes": (lambda x: _tf().reduce_max(x, axis=[1, 2, 3]), (5, 7, 3)),
    "time": (lambda x: _tf().reduce_max(x, axis=1), (9, 8)),
}

SLICE_TYPES = {"float": "float32", "int8": "int8", "int16": "int16", "int32": "int32", "bool": "bool"}
INPUT_DTYPES = {"float": "float32", "int8": "float32", "int16": "float32", "int32": "int32", "bool": "bool"}


@functools.lru_cache(maxsize=None)
def converted(operations: tuple, shape: tuple, kind: str) -> bytes:
    """A Keras model of one input and one output per operation, converted once per session:
    float32, int8 or int16 activations (16x8); int32 and bool inputs are converted as they are."""
    t = _tf()
    t.keras.utils.set_random_seed(0)
    x = t.keras.Input(shape=shape, batch_size=1, dtype=INPUT_DTYPES[kind])
    model = t.keras.Model(x, [t.keras.layers.Lambda(op)(x) for op in operations])
    converter = t.lite.TFLiteConverter.from_keras_model(model)
    if kind in ("int8", "int16"):
        rng = np.random.default_rng(1)
        converter.optimizations = [t.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([rng.uniform(-3, 3, (1, *shape)).astype(np.float32)]
                                                    for _ in range(16))
        ops = t.lite.OpsSet
        int16 = ops.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
        converter.target_spec.supported_ops = [ops.TFLITE_BUILTINS_INT8 if kind == "int8" else int16]
        converter.inference_input_type = converter.inference_output_type = t.int8 if kind == "int8" else t.int16
    return converter.convert()


def inputs_for(model: bytes, seed: int = 0) -> list[np.ndarray]:
    """Random inputs over the whole range of their type, with repeats, so a maximum has ties."""
    graph = parse_model(model)
    rng = np.random.default_rng(seed)
    values = []
    for index in graph.inputs:
        t = graph.tensors[index]
        if t.dtype == "float32":
            values.append(rng.choice(np.linspace(-3.0, 3.0, 41, dtype=np.float32), t.shape))
        elif t.dtype == "bool":
            values.append(rng.integers(0, 2, t.shape).astype(bool))
        else:
            info = np.iinfo(t.dtype)
            values.append(rng.integers(info.min, info.max, t.shape, endpoint=True).astype(t.dtype))
    return values


def _slices_model(kind: str) -> bytes:
    return converted(tuple(SLICES), SLICE_SHAPE, kind)


@pytest.mark.parametrize("kind", ["float", "int8", "int16", "int32", "bool"])
def test_strided_slices_match_tflm_on_the_host(kind):
    model = _slices_model(kind)
    graph = parse_model(model)
    slices = [op for op in graph.operators if op.op == "STRIDED_SLICE"]
    # every slice stays an operator of the graph, in the model's type
    assert len(slices) == len(SLICES), ops_of(model)
    assert output_types(model, "STRIDED_SLICE") == {SLICE_TYPES[kind]}
    # the masks, negative strides and shrunk axes above reach the lowering as such
    options = [op.options for op in slices]
    assert any(o.get("shrink_axis_mask") for o in options) and any(o.get("begin_mask") for o in options)
    assert any(o.get("end_mask") for o in options)
    assert any((np.asarray(graph.tensors[op.inputs[3]].data) < 0).any() for op in slices)
    for seed in range(2):
        inputs = inputs_for(model, seed)
        assert_same(compile_and_run_on_host(model, inputs), tflm_outputs(model, inputs))


@pytest.mark.parametrize("kind", ["float", "int8"])
def test_reduce_max_matches_tflm_on_the_host(kind):
    for name, (operation, shape) in REDUCTIONS.items():
        model = converted((operation,), shape, kind)
        assert ops_of(model).count("REDUCE_MAX") == 1, (name, ops_of(model))
        assert output_types(model, "REDUCE_MAX") == {"float32" if kind == "float" else "int8"}
        for seed in range(2):
            inputs = inputs_for(model, seed)
            assert_same(compile_and_run_on_host(model, inputs), tflm_outputs(model, inputs))


def test_reduce_max_keeps_the_first_of_equal_floats_like_tflm():
    # 0.0 and -0.0 compare equal: TFLM keeps whichever it meets first, and so must emu
    model = converted((REDUCTIONS["time"][0],), REDUCTIONS["time"][1], "float")
    x = np.zeros((1, 9, 8), np.float32)
    x[0, ::2, :4] = -0.0
    x[0, 1::2, 4:] = -0.0
    x[0, 3, 1] = np.nan  # never greater than anything: TFLM skips it
    ours, = compile_and_run_on_host(model, [x])
    theirs, = tflm_outputs(model, [x])
    assert np.array_equal(np.signbit(ours), np.signbit(theirs)) and np.signbit(theirs).any()
    assert_same([ours], [theirs])


# ---- forms TFLM refuses, refused in one line --------------------------------------------------

def test_int8_reduce_max_with_another_output_scale_is_refused_like_tflm():
    model = converted((REDUCTIONS["last_axis"][0],), REDUCTIONS["last_axis"][1], "int8")
    op = next(op for op in parse_model(model).operators if op.op == "REDUCE_MAX")
    edited = _set_scale(model, op.outputs[0], 2.0)
    inputs = inputs_for(edited)
    with pytest.raises(RuntimeError):
        tflm_outputs(edited, inputs)
    with pytest.raises(EmuError, match="REDUCE_MAX at index .*quantized unlike the input"):
        compile_and_run_on_host(edited, inputs)


def test_slice_of_five_dimensions_is_refused_like_tflm():
    model = converted((lambda x: x[:, 1:, :, ::2, 1],), (2, 3, 4, 3), "float")
    assert "STRIDED_SLICE" in ops_of(model)
    inputs = inputs_for(model)
    with pytest.raises(RuntimeError):
        tflm_outputs(model, inputs)
    with pytest.raises(EmuError, match="STRIDED_SLICE at index .*an input of 5 dimensions"):
        compile_and_run_on_host(model, inputs)


_X = make_tensor(0, (4, 6), "float32")


@pytest.mark.parametrize("op, tensors, inputs, outputs, options, why", [
    ("STRIDED_SLICE", [_X, make_tensor(1, (2,), "int32"), int32_tensor(2, [4, 6]), int32_tensor(3, [1, 1]),
                       make_tensor(4, (4, 6), "float32")], [0, 1, 2, 3], [4], {}, "begin computed at run time"),
    ("STRIDED_SLICE", [_X, int32_tensor(1, [0, 0]), int32_tensor(2, [4, 6]), make_tensor(3, (2,), "int32"),
                       make_tensor(4, (4, 6), "float32")], [0, 1, 2, 3], [4], {}, "strides computed at run time"),
    ("STRIDED_SLICE", [_X, int32_tensor(1, [0, 0]), int32_tensor(2, [4, 6]), int32_tensor(3, [1, 0]),
                       make_tensor(4, (4, 6), "float32")], [0, 1, 2, 3], [4], {}, "stride 0"),
    ("STRIDED_SLICE", [_X, int32_tensor(1, [0, 0]), int32_tensor(2, [4, 6]), int32_tensor(3, [1, 2]),
                       make_tensor(4, (4, 6), "float32")], [0, 1, 2, 3], [4], {}, r"the slice has shape \[4, 3\]"),
    # a shrunk axis read backwards: TFLM's kernel writes nothing where Prepare expects one element
    ("STRIDED_SLICE", [_X, int32_tensor(1, [1, 0]), int32_tensor(2, [2, 6]), int32_tensor(3, [-1, 1]),
                       make_tensor(4, (6,), "float32")], [0, 1, 2, 3], [4], {"shrink_axis_mask": 1},
     "another number of elements"),
    ("STRIDED_SLICE", [make_tensor(0, (4, 6), "uint8"), int32_tensor(1, [0, 0]), int32_tensor(2, [4, 6]),
                       int32_tensor(3, [1, 1]), make_tensor(4, (4, 6), "uint8")], [0, 1, 2, 3], [4], {},
     "uint8 tensors"),
    # a box whose shape changes at run time: TFLM copies it whole into the declared output
    ("SLICE", [_X, int32_tensor(1, [0, 0]), make_tensor(2, (2,), "int32"), make_tensor(3, (1, 1), "float32")],
     [0, 1, 2], [3], {}, r"a size computed at run time .*declared \[1, 1\]"),
    ("SLICE", [_X, make_tensor(1, (2,), "int32"), int32_tensor(2, [-1, 6]), make_tensor(3, (1, 6), "float32")],
     [0, 1, 2], [3], {}, r"size \[-1, 6\] from a begin computed at run time"),
    ("SLICE", [_X, make_tensor(1, (2,), "int32"), int32_tensor(2, [2, 6]), make_tensor(3, (1, 6), "float32")],
     [0, 1, 2], [3], {}, r"size \[2, 6\] into an output declared \[1, 6\]"),
    ("REDUCE_MAX", [_X, make_tensor(1, (1,), "int32"), make_tensor(2, (4,), "float32")], [0, 1], [2], {},
     "axes computed at run time"),
    ("REDUCE_MAX", [_X, int32_tensor(1, [2]), make_tensor(2, (4,), "float32")], [0, 1], [2], {},
     r"axes \[2\] of a rank-2"),
    ("REDUCE_MAX", [make_tensor(0, (4, 6), "int16", 0.1), int32_tensor(1, [1]), make_tensor(2, (4,), "int16", 0.1)],
     [0, 1], [2], {}, "int16 -> int16"),
])
def test_refused_forms_are_named(op, tensors, inputs, outputs, options, why):
    assert_lowering_refuses(op, tensors, inputs, outputs, options, why)


def _crop_then_pool(x):
    return [_tf().reduce_max(x[:, 1:-1, ::-2, :], axis=[1, 2]), x[:, -1, 1:4, ::2]]


def test_layers_name_the_kernels_that_run():
    model = converted((_crop_then_pool,), (5, 6, 4), "int8")
    paths = {layer.op: layer.path for layer in compile_graph(parse_model(model)).layers}
    assert paths["STRIDED_SLICE"] == "strided_slice/reference" and paths["REDUCE_MAX"] == "reduce_max/reference"


# ---- on the device: one model holding both, on a Cortex-M0+ and an M4F -----------------------

@needs_arm_gcc
@pytest.mark.qemu
@pytest.mark.parametrize("board", ["rp2040-pico", "nucleo-l4r5zi"])
def test_slice_and_reduce_max_match_tflm_on_the_device(board, tmp_path):
    for kind in ("float", "int8"):
        model = converted((_crop_then_pool,), (5, 6, 4), kind)
        assert {"STRIDED_SLICE", "REDUCE_MAX"} <= set(ops_of(model)), ops_of(model)
        path = tmp_path / f"slice_max_{kind}.tflite"
        path.write_bytes(model)
        result, _ = measure(path, get_platform(board), inputs=inputs_for(model), variant=kind)
        assert result.output_matches_reference is True, f"{kind} on {board}"
        assert result.reference == "tflm"
