"""The optimized (DSP-extension) kernels against TFLM, on the host through their portable form.

The rescale they share is checked against the quantization spec's arithmetic in Python; the
kernels are checked through random small models converted by TensorFlow, each run with many
random inputs and compared with the TFLM interpreter, in both kernel sets. The device runs
(the DSP instructions themselves) are in test_device_ops.py.
"""

from __future__ import annotations

import ctypes
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from emu.compile.codegen import compile_graph
from emu.compile.hostrun import FIRMWARE, kernel_includes, run_compiled_on_host_many
from emu.compile.kernel_set import default_kernel_set, resolve_kernel_set
from emu.compile.quant import multiply_by_quantized_multiplier
from emu.errors import EmuError
from emu.model.oracle import tflm_outputs
from emu.model.reader import parse_model
from emu.platforms import get_platform, list_platforms
from emu.results.cached_measure import measure_key
from emu.results.record import LayerResult, result_from_dict
from tests import modelgen
from tests.conftest import needs_arm_gcc, shared_model


def test_dsp_rescale_is_the_reference_arithmetic(tmp_path):
    """emu_dsp_output (emu_dsp.h) against TFLM's MultiplyByQuantizedMultiplier written in Python,
    for accumulators inside the bound the compiler guarantees: acc << (max(shift, 0) + 1) fits int32."""
    cc = shutil.which("cc") or shutil.which("gcc")
    source = tmp_path / "rescale.c"
    source.write_text('#include "emu_dsp.h"\n'
                      "int32_t rescale(int32_t a, int32_t m, int s) {\n"
                      "    emu_dsp_rescale r = emu_dsp_rescale_for(m, s);\n"
                      "    return emu_dsp_rescale_apply(&r, a);\n}\n")
    library = tmp_path / "rescale.so"
    subprocess.run([cc, "-O2", "-shared", "-fPIC", *kernel_includes(FIRMWARE), str(source), "-o", str(library)],
                   check=True)
    rescale = ctypes.CDLL(str(library)).rescale
    rescale.restype = ctypes.c_int32
    rescale.argtypes = [ctypes.c_int32] * 3

    rng = np.random.default_rng(1)
    checked = 0
    for shift in range(-31, 8):
        limit = (2**31 - 1) >> (max(shift, 0) + 1)  # the largest |acc| the compiler lets through
        # 2**30 makes every odd accumulator an exact tie of the doubling high multiply
        for multiplier in [2**30, 2**31 - 1, 2**30 + 1, *rng.integers(2**30, 2**31, 12).tolist()]:
            accs = [0, 1, -1, 2, -2, 3, -3, limit, -limit, limit - 1, -limit + 1,
                    *rng.integers(-limit, limit + 1, 200).tolist(), *rng.integers(-5000, 5000, 100).tolist()]
            if shift < 0:  # exact ties of the rounding shift: remainders of exactly one half
                half = 1 << (-shift - 1)
                accs += [a for k in range(-4, 4) if abs(a := k * (1 << -shift) + half) <= limit]
            for acc in accs:
                want = multiply_by_quantized_multiplier(acc * (1 << max(shift, 0)), multiplier, min(shift, 0))
                assert rescale(acc, multiplier, shift) == want, (acc, multiplier, shift)
                checked += 1
    assert checked > 100_000


