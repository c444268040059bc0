"""Generated models that cover every operator, run in the emulator on an M0+ (soft float),
an M4F, an M7, an M33 and the M55, against the TFLM interpreter. The kernel tests check each
operator's forms on the host; this checks that the same C, compiled for each core, agrees.
The Helium kernels run only on the M55, so their forms are checked here."""

import pytest

from emu.platforms import get_platform
from emu.results.measure import measure
from tests import modelgen
from tests.conftest import needs_arm_gcc, shared_model

pytestmark = needs_arm_gcc

# Cortex-M0+, M4F, M7, M33, M55: the last four run the optimized kernels by default
BOARDS = ["rp2040-pico", "nucleo-l4r5zi", "disco-f746ng", "ek-ra6m4", "alif-e7-appkit"]


def image_model():
    """CONV_2D (SAME, stride 2, RELU6; and 1x1), DEPTHWISE_CONV_2D (VALID, multiplier 2,
    RELU), AVERAGE_POOL_2D, MAX_POOL_2D, RESHAPE, FULLY_CONNECTED, SOFTMAX."""
    tf = modelgen.tf()
    L = tf.keras.layers
    return modelgen.keras_model([
        L.Conv2D(8, 3, strides=2, padding="same", activation="relu6"),
        L.DepthwiseConv2D(3, depth_multiplier=2, activation="relu"),
        L.AveragePooling2D(2),
        L.Conv2D(4, 1),
        L.MaxPooling2D(2),
        L.Reshape((4,)),
        L.Dense(5),
        L.Softmax(),
    ], (12, 12, 3), seed=3), (12, 12, 3)


def elementwise_model():
    """ADD, MUL, CONCATENATION, PAD, MEAN, RELU, RELU6, LOGISTIC, TANH, RESHAPE. The ReLUs
    stand on their own: one reads the model input, the other a tensor that is also added."""
    tf = modelgen.tf()
    L = tf.keras.layers
    tf.keras.utils.set_random_seed(5)
    x = tf.keras.Input((6, 6, 4), batch_size=1)
    a = L.Conv2D(4, 1)(x)
    b = L.ReLU(max_value=6.0)(x)
    s = L.Add()([a, b])
    m = L.Multiply()([s, x])
    c = L.Concatenate()([m, L.ReLU()(a)])
    p = L.ZeroPadding2D(1)(c)
    mean = L.GlobalAveragePooling2D()(p)
    pairs = L.Reshape((4, 2))(mean)  # 8 channels as 4 x 2: a reshape nothing can fold away
    out = L.Concatenate()([L.Activation("sigmoid")(pairs), L.Activation("tanh")(pairs)])
    return tf.keras.Model(x, out), (6, 6, 4)


FORMS = {
    "int8-per-channel": lambda m, shape: modelgen.to_int8(m, shape),
    "int8-per-tensor": lambda m, shape: modelgen.to_int8(m, shape, per_channel=False),
    "float32": lambda m, shape: modelgen.to_float(m),
    # float16 weights: TFLM refuses them, so the reference is LiteRT
    "float16": lambda m, shape: modelgen.to_float16(m),
}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("device-ops")
    paths = {}
    for name, make in (("image", image_model), ("elementwise", elementwise_model)):
        model, shape = make()
        for form, convert in FORMS.items():
            paths[name, form] = folder / f"{name}_{form}.tflite"
            paths[name, form].write_bytes(convert(model, shape))
    return paths


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("name", ["image", "elementwise"])
def test_generated_model_matches_tflm_on_the_device(models, name, form, board):
    result, _ = measure(models[name, form], get_platform(board), variant=form)
    assert result.output_matches_reference is True, f"{name} {form} on {board}"
    assert result.reference == ("litert" if form == "float16" else "tflm")


def test_the_models_cover_every_operator(models):
    from emu.model.reader import read_model

    ops = {op.op for path in models.values() for op in read_model(path).operators}
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "RESHAPE", "FULLY_CONNECTED",
            "SOFTMAX", "ADD", "MUL", "CONCATENATION", "PAD", "MEAN", "LOGISTIC", "TANH", "RELU", "RELU6"} <= ops


# ---- the optimized kernels' DSP instructions, on the emulated cores that have them -----------

DSP_BOARDS = ["nucleo-l4r5zi", "disco-f746ng", "ek-ra6m4", "alif-e7-appkit"]  # Cortex-M4F, M7, M33, M55


