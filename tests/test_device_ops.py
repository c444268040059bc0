"""Generated models that cover every operator, run in the emulator on an M0+ (soft float),
an M4F and an M7, against the TFLM interpreter. The kernel tests check each operator's
forms on the host; this checks that the same C, compiled for each core, agrees."""

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
    assert any(layer.path.endswith("dsp") for layer in result.layers)
    reference, _ = measure(model, platform, kernels="reference")
    assert reference.kernels == "reference" and reference.output_matches_reference is True
    assert result.instructions < reference.instructions  # the DSP kernels ran, and they save work


def test_person_detect_with_optimized_kernels_matches_tflm_on_m4f():
    result, _ = measure(shared_model("person_detect.tflite"), get_platform("nucleo-l4r5zi"))
    assert result.kernels == "optimized"  # the M4F default
    assert result.output_matches_reference is True
    paths = {layer.path for layer in result.layers}
    assert {"conv_2d/1x1-dsp", "depthwise_conv_2d/3x3-dm1-dsp"} <= paths
    assert sum(layer.macs for layer in result.layers) == 6_193_664 + 964_224  # 1x1 convolutions + depthwise, by hand from the shapes