def test_dsp_short_rescale_is_the_reference_arithmetic(tmp_path):
    """emu_dsp_output_short on a table emu_dsp_rescale_short accepted (emu_dsp.h: the output zero
    point folded into the rounding), clamped, against TFLM's MultiplyByQuantizedMultiplier plus
    the zero point written in Python; and the tables it must refuse: a shift of 0, above 0, or
    below -22 on any channel."""
    cc = shutil.which("cc") or shutil.which("gcc")
    source = tmp_path / "short.c"
    source.write_text('#include "emu_dsp.h"\n'
                      "int32_t rescale(int32_t a, int32_t m, int s, int32_t offset, int32_t *is_short) {\n"
                      "    emu_dsp_rescale t[2];\n"
                      "    const int32_t ms[2] = {1 << 30, m};\n"
                      "    const int8_t ss[2] = {-1, (int8_t)s};\n"
                      "    emu_dsp_rescale_table(ms, ss, 2, t);\n"
                      "    *is_short = emu_dsp_rescale_short(t, 2, offset);\n"
                      "    return emu_clamp(emu_dsp_output_short(&t[1], a), -128, 127);\n}\n")
    library = tmp_path / "short.so"
    subprocess.run([cc, "-O2", "-shared", "-fPIC", *kernel_includes(FIRMWARE), str(source), "-o", str(library)],
                   check=True)
    rescale = ctypes.CDLL(str(library)).rescale
    rescale.restype = ctypes.c_int32
    rescale.argtypes = [ctypes.c_int32] * 4 + [ctypes.POINTER(ctypes.c_int32)]
    is_short = ctypes.c_int32()

    for shift in (0, 1, 5, -23, -31):
        rescale(5, 2**30, shift, 0, ctypes.byref(is_short))
        assert is_short.value == 0, shift

    rng = np.random.default_rng(2)
    checked = 0
    limit = (2**31 - 1) >> 1  # shift <= -1: acc << 1 fits int32
    for shift in range(-22, 0):
        for multiplier in [2**30, 2**31 - 1, *rng.integers(2**30, 2**31, 4).tolist()]:
            for offset in (-128, -1, 0, 5, 127):
                half = 1 << (-shift - 1)
                accs = [0, 1, -1, limit, -limit, *rng.integers(-limit, limit + 1, 40).tolist(),
                        *rng.integers(-3000, 3000, 40).tolist(),
                        *[a for k in range(-3, 3) if abs(a := k * (1 << -shift) + half) <= limit]]
                for acc in accs:
                    want = min(max(multiply_by_quantized_multiplier(acc, multiplier, shift) + offset, -128), 127)
                    assert rescale(acc, multiplier, shift, offset, ctypes.byref(is_short)) == want, \
                        (acc, multiplier, shift, offset)
                    assert is_short.value == 1
                    checked += 1
    assert checked > 50_000


def _k():
    return modelgen.tf().keras.layers