@pytest.mark.parametrize("board", DSP_BOARDS)
@pytest.mark.parametrize("name", ["hello_world_int8", "micro_speech_quantized"])
def test_shared_models_with_optimized_kernels_match_tflm(name, board):
    model, platform = shared_model(f"{name}.tflite"), get_platform(board)
    result, _ = measure(model, platform, kernels="optimized")
    assert result.kernels == "optimized"
    assert result.output_matches_reference is True, f"{name} on {board}"
    fast = "mve" if platform.mve else "dsp"  # the M55 takes the Helium kernels where they exist
    assert any(layer.path.endswith(fast) for layer in result.layers)
    reference, _ = measure(model, platform, kernels="reference")
    assert reference.kernels == "reference" and reference.output_matches_reference is True
    assert result.instructions < reference.instructions  # the fast kernels ran, and they save work


def test_person_detect_with_optimized_kernels_matches_tflm_on_m4f():
    result, _ = measure(shared_model("person_detect.tflite"), get_platform("nucleo-l4r5zi"))
    assert result.kernels == "optimized"  # the M4F default
    assert result.output_matches_reference is True
    paths = {layer.path for layer in result.layers}
    assert {"conv_2d/1x1-dsp", "depthwise_conv_2d/3x3-dm1-dsp"} <= paths
    # 1x1 convolutions + depthwise, by hand from the shapes
    assert sum(layer.macs for layer in result.layers) == 6_193_664 + 964_224


@pytest.mark.parametrize("board", ["nucleo-l4r5zi", "disco-f746ng", "alif-e7-appkit"])
def test_vww_with_pruned_channels_keeps_the_optimized_kernels_and_matches_tflm(board):
    """vww_96_int8's pruned channels (all-zero filters, biases near 2^31) used to send two dense
    1x1 layers (operators 10 and 12) to the portable kernel, and seven more whose filters they
    made sparse; now every convolution runs an optimized kernel, which skips those channels."""
    result, _ = measure(shared_model("vww_96_int8.tflite"), get_platform(board))
    assert result.output_matches_reference is True, board
    convolutions = [layer for layer in result.layers if layer.op == "CONV_2D"]
    assert len(convolutions) == 14
    assert not [layer.path for layer in convolutions if layer.path.endswith("/reference")], board
    assert not any(layer.fallback for layer in result.layers)


def depthwise_3x3_model():
    """DEPTHWISE_CONV_2D 3x3 with depth multiplier 1, the nine-tap DSP kernel's case, with channel
    counts that are not multiples of four: 13 channels, stride 2, SAME, RELU6; 13 channels,
    dilation 2, SAME; then, after a 1x1 CONV_2D to 6 channels, VALID with RELU."""
    L = modelgen.tf().keras.layers
    return modelgen.keras_model([
        L.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6"),
        L.DepthwiseConv2D(3, dilation_rate=2, padding="same"),
        L.Conv2D(6, 1),
        L.DepthwiseConv2D(3, activation="relu"),
    ], (13, 11, 13), seed=9), (13, 11, 13)


@pytest.mark.parametrize("board", ["nucleo-l4r5zi", "disco-f746ng", "ek-ra6m4"])
@pytest.mark.parametrize("per_channel", [True, False])
def test_depthwise_3x3_kernel_matches_tflm_on_the_dsp_cores(tmp_path, board, per_channel):
    """The nine taps are written in assembly, which the host tests do not run: checked here."""
    model, shape = depthwise_3x3_model()
    path = tmp_path / "dw3x3.tflite"
    path.write_bytes(modelgen.to_int8(model, shape, per_channel=per_channel))
    result, _ = measure(path, get_platform(board), kernels="optimized")
    assert result.output_matches_reference is True, board
    paths = [layer.path for layer in result.layers if layer.op == "DEPTHWISE_CONV_2D"]
    assert paths == ["depthwise_conv_2d/3x3-dm1-dsp"] * 3, paths


def depthwise_3x3_pairs_model():
    """The nine-tap kernel's two-pixel passes (layers with the full int8 range): odd pixel counts,
    so the last pixel passes alone; odd widths, so pairs span two rows; SAME padding, stride 2
    (VALID), 13 channels (three groups of four and one channel left) and 8 (two groups)."""
    L = modelgen.tf().keras.layers
    return modelgen.keras_model([
        L.DepthwiseConv2D(3, padding="same"),
        L.DepthwiseConv2D(3, strides=2, activation="relu"),
        L.Conv2D(8, 1),
        L.DepthwiseConv2D(3, padding="same", activation="relu"),
    ], (11, 7, 13), seed=5), (11, 7, 13)


