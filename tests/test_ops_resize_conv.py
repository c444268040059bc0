"""RESIZE_NEAREST_NEIGHBOR, RESIZE_BILINEAR, TRANSPOSE_CONV and BATCH_MATMUL against the TFLM interpreter.

Each case is a small Keras model (a layer, or the TensorFlow operation in a Lambda layer)
converted by TensorFlow's converter to float32 and int8 (and int16 activations where TFLM's
kernel takes them); the generated C, built for the host, must give exactly TFLM's integer
outputs and its float32 outputs within 1e-5 relative. Resizes go up and down by whole and
fractional factors under every combination of align_corners and half_pixel_centers the
converter emits; transposed convolutions use strides 1 and 2 with SAME and VALID padding,
with and without a bias; matrix products take both adjoint flags, broadcast batch
dimensions and a constant right-hand side. One device test per family runs the same C in
QEMU on a Cortex-M0+ and an M4F.
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
from emu.model.validate import validate
from emu.platforms import get_platform
from emu.results.measure import measure
from tests import modelgen
from tests.conftest import needs_arm_gcc
from tests.test_ops_misc import (
    assert_lowering_refuses,
    assert_matches_tflm,
    convert_calibrated,
    float_inputs,
    int32_tensor,
    make_tensor,
    ops_of,
    single_op_graph,
    sweep_int8,
)


def _tf():
    return modelgen.tf()


def _layers():
    return modelgen.tf().keras.layers


def _lambda(fn):
    return lambda *xs: _layers().Lambda(lambda t: fn(*t) if isinstance(t, (list, tuple)) else fn(t))(
        list(xs) if len(xs) > 1 else xs[0])


def _nearest(size, align=False):
    return _lambda(lambda t: _tf().compat.v1.image.resize_nearest_neighbor(t, size, align_corners=align))


def _bilinear(size, align=False):
    return _lambda(lambda t: _tf().compat.v1.image.resize_bilinear(t, size, align_corners=align))


def _resize(size, method):
    return _lambda(lambda t: _tf().image.resize(t, size, method=method))  # half_pixel_centers


RHS = np.linspace(-1.0, 1.0, 3 * 5, dtype=np.float32).reshape(3, 5)  # a constant right-hand side

# name -> (build(*inputs) -> outputs, input shapes without the batch, the operator it converts to)
CASES = {
    # nearest: (align_corners, half_pixel_centers) = (F, F), (T, F), (F, T); up by 5/3 and 7/4, down
    "nearest_up": (_nearest((5, 7)), [(3, 4, 2)], "RESIZE_NEAREST_NEIGHBOR"),
    "nearest_align": (_nearest((5, 7), align=True), [(3, 4, 2)], "RESIZE_NEAREST_NEIGHBOR"),
    "nearest_half": (_resize((5, 7), "nearest"), [(3, 4, 2)], "RESIZE_NEAREST_NEIGHBOR"),
    "nearest_down": (_resize((4, 3), "nearest"), [(6, 8, 3)], "RESIZE_NEAREST_NEIGHBOR"),
    "nearest_align_down": (_nearest((4, 3), align=True), [(6, 8, 3)], "RESIZE_NEAREST_NEIGHBOR"),
    "nearest_to_one": (_nearest((1, 1), align=True), [(3, 4, 2)], "RESIZE_NEAREST_NEIGHBOR"),
    # bilinear: the same combinations, Keras' UpSampling2D and Resizing (half-pixel centres)
    "bilinear_up": (_bilinear((5, 7)), [(3, 4, 2)], "RESIZE_BILINEAR"),
    "bilinear_align": (_bilinear((5, 7), align=True), [(3, 4, 2)], "RESIZE_BILINEAR"),
    "bilinear_half": (_resize((5, 7), "bilinear"), [(3, 4, 2)], "RESIZE_BILINEAR"),
    "bilinear_down": (_resize((4, 3), "bilinear"), [(6, 8, 3)], "RESIZE_BILINEAR"),
    "bilinear_align_down": (_bilinear((4, 3), align=True), [(6, 8, 3)], "RESIZE_BILINEAR"),
    "bilinear_to_one": (_bilinear((1, 2), align=True), [(3, 4, 2)], "RESIZE_BILINEAR"),
    "upsampling_bilinear": (lambda x: _layers().UpSampling2D((2, 3), interpolation="bilinear")(x), [(3, 4, 2)],
                            "RESIZE_BILINEAR"),
    "resizing": (lambda x: _layers().Resizing(9, 5)(x), [(4, 6, 3)], "RESIZE_BILINEAR"),
}
RESIZES = list(CASES)


def _deconv(filters, kernel, strides, padding, **options):
    return lambda x: _layers().Conv2DTranspose(filters, kernel, strides=strides, padding=padding, **options)(x)


CASES.update({
    "deconv_same_s2": (_deconv(3, 3, 2, "same"), [(3, 4, 2)], "TRANSPOSE_CONV"),
    "deconv_valid_s2": (_deconv(3, 3, 2, "valid", use_bias=False), [(3, 4, 2)], "TRANSPOSE_CONV"),
    "deconv_same_s1": (_deconv(4, (3, 2), 1, "same"), [(4, 5, 3)], "TRANSPOSE_CONV"),
    "deconv_valid_s1": (_deconv(2, 2, 1, "valid"), [(3, 3, 4)], "TRANSPOSE_CONV"),
    # stride larger than the filter leaves output pixels no input reaches; unequal strides
    "deconv_gaps": (_deconv(2, 2, (3, 2), "valid"), [(3, 4, 2)], "TRANSPOSE_CONV"),
    "deconv_even_same": (_deconv(3, 4, 2, "same", activation="relu"), [(3, 3, 5)], "TRANSPOSE_CONV"),
    # an open batch: the converter computes the output shape with SHAPE, STRIDED_SLICE and PACK
    "deconv_open_batch": (_deconv(3, 3, 2, "same"), [(3, 4, 2)], "TRANSPOSE_CONV"),
})


def _matmul(**flags):
    return _lambda(lambda a, b: _tf().matmul(a, b, **flags))


CONST_RHS = np.linspace(-1.0, 1.0, 2 * 3 * 5, dtype=np.float32).reshape(2, 3, 5)

CASES.update({
    "matmul": (_matmul(), [(4, 3), (3, 5)], "BATCH_MATMUL"),
    "matmul_adj_y": (_matmul(transpose_b=True), [(4, 3), (5, 3)], "BATCH_MATMUL"),
    "matmul_adj_x": (_matmul(transpose_a=True), [(3, 4), (3, 5)], "BATCH_MATMUL"),
    "matmul_adj_both": (_matmul(transpose_a=True, transpose_b=True), [(3, 4), (5, 3)], "BATCH_MATMUL"),
    "matmul_broadcast": (_matmul(), [(2, 4, 3), (1, 3, 5)], "BATCH_MATMUL"),
    # ranks 5 and 4: the right-hand side broadcasts over the second dimension, the left over the third
    "matmul_broadcast_ranks": (_matmul(transpose_b=True), [(2, 1, 4, 3), (3, 5, 3)], "BATCH_MATMUL"),
    "matmul_const": (_lambda(lambda a: _tf().matmul(a, CONST_RHS)), [(2, 4, 3)], "BATCH_MATMUL"),
    "attention": (lambda x: _layers().MultiHeadAttention(2, 4)(x, x), [(6, 8)], "BATCH_MATMUL"),
})
MATMULS = [name for name in CASES if name.startswith(("matmul", "attention"))]
DECONVS = [name for name in CASES if name.startswith("deconv")]
OPEN_BATCH = {"deconv_open_batch"}


def _keras_model(name: str, seed: int = 0):
    t = _tf()
    build, shapes, _ = CASES[name]
    t.keras.utils.set_random_seed(seed)
    batch = None if name in OPEN_BATCH else 1
    inputs = [t.keras.Input(shape=s, batch_size=batch, name=f"in{i}") for i, s in enumerate(shapes)]
    model = t.keras.Model(inputs, build(*inputs))
    rng = np.random.default_rng(seed)
    for layer in model.layers:  # Keras starts biases at zero, which the converter drops
        weights = layer.get_weights()
        if len(weights) > 1:
            layer.set_weights([weights[0], *(rng.normal(0, 0.3, w.shape).astype(w.dtype) for w in weights[1:])])
    return model, shapes


@functools.lru_cache(maxsize=None)
def converted(name: str, kind: str, range_name: str = "unit") -> bytes:
    """The case converted once per session: kind is float, int8 or int16 (16-bit activations)."""
    model, shapes = _keras_model(name)
    return convert_calibrated(model, shapes, kind, range_name)


def _type_of(model: bytes, op_name: str) -> str:
    graph = parse_model(model)
    op = next(op for op in graph.operators if op.op == op_name)
    return graph.tensors[op.outputs[0]].dtype


def _paths(model: bytes) -> set[str]:
    return {layer.path for layer in compile_graph(parse_model(model)).layers}


def _check(name: str, kind: str, range_name: str = "unit") -> bytes:
    model = converted(name, kind, range_name)
    op = CASES[name][2]
    assert op in ops_of(model), ops_of(model)
    assert _type_of(model, op) == {"float": "float32"}.get(kind, kind)
    if kind == "float":
        for seed in range(2):
            assert_matches_tflm(model, float_inputs(model, -3.0, 3.0, seed))
    else:
        assert_matches_tflm(model, sweep_int8(model) if kind == "int8" else modelgen.random_input(model, 1))
        assert_matches_tflm(model, modelgen.random_input(model, 2))
    return model


# ---- RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR -----------------------------------------------

# TFLM's RESIZE_BILINEAR takes float32 and int8 only: test_int16_bilinear_is_refused_like_tflm
@pytest.mark.parametrize("name, kind", [(name, kind) for name in RESIZES for kind in ("float", "int8", "int16")
                                        if not (kind == "int16" and CASES[name][2] == "RESIZE_BILINEAR")])
def test_resize_matches_tflm(name, kind):
    model = _check(name, kind)
    graph = parse_model(model)
    op = next(o for o in graph.operators if o.op == CASES[name][2])
    options = op.options
    path = f"{op.op.lower()}/reference"
    assert path in _paths(model)
    if name.endswith(("_align", "_align_down", "_to_one")):
        assert options["align_corners"] and not options["half_pixel_centers"]
    elif name.endswith(("_half", "_down")) or name in ("upsampling_bilinear", "resizing"):
        assert options["half_pixel_centers"] and not options["align_corners"]
    else:
        assert not options["align_corners"] and not options["half_pixel_centers"]


# ---- TRANSPOSE_CONV -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["float", "int8"])
@pytest.mark.parametrize("name", DECONVS)
def test_transpose_conv_matches_tflm(name, kind):
    model = _check(name, kind, "wide")
    graph = parse_model(model)
    op = next(o for o in graph.operators if o.op == "TRANSPOSE_CONV")
    layer = next(layer for layer in compile_graph(graph).layers if layer.op == "TRANSPOSE_CONV")
    assert layer.path == "transpose_conv/reference"
    x, w, y = (graph.tensors[i] for i in (op.inputs[2], op.inputs[1], op.outputs[0]))
    # every (input pixel, tap) pair that lands inside the output is one MAC per channel pair
    counted = 0
    for iy in range(x.shape[1]):
        for ix in range(x.shape[2]):
            for fy in range(w.shape[1]):
                for fx in range(w.shape[2]):
                    oy = iy * op.options["stride_h"] + fy - (layer_pad := _pad(op, y, w))[0]
                    ox = ix * op.options["stride_w"] + fx - layer_pad[1]
                    counted += 0 <= oy < y.shape[1] and 0 <= ox < y.shape[2]
    assert layer.macs == counted * w.shape[0] * w.shape[3]
    has_bias = len(op.inputs) > 3 and op.inputs[3] >= 0
    assert has_bias == (name != "deconv_valid_s2")
    if name == "deconv_open_batch":
        assert graph.tensors[graph.inputs[0]].shape[0] == 1
        assert {"SHAPE", "STRIDED_SLICE", "PACK"} & set(ops_of(model)), ops_of(model)
    if name == "deconv_even_same":
        assert op.options["fused_activation_function"] == "RELU"


def test_transpose_conv_with_per_tensor_weights_matches_tflm():
    model, shapes = _keras_model("deconv_same_s2")
    model = modelgen.to_int8(model, shapes[0], per_channel=False, low=-8.0, high=8.0)
    graph = parse_model(model)
    op = next(o for o in graph.operators if o.op == "TRANSPOSE_CONV")
    assert len(graph.tensors[op.inputs[1]].quantization.scale) == 1
    for seed in range(2):
        assert_matches_tflm(model, modelgen.random_input(model, seed))


def _pad(op, y, w) -> tuple[int, int]:
    """TFLM's padding for a transposed convolution: as a convolution of the output would pad."""
    pads = []
    for size, filt, stride in ((y.shape[1], w.shape[1], op.options["stride_h"]),
                               (y.shape[2], w.shape[2], op.options["stride_w"])):
        out = -(-size // stride) if op.options["padding"] == "SAME" else (size - filt + stride) // stride
        pads.append(max((out - 1) * stride + filt - size, 0) // 2)
    return pads[0], pads[1]


# ---- BATCH_MATMUL ---------------------------------------------------------------------------------

# int16 attention needs an int16 FULLY_CONNECTED, which emu does not lower yet
@pytest.mark.parametrize("name, kind", [(name, kind) for name in MATMULS for kind in ("float", "int8", "int16")
                                        if not (name == "attention" and kind == "int16")])
def test_batch_matmul_matches_tflm(name, kind):
    model = _check(name, kind)
    graph = parse_model(model)
    ops = [o for o in graph.operators if o.op == "BATCH_MATMUL"]
    flags = {(o.options["adj_x"], o.options["adj_y"]) for o in ops}
    expected = {"matmul_adj_y": (False, True), "matmul_adj_x": (True, False), "matmul_adj_both": (True, True),
                "matmul_broadcast_ranks": (False, True)}.get(name, (False, False))
    assert flags == {expected}
    layers = [layer for layer in compile_graph(graph).layers if layer.op == "BATCH_MATMUL"]
    for op, layer in zip(ops, layers, strict=True):
        assert layer.path == "batch_matmul/reference"
        lhs, rhs, y = (graph.tensors[i] for i in (*op.inputs, op.outputs[0]))
        depth = lhs.shape[-2] if op.options["adj_x"] else lhs.shape[-1]
        assert layer.macs == y.size * depth
    if name == "matmul_const":
        assert graph.tensors[ops[0].inputs[1]].is_constant
    if name == "matmul_broadcast_ranks":
        assert [len(graph.tensors[i].shape) for i in ops[0].inputs] == [5, 4]


# ---- forms refused in one line ---------------------------------------------------------------------

def test_int16_bilinear_is_refused_like_tflm():
    model = converted("bilinear_half", "int16")
    assert _type_of(model, "RESIZE_BILINEAR") == "int16"
    inputs = modelgen.random_input(model)
    with pytest.raises(RuntimeError):
        tflm_outputs(model, inputs)
    with pytest.raises(EmuError, match="RESIZE_BILINEAR at index 0 in .*int16 -> int16 tensors"):
        compile_and_run_on_host(model, inputs)


def test_int16_transpose_conv_matches_tflm():
    # 16x8 transposed convolutions (int64 bias and sums); more forms in tests/test_ops_int16_more.py
    model = converted("deconv_same_s2", "int16", "wide")
    assert _type_of(model, "TRANSPOSE_CONV") == "int16"
    for seed in range(2):
        assert_matches_tflm(model, modelgen.random_input(model, seed))


def _filter(index, shape, dtype="float32"):
    return make_tensor(index, shape, dtype, 0.01 if dtype == "int8" else None, data=np.ones(shape, dtype=dtype))


@pytest.mark.parametrize("op, tensors, inputs, outputs, options, why", [
    ("RESIZE_BILINEAR", [make_tensor(0, (1, 2, 2, 1), "float32"), int32_tensor(1, [4, 4]),
                         make_tensor(2, (1, 4, 4, 1), "float32")], [0, 1], [2],
     {"align_corners": True, "half_pixel_centers": True}, "align_corners with half_pixel_centers"),
    ("RESIZE_NEAREST_NEIGHBOR", [make_tensor(0, (1, 2, 2, 1), "float32"), make_tensor(1, (2,), "int32"),
                                 make_tensor(2, (1, 4, 4, 1), "float32")], [0, 1], [2], {},
     "size computed at run time"),
    ("RESIZE_NEAREST_NEIGHBOR", [make_tensor(0, (2, 2, 1), "float32"), int32_tensor(1, [4, 4]),
                                 make_tensor(2, (4, 4, 1), "float32")], [0, 1], [2], {}, "rank-3 input"),
    ("RESIZE_NEAREST_NEIGHBOR", [make_tensor(0, (1, 2, 2, 1), "int32"), int32_tensor(1, [4, 4]),
                                 make_tensor(2, (1, 4, 4, 1), "int32")], [0, 1], [2], {}, "int32 -> int32"),
    # half-pixel int8 sampling of 3 rows at 2000 reaches row 3: TFLM would read past the input
    ("RESIZE_BILINEAR", [make_tensor(0, (1, 3, 1, 1), "int8", 0.1), int32_tensor(1, [2000, 1]),
                         make_tensor(2, (1, 2000, 1, 1), "int8", 0.1)], [0, 1], [2],
     {"align_corners": False, "half_pixel_centers": True}, "reaches past the input's 3 rows"),
    ("TRANSPOSE_CONV", [int32_tensor(0, [1, 4, 4, 2]), _filter(1, (2, 3, 3, 2), "int8"), make_tensor(2, (1, 2, 2, 2),
                        "float32"), make_tensor(3, (1, 4, 4, 2), "float32")], [0, 1, 2], [3],
     {"padding": "SAME", "stride_h": 2, "stride_w": 2}, "hybrid models are not supported"),
    ("TRANSPOSE_CONV", [int32_tensor(0, [1, 4, 4, 2]), make_tensor(1, (2, 3, 3, 2), "float32"),
                        make_tensor(2, (1, 2, 2, 2), "float32"), make_tensor(3, (1, 4, 4, 2), "float32")],
     [0, 1, 2], [3], {"padding": "SAME", "stride_h": 2, "stride_w": 2}, "filter must be a constant"),
    ("BATCH_MATMUL", [make_tensor(0, (2, 4, 3), "float32"), make_tensor(1, (3, 3, 5), "float32"),
                      make_tensor(2, (3, 4, 5), "float32")], [0, 1], [2], {}, "do not broadcast"),
    ("BATCH_MATMUL", [make_tensor(0, (4, 3), "float32"), make_tensor(1, (4, 5), "float32"),
                      make_tensor(2, (4, 5), "float32")], [0, 1], [2], {}, "depths 3 and 4 differ"),
    ("BATCH_MATMUL", [make_tensor(0, (1, 1, 1, 1, 4, 3), "float32"), make_tensor(1, (3, 5), "float32"),
                      make_tensor(2, (1, 1, 1, 1, 4, 5), "float32")], [0, 1], [2], {}, "rank-6 left-hand side"),
    ("BATCH_MATMUL", [make_tensor(0, (4, 3), "float32"), make_tensor(1, (3, 5), "int8", 0.1),
                      make_tensor(2, (4, 5), "float32")], [0, 1], [2], {}, "float32 x int8"),
    ("BATCH_MATMUL", [make_tensor(0, (4, 3), "int16", 0.1, 3), make_tensor(1, (3, 5), "int16", 0.1),
                      make_tensor(2, (4, 5), "int16", 0.1)], [0, 1], [2], {}, "int16 zero points"),
])
def test_refused_forms_are_named(op, tensors, inputs, outputs, options, why):
    assert_lowering_refuses(op, tensors, inputs, outputs, options, why)


# ---- on the device: one model per family, on a Cortex-M0+ and an M4F ---------------------------------

CASES.update({
    # nearest (no options) and bilinear (half-pixel centres) of one input, by fractional factors
    "device_resize": (lambda x: [_nearest((5, 7))(x), _resize((4, 9), "bilinear")(x)], [(3, 4, 2)], ""),
    # strides 2 and 1, SAME and VALID, with a bias and with a fused RELU
    "device_deconv": (lambda x: [_deconv(3, 3, 2, "same")(x), _deconv(2, 2, 1, "valid", activation="relu")(x)],
                      [(3, 4, 2)], ""),
    # adj_y with broadcast batches, and adj_x
    "device_matmul": (lambda a, b: [_matmul(transpose_b=True)(a, b), _matmul(transpose_a=True)(b, b)],
                      [(2, 4, 3), (1, 5, 3)], ""),
})
FAMILIES = {"resize": ({"RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR"}, ["float", "int8"]),
            "deconv": ({"TRANSPOSE_CONV"}, ["float", "int8"]),
            # int16 too: its 64-bit sums are the arithmetic a 32-bit core is most likely to get wrong
            "matmul": ({"BATCH_MATMUL"}, ["float", "int8", "int16"])}


@needs_arm_gcc
@pytest.mark.qemu
@pytest.mark.parametrize("board", ["rp2040-pico", "nucleo-l4r5zi"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_family_matches_tflm_on_the_device(family, board, tmp_path):
    operators, kinds = FAMILIES[family]
    for kind in kinds:
        model = converted(f"device_{family}", kind, "wide")
        assert operators <= set(ops_of(model)), ops_of(model)
        for op in operators:
            assert _type_of(model, op) == {"float": "float32"}.get(kind, kind)
        path = tmp_path / f"{family}_{kind}.tflite"
        path.write_bytes(model)
        inputs = float_inputs(model, -3.0, 3.0) if kind == "float" else modelgen.random_input(model, 4)
        result, _ = measure(path, get_platform(board), inputs=inputs, variant=kind)
        assert result.output_matches_reference is True, f"{family} {kind} on {board}"
        assert result.reference == "tflm"


@pytest.mark.parametrize("op", ["RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR", "BATCH_MATMUL"])
def test_a_missing_second_input_is_refused_at_the_door(op):
    # TFLM's kernels read both inputs unconditionally: validate names the operator
    tensors = [make_tensor(0, (1, 2, 2, 1), "float32"), make_tensor(1, (1, 2, 2, 1), "float32")]
    _, graph = single_op_graph(tensors, op, [0, -1], [1])
    with pytest.raises(EmuError, match=f"no tensor \\(-1\\) for its input 1, which {op} needs"):
        validate(graph, buffer_count=1)