def random_cases(count: int, seed: int) -> list[tuple[str, list, tuple, bool]]:
    """(name, layers, input shape, per-channel) for random small models of every optimized form."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(count):
        kind = ("fc", "conv1x1", "conv", "dw")[i % 4]
        act = [None, "relu", "relu6"][int(rng.integers(3))]
        per_channel = bool(rng.integers(2))
        if kind == "fc":
            depth, units = int(rng.integers(1, 70)), int(rng.integers(1, 20))
            layers, shape = [_k().Dense(units, activation=act)], (depth,)
            name = f"fc_{depth}x{units}"
        elif kind == "conv1x1":
            h, w, c, oc, s = (int(rng.integers(1, 9)), int(rng.integers(1, 9)), int(rng.integers(1, 40)),
                              int(rng.integers(1, 24)), int(rng.integers(1, 3)))
            layers, shape = [_k().Conv2D(oc, 1, strides=s, activation=act)], (h, w, c)
            name = f"conv1x1_{h}x{w}x{c}_{oc}_s{s}"
        elif kind == "conv":
            kh, kw = int(rng.integers(1, 6)), int(rng.integers(2, 6))
            h, w, c, oc, s = (int(rng.integers(kh, 12)), int(rng.integers(kw, 12)), int(rng.integers(1, 12)),
                              int(rng.integers(1, 12)), int(rng.integers(1, 3)))
            pad = ["same", "valid"][int(rng.integers(2))]
            layers, shape = [_k().Conv2D(oc, (kh, kw), strides=s, padding=pad, activation=act)], (h, w, c)
            name = f"conv{kh}x{kw}_{h}x{w}x{c}_{oc}_s{s}_{pad}"
        else:
            k, dm = int(rng.integers(1, 6)), [1, 1, 2, 4, 8][int(rng.integers(5))]
            h, w, c, s = (int(rng.integers(k, 12)), int(rng.integers(k, 12)), int(rng.integers(1, 40)),
                          int(rng.integers(1, 3)))
            pad = ["same", "valid"][int(rng.integers(2))]
            layers = [_k().DepthwiseConv2D(k, strides=s, padding=pad, depth_multiplier=dm, activation=act)]
            shape, name = (h, w, c), f"dw{k}_{h}x{w}x{c}_dm{dm}_s{s}_{pad}"
        cases.append((f"{i}_{name}_{'pc' if per_channel else 'pt'}", layers, shape, per_channel))
    return cases


def one_channel_cases() -> list[tuple[str, list, tuple, bool]]:
    """Depthwise layers on one input channel (micro_speech's first layer is one): windows that
    are not whole words of taps, channel counts that are not multiples of four, stride, padding
    and dilation."""
    dw = _k().DepthwiseConv2D
    return [
        ("1ch_3x5_dm8_s2_same", [dw((3, 5), strides=2, padding="same", depth_multiplier=8, activation="relu")],
         (9, 11, 1), True),
        ("1ch_3x3_dm5_valid", [dw(3, depth_multiplier=5)], (7, 7, 1), False),
        ("1ch_3x3_dm4_dilated_same", [dw(3, dilation_rate=2, padding="same", depth_multiplier=4,
                                         activation="relu6")], (8, 9, 1), True),
        ("1ch_2x2_dm2_s2_same", [dw(2, strides=2, padding="same", depth_multiplier=2)], (5, 6, 1), True),
    ]


def three_by_three_cases() -> list[tuple[str, list, tuple, bool]]:
    """Depthwise 3x3 layers with depth multiplier 1 (the nine-tap kernel with its arranged filter):
    channel counts that are not multiples of four, stride, both paddings,
    dilation, each activation, per-channel and per-tensor."""
    dw = _k().DepthwiseConv2D
    return [
        ("3x3_dm1_c5_same_relu", [dw(3, padding="same", activation="relu")], (6, 7, 5), True),
        ("3x3_dm1_c6_valid", [dw(3)], (5, 5, 6), False),
        ("3x3_dm1_c13_s2_same_relu6", [dw(3, strides=2, padding="same", activation="relu6")], (9, 8, 13), True),
        ("3x3_dm1_c8_dilated_same", [dw(3, dilation_rate=2, padding="same")], (7, 9, 8), False),
        ("3x3_dm1_c67_s2_valid", [dw(3, strides=2, activation="relu")], (7, 6, 67), True),
    ]


def single_output_channel_cases() -> list[tuple[str, list, tuple, bool]]:
    """Convolutions with one output channel (a mask head, a regression map): no channel pair for
    the paired filter layout, only the odd last channel."""
    conv = _k().Conv2D
    return [
        ("conv1x1_oc1", [conv(1, 1, activation="relu")], (5, 6, 12), True),
        ("conv3x3_oc1_same", [conv(1, 3, padding="same")], (6, 5, 3), False),
    ]


INPUTS_PER_MODEL = 8


@pytest.fixture(scope="module")
def converted():
    # The cases' layers are made here, not at import: collecting this file must not need TensorFlow.
    models = {}
    cases = random_cases(32, seed=7) + one_channel_cases() + three_by_three_cases() + single_output_channel_cases()
    for i, (name, layers, shape, per_channel) in enumerate(cases):
        model = modelgen.keras_model(layers, shape, seed=100 + i)
        models[name] = modelgen.to_int8(model, shape, seed=i, per_channel=per_channel)
    return models


@pytest.mark.parametrize("kernel_set", ["reference", "optimized"])
def test_random_models_match_tflm(converted, kernel_set):
    paths, functions = set(), set()
    cases = 0
    for name, model in converted.items():
        graph = parse_model(model)
        compiled = compile_graph(graph, kernel_set)
        paths |= {layer.path for layer in compiled.layers}
        functions |= {layer.function for layer in compiled.layers}
        if name.startswith("3x3_dm1") and kernel_set == "optimized":
            assert [layer.path for layer in compiled.layers] == ["depthwise_conv_2d/3x3-dm1-dsp"], name
        inputs = [modelgen.random_input(model, seed=s) for s in range(INPUTS_PER_MODEL)]
        for x, got in zip(inputs, run_compiled_on_host_many(compiled, inputs), strict=True):
            want = tflm_outputs(model, x)
            for g, w in zip(got, want, strict=True):
                np.testing.assert_array_equal(g, w, err_msg=f"{name} ({kernel_set})")
            cases += 1
    assert cases == len(converted) * INPUTS_PER_MODEL
    if kernel_set == "optimized":
        assert {"fully_connected/dsp", "conv_2d/1x1-dsp", "conv_2d/im2col-dsp"} <= paths, paths
        # windows of a whole number of words, and windows whose filter rows are padded to one
        assert {"emu_conv2d_s8_dsp", "emu_conv2d_padded_s8_dsp", "emu_depthwise_conv2d_3x3_s8_dsp"} <= functions
        for form in ("-dm1-dsp", "-dm4-dsp", "-dm8-dsp", "-1ch-dsp"):
            assert any(p.startswith("depthwise_conv_2d/") and p.endswith(form) for p in paths), (form, paths)
    else:
        assert all(p.endswith("/reference") for p in paths), paths


# ---- kernel set selection ----------------------------------------------------------------

def _compiler_defines(platform) -> str:
    """What the cross compiler defines for the board's -mcpu: the oracle for Platform.dsp and .mve."""
    return subprocess.run(["arm-none-eabi-gcc", *platform.cflags, "-dM", "-E", "-"], input="", capture_output=True,
                          text=True, check=True).stdout


@needs_arm_gcc
def test_dsp_and_mve_properties_agree_with_the_compiler_for_every_board():
    boards = list_platforms()
    assert {p.dsp for p in boards} == {True, False} and {p.mve for p in boards} == {True, False}
    for p in boards:
        defines = _compiler_defines(p)
        assert p.dsp == ("__ARM_FEATURE_DSP" in defines), p.name
        assert p.mve == ("__ARM_FEATURE_MVE" in defines), p.name
        assert default_kernel_set(p) == ("optimized" if p.dsp else "reference")


def test_resolving_a_kernel_set():
    m4, m0 = get_platform("nucleo-l4r5zi"), get_platform("rp2040-pico")
    assert resolve_kernel_set(m4) == "optimized"
    assert resolve_kernel_set(m0) == "reference"
    assert resolve_kernel_set(m4, "reference") == "reference"
    with pytest.raises(EmuError, match="rp2040-pico \\(cortex-m0plus\\) does not have"):
        resolve_kernel_set(m0, "optimized")
    with pytest.raises(EmuError, match="unknown kernel set 'fast'"):
        resolve_kernel_set(m4, "fast")


def test_a_board_name_may_pin_the_kernel_set():
    pinned = get_platform("nucleo-l4r5zi:reference")
    assert (pinned.name, pinned.core, pinned.kernels) == ("nucleo-l4r5zi:reference", "cortex-m4", "reference")
    assert resolve_kernel_set(pinned) == resolve_kernel_set(pinned, "reference") == "reference"
    with pytest.raises(EmuError, match="drop --kernels optimized"):
        resolve_kernel_set(pinned, "optimized")
    soft = get_platform("nucleo-l4r5zi:soft-float:optimized")
    assert (soft.fpu, resolve_kernel_set(soft)) == (False, "optimized")
    with pytest.raises(EmuError, match=r"rp2040-pico \(cortex-m0plus\) has no DSP extension"):
        get_platform("rp2040-pico:optimized")
    assert resolve_kernel_set(get_platform("rp2040-pico:reference")) == "reference"


def test_layers_carry_their_path_and_the_macs_of_their_shapes():
    graph = parse_model(shared_model("person_detect.tflite").read_bytes())
    for kernel_set, conv_path in (("reference", "conv_2d/reference"), ("optimized", "conv_2d/1x1-dsp")):
        layers = compile_graph(graph, kernel_set).layers
        # operator 2: 1x1 CONV_2D, 48 x 48 pixels, 16 output channels, 8 input channels
        assert (layers[2].op, layers[2].path, layers[2].macs) == ("CONV_2D", conv_path, 48 * 48 * 16 * 8)
        # operator 1: 3x3 DEPTHWISE_CONV_2D, 48 x 48 x 8 outputs, 9 taps each
        assert layers[1].macs == 48 * 48 * 8 * 9
        assert layers[30].op == "SOFTMAX" and layers[30].macs == 0
    # operator 0: one input channel, depth multiplier 8
    assert compile_graph(graph, "optimized").layers[0].path == "depthwise_conv_2d/3x3-1ch-dsp"


def test_old_result_files_load_without_the_layer_fields():
    row = {"model": "m", "model_sha256": "0", "variant": "v", "platform": "p", "core": "cortex-m4", "fpu": True,
           "clock_hz": 1, "kernels": "emu", "instructions": 1, "cycles": 1, "latency_ms": 1.0, "energy_uj": 1.0,
           "flash_bytes": 1, "ram_bytes": 1, "arena_bytes": 1, "stack_bytes": 1, "output_matches_reference": True,
           "layers": [{"index": 0, "op": "CONV_2D", "instructions": 5, "cycles": 7}]}
    layer = result_from_dict(row).layers[0]
    assert (layer.path, layer.macs, layer.cycles_per_mac) == ("", 0, None)
    assert LayerResult(0, "CONV_2D", 5, 30, "conv_2d/1x1-dsp", 12).cycles_per_mac == 2.5


def test_the_kernel_set_is_part_of_the_results_cache_key():
    board = get_platform("nucleo-l4r5zi")
    keys = {measure_key("m", b"model", board, "v", None, True, "sources", k) for k in ("reference", "optimized")}
    assert len(keys) == 2


@needs_arm_gcc
def test_build_records_the_kernel_set_and_keys_on_it(tmp_path):
    model = shared_model("hello_world_int8.tflite")
    board = get_platform("nucleo-l4r5zi")
    infos = {}
    for kernel_set in ("reference", "optimized"):
        out = tmp_path / kernel_set
        result = subprocess.run([sys.executable, "-m", "emu", "build", str(model), "-p", board.name,
                                 "--kernels", kernel_set, "--out", str(out)], capture_output=True, text=True,
                                check=False, timeout=300)
        assert result.returncode == 0, result.stderr
        infos[kernel_set] = json.loads((out / "build.json").read_text())
    assert infos["reference"]["build_key"] != infos["optimized"]["build_key"]
    for kernel_set, info in infos.items():
        assert info["kernel_set"] == kernel_set
        paths = [layer["path"] for layer in info["operators"]]
        assert paths == ["fully_connected/" + ("dsp" if kernel_set == "optimized" else "reference")] * 3
        assert [layer["macs"] for layer in info["operators"]] == [1 * 16, 16 * 16, 16 * 1]


@needs_arm_gcc
def test_optimized_kernels_on_a_core_without_dsp_is_a_user_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "emu", "build", str(shared_model("hello_world_int8.tflite")),
                             "-p", "rp2040-pico", "--kernels", "optimized", "--out", str(tmp_path)],
                            capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "need the DSP extension" in lines[0] and "Traceback" not in result.stderr