@pytest.mark.parametrize("board", ["nucleo-l4r5zi", "disco-f746ng", "ek-ra6m4"])
@pytest.mark.parametrize("per_channel", [True, False])
def test_depthwise_3x3_pairs_match_tflm_on_the_dsp_cores(tmp_path, board, per_channel):
    """Two pixels per pass are one assembly function, which the host tests do not run."""
    model, shape = depthwise_3x3_pairs_model()
    path = tmp_path / "dw3x3_pairs.tflite"
    path.write_bytes(modelgen.to_int8(model, shape, per_channel=per_channel))
    result, _ = measure(path, get_platform(board), kernels="optimized")
    assert result.output_matches_reference is True, board
    layers = [layer for layer in result.layers if layer.op == "DEPTHWISE_CONV_2D"]
    assert [layer.path for layer in layers] == ["depthwise_conv_2d/3x3-dm1-dsp"] * 3
    # 11 x 7, 5 x 3 and 5 x 3 output pixels (all odd counts), nine MACs per output
    assert [layer.macs for layer in layers] == [77 * 13 * 9, 15 * 13 * 9, 15 * 8 * 9]


def convolution_model():
    """CONV_2D shapes for the DSP kernel's two-channel, three-pixel passes: a 3-channel 3x3 first
    layer (rows padded to 28 bytes), windows that end in 1, 2 and 3 bytes past a whole word, an
    odd and an even number of words per window, odd channel counts (a last channel alone) and
    pixel counts that are not multiples of three; 1x1 and im2col, each activation."""
    L = modelgen.tf().keras.layers
    return modelgen.keras_model([
        L.Conv2D(8, 3, strides=2, padding="same", activation="relu6"),
        L.Conv2D(7, 3, padding="same", activation="relu"),
        L.Conv2D(6, 1),
        L.Conv2D(9, (2, 3), strides=2, activation="relu"),
        L.Conv2D(10, 1, activation="relu6"),
        L.Conv2D(5, (1, 2)),
    ], (13, 11, 3), seed=11), (13, 11, 3)


@pytest.mark.parametrize("board", ["nucleo-l4r5zi", "disco-f746ng", "ek-ra6m4"])
@pytest.mark.parametrize("per_channel", [True, False])
def test_convolution_kernels_match_tflm_on_the_dsp_cores(tmp_path, board, per_channel):
    """The two-channel inner loop is assembly, in one order for the M4 and M33 and another for
    the M7, which the host tests do not run: checked here."""
    model, shape = convolution_model()
    path = tmp_path / "conv.tflite"
    path.write_bytes(modelgen.to_int8(model, shape, per_channel=per_channel))
    result, _ = measure(path, get_platform(board), kernels="optimized")
    assert result.output_matches_reference is True, board
    paths = [layer.path for layer in result.layers if layer.op == "CONV_2D"]
    assert paths == ["conv_2d/im2col-dsp", "conv_2d/im2col-dsp", "conv_2d/1x1-dsp", "conv_2d/im2col-dsp",
                     "conv_2d/1x1-dsp", "conv_2d/im2col-dsp"], paths


def fully_connected_model():
    """Chained FULLY_CONNECTED layers for the four-unit DSP kernel's loop, which takes four
    steps of four inputs a pass after one step and one pair of steps as the depth needs them:
    depths 29 (16 + 8 + 4 + a tail of 1), 12 (8 + 4), 22 (16 + 4 + 2), 8, 43 (32 + 8 + 3)
    and 32 (whole passes only, the loop's own copy); unit counts of each remainder mod 4 (12,
    22, 8, 43, 32, 5: the last units % 4 through the row pass), with and without RELU. Per
    tensor, each layer's units share one rescale (the SSAT form), per channel they do not."""
    L = modelgen.tf().keras.layers
    return modelgen.keras_model([
        L.Dense(12, activation="relu"),
        L.Dense(22),
        L.Dense(8, activation="relu"),
        L.Dense(43),
        L.Dense(32, activation="relu"),
        L.Dense(5, activation="relu"),
    ], (29,), seed=14), (29,)