@pytest.mark.parametrize("kernel_set", ["reference", "optimized"])
def test_1x1_output_streaming_over_its_input_matches_tflm(kernel_set):
    """A 1x1 convolution that widens 7 channels to 12 writes its output over its input
    (emu/compile/overlap.py); its groups of pixels span rows and its windows have a 3-byte tail."""
    shape = (8, 6, 7)
    model = modelgen.to_int8(modelgen.keras_model([_k().Conv2D(12, 1, activation="relu")], shape, seed=3), shape)
    compiled = compile_graph(parse_model(model), kernel_set)
    assert compiled.layers[0].path == ("conv_2d/1x1-dsp" if kernel_set == "optimized" else "conv_2d/reference")
    in_bytes, out_bytes = 8 * 6 * 7, 8 * 6 * 12
    # conv_2d_dsp.c's scratch by hand: 12 channels' bias and rescale (16 bytes) and places in the
    # channel list (2), three pixels' outputs (36), three expanded windows of one word (24)
    scratch = 12 * 16 + 12 * 2 + 36 + 24 if kernel_set == "optimized" else 0
    assert compiled.arena_bytes < in_bytes + out_bytes + scratch  # the output does overlap the input
    inputs = [modelgen.random_input(model, seed=s) for s in range(6)]
    for x, got in zip(inputs, run_compiled_on_host_many(compiled, inputs), strict=True):
        np.testing.assert_array_equal(got[0], tflm_outputs(model, x)[0])


# ---- CONV_2D: the DSP kernel's forms of its pixel groups and output stage ----------------------

SHORT_GROUP_SHAPE = (9, 13, 3)
# (layer, channels pruned to all-zero filters: constant channels, which the kernel leaves out)
PRUNED_CHANNELS = {1: (2, 5), 3: (1,)}


def short_group_model() -> bytes:
    """CONV_2D layers whose pixel counts leave a short last group of two pixels (35 = 11 x 3 + 2)
    or one (25), for each form of conv_2d_dsp.c: a 3x3 filter on three channels with SAME
    padding and stride 2 (its windows from the image, its edges gathered), a 1x1 filter and a
    window of whole words read in place, each with every channel live and with constant
    channels (the output stage with and without a channel list), and a window with a 2-byte
    tail and an odd last channel."""
    conv = _k().Conv2D
    keras = modelgen.keras_model([
        conv(8, 3, strides=2, padding="same"),  # 9 x 13 -> 5 x 7 = 35 pixels
        conv(8, 1),
        conv(8, (1, 3)),  # -> 5 x 5 = 25 pixels, windows of 3 x 8 bytes in place
        conv(6, 1, activation="relu"),
        conv(5, 3, padding="same"),  # windows of 54 bytes: a tail of 2
    ], SHORT_GROUP_SHAPE, seed=21)
    for index, channels in PRUNED_CHANNELS.items():
        kernel, bias = keras.layers[index].get_weights()
        kernel[..., list(channels)] = 0
        keras.layers[index].set_weights([kernel, bias])
    return modelgen.to_int8(keras, SHORT_GROUP_SHAPE)