@pytest.mark.parametrize("board", ["nucleo-l4r5zi", "disco-f746ng", "ek-ra6m4"])
@pytest.mark.parametrize("per_channel", [True, False])
def test_fully_connected_kernel_matches_tflm_on_the_dsp_cores(tmp_path, board, per_channel):
    """The four-unit inner loop is assembly, which the host tests do not run: checked here, in
    each form the compiler chooses (per tensor every layer takes the shared SSAT rescale, per
    channel none does)."""
    from emu.compile.ops.fully_connected import lower, optimize
    from emu.model.reader import parse_model

    model, shape = fully_connected_model()
    path = tmp_path / "fc.tflite"
    path.write_bytes(modelgen.to_int8(model, shape, per_channel=per_channel))
    graph = parse_model(path.read_bytes())
    forms = [optimize(op, graph, lower(op, graph)).params["shared_rescale"] for op in graph.operators]
    assert forms == [0 if per_channel else 1] * 6, forms
    result, _ = measure(path, get_platform(board), kernels="optimized")
    assert result.output_matches_reference is True, board
    paths = [layer.path for layer in result.layers if layer.op == "FULLY_CONNECTED"]
    assert paths == ["fully_connected/dsp"] * 6, paths


# ---- the Helium (MVE) kernels, which only the M55 runs ---------------------------------------

def helium_models():
    """Every form of the vector kernels, in three models: 1x1 convolutions whose input depth is
    below a vector of 16 bytes (the outer-product form) and past it (across the vector, with a
    predicated tail), strided; other filters (2x2 strided VALID, 2x3 dilated SAME); depthwise layers
    with multiplier 1 (SAME padding with stride 2, dilation, VALID), 4 and 8, the last on one
    input channel (a first layer), with RELU and RELU6; ADD, MUL with one input broadcast along
    the channels, max and average pooling (windows clipped at the border, channels fewer than
    the lanes) and fully connected layers whose depth and units are not whole vectors."""
    L = modelgen.tf().keras.layers
    deep = modelgen.keras_model([
        L.Conv2D(20, 1),
        L.DepthwiseConv2D(3, strides=2, padding="same", activation="relu"),
        L.Conv2D(36, 1, activation="relu6"),
        L.DepthwiseConv2D(3, dilation_rate=2, padding="same"),
        L.Conv2D(8, 1, strides=2),
        L.DepthwiseConv2D(2, depth_multiplier=4),
        L.Conv2D(12, 2, strides=2),
    ], (9, 11, 13), seed=11)
    first = modelgen.keras_model([
        L.DepthwiseConv2D((3, 5), strides=2, padding="same", depth_multiplier=8, activation="relu"),
        L.Conv2D(16, 1),
        L.DepthwiseConv2D(3),
        L.Conv2D(8, (2, 3), padding="same", dilation_rate=2, activation="relu6"),
    ], (10, 9, 1), seed=12)
    tf = modelgen.tf()
    tf.keras.utils.set_random_seed(13)
    x = tf.keras.Input((6, 7, 12), batch_size=1)
    total = L.Add()([L.Conv2D(8, 1)(x), L.Conv2D(8, 1)(x)])
    scaled = L.Multiply()([total, L.Conv2D(1, 1)(x)])  # one channel broadcast along the others
    pooled = L.AveragePooling2D(3, strides=1, padding="same")(L.MaxPooling2D(2, padding="same")(scaled))
    dense = L.Dense(20)(L.Dense(6, activation="relu")(L.Flatten()(pooled)))
    mixed = tf.keras.Model(x, dense)
    return {"deep": (deep, (9, 11, 13)), "first": (first, (10, 9, 1)), "mixed": (mixed, (6, 7, 12))}


HELIUM_PATHS = {"conv_2d/1x1-mve", "conv_2d/1x1-outer-mve", "conv_2d/im2col-mve",
                "depthwise_conv_2d/3x3-dm1-mve", "depthwise_conv_2d/3x3-dm1-x8-mve", "depthwise_conv_2d/2x2-dm4-mve",
                "depthwise_conv_2d/3x5-dm8-mve",
                "add/mve", "mul/mve",
                "max_pool_2d/mve", "average_pool_2d/mve", "fully_connected/mve"}