def test_short_groups_and_constant_channels_take_every_dsp_convolution_form():
    model = short_group_model()
    compiled = compile_graph(parse_model(model), "optimized")
    assert [layer.path for layer in compiled.layers] == ["conv_2d/im2col-dsp", "conv_2d/1x1-dsp", "conv_2d/im2col-dsp",
                                                        "conv_2d/1x1-dsp", "conv_2d/im2col-dsp"]
    assert [layer.function for layer in compiled.layers][0] == "emu_conv2d_padded_s8_dsp"
    # the filters hold the live channels' rows only, by hand: 8 rows of 27 bytes padded to 28,
    # 6 live of 8 rows of 8, 8 of 24, 5 live of 6 of 8, 5 of 54
    assert compiled.filter_bytes == 8 * 28 + 6 * 8 + 8 * 24 + 5 * 8 + 5 * 54
    inputs = [modelgen.random_input(model, seed=s) for s in range(4)]
    for x, got in zip(inputs, run_compiled_on_host_many(compiled, inputs), strict=True):
        np.testing.assert_array_equal(got[0], tflm_outputs(model, x)[0])


@needs_arm_gcc
@pytest.mark.parametrize("board", ["nucleo-l4r5zi", "disco-f746ng", "ek-ra6m4"])
def test_short_groups_and_constant_channels_match_tflm_on_the_dsp_cores(tmp_path, board):
    """The loop over channel pairs and its output stage are assembly, with and without a channel
    list, in one order for the M4 and M33 and another for the M7: checked here."""
    from emu.results.measure import measure

    path = tmp_path / "short_groups.tflite"
    path.write_bytes(short_group_model())
    result, _ = measure(path, get_platform(board), kernels="optimized")
    assert result.output_matches_reference is True, board
    assert all(layer.path.endswith("-dsp") for layer in result.layers), board


# ---- FULLY_CONNECTED: four units per pass over weights arranged at build time ------------------