@pytest.fixture(scope="module")
def helium(tmp_path_factory):
    folder = tmp_path_factory.mktemp("helium")
    paths = {}
    for name, (model, shape) in helium_models().items():
        for per_channel in (True, False):
            path = paths[name, per_channel] = folder / f"{name}_{'pc' if per_channel else 'pt'}.tflite"
            path.write_bytes(modelgen.to_int8(model, shape, per_channel=per_channel))
    return paths


@pytest.mark.parametrize("per_channel", [True, False], ids=["per-channel", "per-tensor"])
@pytest.mark.parametrize("name", ["deep", "first", "mixed"])
def test_helium_kernels_match_tflm_on_the_m55(helium, name, per_channel):
    path, platform = helium[name, per_channel], get_platform("alif-e7-appkit")
    paths = set()
    for seed in (None, 1):
        inputs = None if seed is None else modelgen.random_input(path.read_bytes(), seed=seed)
        result, _ = measure(path, platform, inputs=inputs)
        assert result.output_matches_reference is True, f"{name} ({'per-channel' if per_channel else 'per-tensor'})"
        paths |= {layer.path for layer in result.layers}
    # Every layer ran a vector kernel but the MUL's one-channel convolution (no group of four).
    assert {p for p in paths if not p.endswith("mve")} <= {"", "conv_2d/1x1-dsp"}, paths


def test_the_helium_models_cover_every_vector_form(helium):
    from emu.compile.codegen import compile_graph
    from emu.model.reader import read_model

    paths = {layer.path for key in (("deep", True), ("first", True), ("mixed", True))
             for layer in compile_graph(read_model(helium[key]), "optimized", mve=True).layers}
    assert HELIUM_PATHS <= paths, paths


def arranged_helium_model():
    """The forms whose filter and rescale the compiler arranges into one block
    (depthwise_3x3_mve.c, conv_2d_mve.c's arranged forms): 3x3 depthwise layers on channels in
    eights, SAME with stride 2 (the padded rows' ring, with RELU6), dilated (a ring of five
    rows), VALID (no padding); 1x1 layers whose depth is whole vectors and not (the tail pass
    and its read-ahead), strided; a 3x3 window of three channels (a 27-byte window: one pass and
    a tail) with SAME padding and a 2x2 window with stride."""
    L = modelgen.tf().keras.layers
    return modelgen.keras_model([
        L.Conv2D(16, 3, strides=2, padding="same", activation="relu"),
        L.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6"),
        L.Conv2D(24, 1),
        L.DepthwiseConv2D(3, dilation_rate=2, padding="same"),
        L.Conv2D(20, 1, activation="relu"),
        L.Conv2D(32, 1, strides=2),
        L.DepthwiseConv2D(3),
        L.Conv2D(8, 2, strides=2, padding="same"),
    ], (17, 19, 3), seed=14), (17, 19, 3)


@pytest.mark.parametrize("per_channel", [True, False], ids=["per-channel", "per-tensor"])
def test_arranged_helium_forms_match_tflm_on_the_m55(tmp_path, per_channel):
    """Their loops are assembly, which only the M55 runs: checked against TFLM here."""
    model, shape = arranged_helium_model()
    path = tmp_path / "arranged.tflite"
    path.write_bytes(modelgen.to_int8(model, shape, per_channel=per_channel))
    platform = get_platform("alif-e7-appkit")
    for seed in (None, 1, 2):
        inputs = None if seed is None else modelgen.random_input(path.read_bytes(), seed=seed)
        result, _ = measure(path, platform, inputs=inputs)
        assert result.output_matches_reference is True, seed
    paths = [layer.path for layer in result.layers]
    assert paths == ["conv_2d/im2col-mve", "depthwise_conv_2d/3x3-dm1-x8-mve", "conv_2d/1x1-mve",
                     "depthwise_conv_2d/3x3-dm1-x8-mve", "conv_2d/1x1-mve", "conv_2d/1x1-mve",
                     "depthwise_conv_2d/3x3-dm1-x8-mve", "conv_2d/im2col-mve"], paths


def test_person_detect_with_helium_kernels_matches_tflm_on_the_m55():
    result, _ = measure(shared_model("person_detect.tflite"), get_platform("alif-e7-appkit"))
    assert result.kernels == "optimized" and result.output_matches_reference is True
    paths = {layer.path for layer in result.layers}
    assert {"conv_2d/1x1-mve", "conv_2d/1x1-outer-mve", "depthwise_conv_2d/3x3-dm1-x8-mve",
            "depthwise_conv_2d/3x3-dm8-mve"} <= paths