def test_fc_weights_are_arranged_as_the_four_unit_kernel_reads_them():
    # 5 units, 6 inputs, w[u, k] = 10u + k. By hand from fully_connected_dsp.h: the four units
    # 0-3 for inputs 0-3, four bytes a unit; then their last 6 % 4 = 2 inputs, two bytes a unit;
    # then unit 4 (5 % 4 = 1 unit left over) as stored.
    from emu.compile.ops.fully_connected import arranged_weights

    w = (10 * np.arange(5)[:, None] + np.arange(6)[None, :]).astype(np.int8)
    assert arranged_weights(w).tolist() == [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33,
                                            4, 5, 14, 15, 24, 25, 34, 35,
                                            40, 41, 42, 43, 44, 45]
    # fewer than four units: nothing to group, the rows stay as stored
    assert arranged_weights(w[:3]).tolist() == w[:3].reshape(-1).tolist()


class _FcParams(ctypes.Structure):
    """emu_fully_connected_s8_params (emu/firmware/kernels/fully_connected.h), field for field."""
    _fields_ = [("batches", ctypes.c_int32), ("depth", ctypes.c_int32), ("units", ctypes.c_int32),
                ("output_offset", ctypes.c_int16), ("act_min", ctypes.c_int16), ("act_max", ctypes.c_int16),
                ("shared_rescale", ctypes.c_int16), ("folded_bias", ctypes.POINTER(ctypes.c_int32)),
                ("multiplier", ctypes.POINTER(ctypes.c_int32)), ("shift", ctypes.POINTER(ctypes.c_int8))]


def test_fc_four_unit_kernel_rescales_as_the_reference_in_each_form(tmp_path):
    """emu_fully_connected_s8_dsp4's rescales (the shared one with its SSAT, the per-unit one)
    against TFLM's MultiplyByQuantizedMultiplier plus zero point and clamp written in Python, on
    accumulators chosen to be exact ties of the rounding, the extremes the compiler lets through
    and random ones: with all-zero weights each unit's sum is its folded bias, so the bias is the
    accumulator. Depths 1 (a tail), 16 (whole passes) and 20 (a step and whole passes); units
    not a multiple of 4 (the row pass after the groups)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    library = tmp_path / "fc.so"
    subprocess.run([cc, "-O2", "-shared", "-fPIC", *kernel_includes(FIRMWARE),
                    str(FIRMWARE / "kernels" / "optimized" / "fully_connected_dsp.c"), "-o", str(library)],
                   check=True)
    kernel = ctypes.CDLL(str(library)).emu_fully_connected_s8_dsp4

    def run(acc, multiplier, shift, offset, lo, hi, shared, depth):
        units = len(acc)
        bias = (ctypes.c_int32 * units)(*acc)
        m = (ctypes.c_int32 * len(multiplier))(*multiplier)
        s = (ctypes.c_int8 * len(shift))(*shift)
        p = _FcParams(1, depth, units, offset, lo, hi, shared, bias, m, s)
        x = (ctypes.c_int8 * depth)(*range(depth))
        w = (ctypes.c_int8 * (units * depth))()
        out = (ctypes.c_int8 * units)()
        scratch = (ctypes.c_int32 * (depth // 2 + 1))()  # 2 x (depth & ~3) bytes, at least 4
        kernel(ctypes.byref(p), x, w, out, scratch)
        return list(out)

    rng = np.random.default_rng(5)
    checked = 0
    for shift in (-1, -2, -5, -9, -17, -31):
        right = -shift
        limit = (2**31 - 1) >> 1  # acc << 1 fits int32
        half = 1 << (right - 1)
        ties = [a for k in range(-6, 6) if abs(a := k * (1 << right) + half) <= limit]
        near = min(1 << (right + 8), limit)  # accumulators whose outputs are inside the int8 range
        for multiplier in (2**30, 2**31 - 1, int(rng.integers(2**30, 2**31))):
            for offset, depth in ((-128, 16), (96, 1), (0, 20), (127, 16)):
                acc = [*ties, 0, 1, -1, limit, -limit, *rng.integers(-limit, limit + 1, 30).tolist(),
                       *rng.integers(-near, near, 30).tolist()]
                acc = acc[:len(acc) // 4 * 4 + 3]  # three units left for the row pass
                want = [min(max(multiply_by_quantized_multiplier(a, multiplier, shift) + offset, -128), 127)
                        for a in acc]
                assert run(acc, [multiplier], [shift], offset, -128, 127, 1, depth) == want, (multiplier, shift)
                checked += len(acc)
    # per-unit tables (shifts of both signs) and a narrower activation range: the other form
    acc = rng.integers(-5000, 5000, 23).tolist()
    multipliers = rng.integers(2**30, 2**31, 23).tolist()
    shifts = rng.integers(-9, 3, 23).tolist()
    for depth in (1, 16, 20):
        want = [min(max(multiply_by_quantized_multiplier(a, m, s) + 3, -20), 90)
                for a, m, s in zip(acc, multipliers, shifts, strict=True)]
        assert run(acc, multipliers, shifts, 3, -20, 90, 0, depth) == want
    assert checked > 2000


def test_fc_shared_rescale_only_where_every_unit_has_the_same_negative_shift_and_the_full_range():
    from emu.compile.kernel_call import ConstArray
    from emu.compile.ops.fully_connected import shared_rescale

    def params(multipliers, shifts, lo=-128, hi=127):
        return {"multiplier": ConstArray("int32_t", np.array(multipliers, np.int32)),
                "shift": ConstArray("int8_t", np.array(shifts, np.int8)), "act_min": lo, "act_max": hi}

    shared = shared_rescale(params([1 << 30] * 3, [-4] * 3))
    assert shared["shared_rescale"] == 1
    assert shared["multiplier"].values.tolist() == [1 << 30] and shared["shift"].values.tolist() == [-4]
    for other in (params([1 << 30, (1 << 30) + 1, 1 << 30], [-4] * 3),  # per-channel multipliers
                  params([1 << 30] * 3, [-4, -5, -4]),  # per-channel shifts
                  params([1 << 30] * 3, [0] * 3),  # no right shift: SSAT's halving would be wrong
                  params([1 << 30] * 3, [-4] * 3, lo=-128, hi=5),  # RELU6-like range: a real clamp
                  params([1 << 30] * 3, [-4] * 3, lo=0, hi=127)):
        assert shared_rescale(other) == {"shared_rescale": 0}


def test_fc_four_unit_kernel_matches_tflm_for_every_remainder_of_units_and_depth():
    """Units and depth of each remainder mod 4 (groups with and without a tail, units left over
    for the two-unit pass), several batches, per-tensor and per-channel; and a model whose
    weights are decoded at run time (LUT), which the two-unit kernel reads as stored."""
    from emu.variants.compression import compress_few_valued
    from tests.test_weight_formats import few_valued_int8_model

    dense = _k().Dense
    cases = [((depth,), units, per_channel) for depth, units, per_channel in
             ((16, 4, True), (17, 5, False), (18, 6, True), (19, 7, True), (3, 9, False), (64, 8, True), (2, 3, True),
              (32, 8, False), (48, 7, False))]  # per tensor and whole passes: the shared rescale's own loop
    cases.append(((3, 13), 10, True))  # three batches
    paths = []
    for i, (shape, units, per_channel) in enumerate(cases):
        model = modelgen.to_int8(modelgen.keras_model([dense(units, activation="relu")], shape, seed=200 + i),
                                 shape, seed=i, per_channel=per_channel)
        compiled = compile_graph(parse_model(model), "optimized")
        paths.append(compiled.layers[-1].path)
        inputs = [modelgen.random_input(model, seed=s) for s in range(3)]
        for x, got in zip(inputs, run_compiled_on_host_many(compiled, inputs), strict=True):
            np.testing.assert_array_equal(got[0], tflm_outputs(model, x)[0], err_msg=f"{shape} x {units}")
    assert paths == ["fully_connected/dsp"] * len(cases)
    lut = compress_few_valued(few_valued_int8_model(1, 5))
    compiled = compile_graph(parse_model(lut), "optimized", objective="flash")  # decoded at run time: rows-dsp
    assert [layer.path for layer in compiled.layers if layer.op == "FULLY_CONNECTED"] == ["fully_connected/rows-dsp"]
    inputs = [modelgen.random_input(lut, seed=s) for s in range(3)]
    for x, got in zip(inputs, run_compiled_on_host_many(compiled, inputs), strict=True):
        np.testing.assert_array_equal(got[0], tflm_outputs(lut, x)[0], err_msg="lut")
