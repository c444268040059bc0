"""The model zoo: Keras architectures as users write them, tiny enough to build in seconds.

Each entry builds a fresh Keras model with seeded random weights (no training: emu's check
is that it computes what TFLM computes, not that the model is any good). Sizes are the
smallest each architecture takes, so that converting every one to three forms and running
it twice stays within minutes on two cores. tests/zoo/harness.py checks them against TFLM,
tests/test_model_zoo.py holds emu to that for every one, and benchmarks/model_zoo.py prints
the outcomes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

VOCABULARY = 50  # token ids of the text models are drawn from [0, VOCABULARY)


def _tf():
    import tensorflow

    return tensorflow


@dataclass(frozen=True)
class ZooModel:
    name: str
    build: Callable  # () -> keras.Model, weights not yet randomised
    note: str = ""


def _layers():
    return _tf().keras.layers


def _input(shape, dtype="float32", name=None):
    # a static batch of 1, as on a device: the converter folds the shape arithmetic
    return _tf().keras.Input(shape=shape, batch_size=1, dtype=dtype, name=name)


def _model(inputs, outputs):
    return _tf().keras.Model(inputs, outputs)


def _sequential(input_shape, *layers):
    x = _input(input_shape)
    y = x
    for layer in layers:
        y = layer(y)
    return _model(x, y)


# --- small convolutional nets -----------------------------------------------------------

def conv1d_gesture():
    L = _layers()
    return _sequential((32, 3), L.Conv1D(8, 5, activation="relu"), L.MaxPooling1D(2),
                       L.Conv1D(16, 3, activation="relu"), L.GlobalAveragePooling1D(),
                       L.Dense(4, activation="softmax"))


def conv1d_kws():
    L = _layers()
    return _sequential((49, 10), L.Conv1D(16, 3, strides=2, activation="relu"), L.Conv1D(16, 3, activation="relu"),
                       L.Flatten(), L.Dense(12), L.Softmax())


def kws_conv2d():
    L = _layers()
    return _sequential((16, 10, 1), L.Conv2D(8, (5, 3), strides=2, padding="same", activation="relu"),
                       L.MaxPooling2D(2), L.Flatten(), L.Dense(12, activation="softmax"))


def ds_cnn():
    L = _layers()
    x = _input((16, 10, 1))
    y = L.ReLU()(L.BatchNormalization()(L.Conv2D(16, (5, 3), strides=2, padding="same", use_bias=False)(x)))
    for _ in range(2):
        y = L.ReLU()(L.BatchNormalization()(L.DepthwiseConv2D(3, padding="same", use_bias=False)(y)))
        y = L.ReLU()(L.BatchNormalization()(L.Conv2D(16, 1, use_bias=False)(y)))
    y = L.AveragePooling2D(pool_size=y.shape[1:3])(y)
    return _model(x, L.Dense(12, activation="softmax")(L.Flatten()(y)))


def lenet():
    L = _layers()
    return _sequential((16, 16, 1), L.Conv2D(4, 5, activation="tanh"), L.AveragePooling2D(2),
                       L.Conv2D(8, 3, activation="tanh"), L.MaxPooling2D(2), L.Flatten(),
                       L.Dense(16, activation="relu"), L.Dense(10, activation="softmax"))


def separable_cnn():
    L = _layers()
    return _sequential((16, 16, 3), L.SeparableConv2D(8, 3, activation="relu"), L.MaxPooling2D(),
                       L.SeparableConv2D(16, 3, padding="same", activation="relu"),
                       L.GlobalMaxPooling2D(), L.Dense(5))


def dilated_conv2d():
    L = _layers()
    return _sequential((16, 16, 2), L.Conv2D(8, 3, dilation_rate=2, activation="relu"),
                       L.Conv2D(8, 3, dilation_rate=(1, 2), padding="same"), L.LeakyReLU(0.1),
                       L.GlobalAveragePooling2D(), L.Dense(3))


def vww_tiny():
    L = _layers()
    return _sequential((24, 24, 3), L.ZeroPadding2D(1), L.Conv2D(8, 3, strides=2), L.BatchNormalization(),
                       L.ReLU(max_value=6.0), L.Conv2D(16, 3, strides=2, padding="same"), L.ReLU(max_value=6.0),
                       L.Cropping2D(1), L.GlobalAveragePooling2D(), L.Dense(2, activation="softmax"))


def prelu_elu_cnn():
    L = _layers()
    return _sequential((12, 12, 2), L.Conv2D(6, 3), L.PReLU(shared_axes=[1, 2]), L.Conv2D(6, 3),
                       L.ELU(), L.Flatten(), L.Dense(4))


def squeeze_excite():
    L = _layers()
    x = _input((8, 8, 8))
    y = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    s = L.GlobalAveragePooling2D()(y)
    s = L.Dense(2, activation="relu")(s)
    s = L.Reshape((1, 1, 8))(L.Dense(8, activation="sigmoid")(s))
    return _model(x, L.Multiply()([y, s]))


def resnet_blocks():
    L = _layers()
    x = _input((16, 16, 3))
    y = L.ReLU()(L.BatchNormalization()(L.Conv2D(8, 3, padding="same")(x)))
    for filters, stride in ((8, 1), (16, 2)):
        shortcut = y if stride == 1 else L.Conv2D(filters, 1, strides=stride)(y)
        z = L.ReLU()(L.BatchNormalization()(L.Conv2D(filters, 3, strides=stride, padding="same")(y)))
        z = L.BatchNormalization()(L.Conv2D(filters, 3, padding="same")(z))
        y = L.ReLU()(L.Add()([shortcut, z]))
    return _model(x, L.Dense(10)(L.GlobalAveragePooling2D()(y)))


# --- keras.applications at their smallest ------------------------------------------------

def mobilenet_v1():
    return _tf().keras.applications.MobileNet(input_shape=(32, 32, 3), alpha=0.25, weights=None, classes=4)


def mobilenet_v2():
    return _tf().keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, weights=None, classes=4)


def mobilenet_v3_small():
    return _tf().keras.applications.MobileNetV3Small(input_shape=(32, 32, 3), alpha=0.75, weights=None, classes=4,
                                                     include_preprocessing=False)


def mobilenet_v3_small_minimalistic():
    return _tf().keras.applications.MobileNetV3Small(input_shape=(32, 32, 3), alpha=0.75, weights=None, classes=4,
                                                     minimalistic=True, include_preprocessing=False)


# --- encoders, decoders, segmentation ----------------------------------------------------

def unet():
    L = _layers()
    x = _input((16, 16, 1))
    d1 = L.Conv2D(4, 3, padding="same", activation="relu")(x)
    d2 = L.Conv2D(8, 3, padding="same", activation="relu")(L.MaxPooling2D()(d1))
    b = L.Conv2D(8, 3, padding="same", activation="relu")(L.MaxPooling2D()(d2))
    u2 = L.Concatenate()([L.UpSampling2D()(b), d2])
    u2 = L.Conv2D(8, 3, padding="same", activation="relu")(u2)
    u1 = L.Concatenate()([L.UpSampling2D()(u2), d1])
    return _model(x, L.Conv2D(2, 1, activation="sigmoid")(u1))


def unet_transposed():
    # the same U-Net upsampling with learned Conv2DTranspose layers instead of UpSampling2D
    L = _layers()
    x = _input((16, 16, 1))
    d1 = L.Conv2D(4, 3, padding="same", activation="relu")(x)
    d2 = L.Conv2D(8, 3, padding="same", activation="relu")(L.MaxPooling2D()(d1))
    b = L.Conv2D(8, 3, padding="same", activation="relu")(L.MaxPooling2D()(d2))
    u2 = L.Concatenate()([L.Conv2DTranspose(8, 2, strides=2)(b), d2])
    u2 = L.Conv2D(8, 3, padding="same", activation="relu")(u2)
    u1 = L.Concatenate()([L.Conv2DTranspose(4, 2, strides=2)(u2), d1])
    return _model(x, L.Conv2D(2, 1, activation="sigmoid")(u1))


def upsample_bilinear():
    L = _layers()
    return _sequential((8, 8, 2), L.Conv2D(4, 3, padding="same"), L.UpSampling2D(interpolation="bilinear"),
                       L.Conv2D(1, 3, padding="same"))


def conv_autoencoder():
    L = _layers()
    return _sequential((16, 16, 1), L.Conv2D(8, 3, strides=2, padding="same", activation="relu"),
                       L.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
                       L.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu"),
                       L.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid"))


def dense_autoencoder():
    L = _layers()
    return _sequential((64,), L.Dense(32, activation="relu"), L.Dense(8, activation="relu"),
                       L.Dense(32, activation="relu"), L.Dense(64))


# --- recurrent ------------------------------------------------------------------------------

def gru():
    return _sequential((10, 8), _layers().GRU(12), _layers().Dense(3))


def gru_unrolled():
    return _sequential((10, 8), _layers().GRU(12, unroll=True), _layers().Dense(3))


def lstm():
    return _sequential((10, 8), _layers().LSTM(12), _layers().Dense(3))


def lstm_unrolled():
    return _sequential((10, 8), _layers().LSTM(12, unroll=True), _layers().Dense(3))


def lstm_sequence():
    return _sequential((10, 8), _layers().LSTM(8, return_sequences=True), _layers().Dense(2))


def simple_rnn():
    return _sequential((10, 8), _layers().SimpleRNN(12, unroll=True), _layers().Dense(3))


def tcn_dilated():
    L = _layers()
    x = _input((32, 4))
    y = L.Conv1D(8, 1)(x)
    for rate in (1, 2, 4):
        z = L.Conv1D(8, 3, padding="causal", dilation_rate=rate, activation="relu")(y)
        y = L.Add()([y, z])
    y = L.Lambda(lambda t: t[:, -1, :])(y)
    return _model(x, L.Dense(2)(y))


# --- text, attention, normalisation --------------------------------------------------------

def text_embedding_gap():
    L = _layers()
    x = _input((12,), dtype="int32")
    y = L.GlobalAveragePooling1D()(L.Embedding(VOCABULARY, 8)(x))
    return _model(x, L.Dense(2, activation="softmax")(L.Dense(8, activation="relu")(y)))


def text_conv1d():
    L = _layers()
    x = _input((16,), dtype="int32")
    y = L.Conv1D(8, 3, activation="relu")(L.Embedding(VOCABULARY, 8)(x))
    return _model(x, L.Dense(3)(L.GlobalMaxPooling1D()(y)))


def attention():
    L = _layers()
    x = _input((8, 16))
    y = L.MultiHeadAttention(num_heads=2, key_dim=8)(x, x)
    return _model(x, L.Dense(4)(L.GlobalAveragePooling1D()(y)))


def transformer_block():
    L = _layers()
    x = _input((8, 16))
    y = L.LayerNormalization()(L.Add()([x, L.MultiHeadAttention(num_heads=2, key_dim=8)(x, x)]))
    f = L.Dense(16)(L.Dense(32, activation="gelu")(y))
    y = L.LayerNormalization()(L.Add()([y, f]))
    return _model(x, L.Dense(3)(L.GlobalAveragePooling1D()(y)))


def layer_norm_mlp():
    L = _layers()
    return _sequential((24,), L.Dense(16), L.LayerNormalization(), L.Activation("relu"), L.Dense(4))


def normalization_mlp():
    L = _layers()
    norm = L.Normalization(mean=np.linspace(-0.5, 0.5, 6), variance=np.linspace(0.5, 2.0, 6))
    return _sequential((6,), norm, L.Dense(16, activation="relu"), L.Dense(1))


# --- dense nets -----------------------------------------------------------------------------

def mlp_classifier():
    L = _layers()
    return _sequential((20,), L.Dense(32, activation="relu"), L.Dropout(0.2), L.Dense(16, activation="relu"),
                       L.Dense(5, activation="softmax"))


def regression():
    L = _layers()
    return _sequential((8,), L.Dense(16, activation="tanh"), L.Dense(1))


def activations_mix():
    L = _layers()
    return _sequential((16,), L.Dense(16, activation="swish"), L.Dense(16, activation="elu"),
                       L.Dense(16, activation="hard_sigmoid"), L.Dense(16, activation="softplus"), L.Dense(2))


def two_outputs():
    L = _layers()
    x = _input((12,))
    trunk = L.Dense(16, activation="relu")(x)
    return _model(x, [L.Dense(3, activation="softmax")(trunk), L.Dense(1)(trunk)])


def two_inputs():
    L = _layers()
    a, b = _input((10,), name="in0"), _input((4,), name="in1")
    y = L.Concatenate()([L.Dense(8, activation="relu")(a), L.Dense(8, activation="relu")(b)])
    return _model([a, b], L.Dense(2)(y))


def anomaly_autoencoder():
    # the shape of MLPerf Tiny's ToyADMOS autoencoder, 640 -> 8 -> 640, scaled down
    L = _layers()
    layers = []
    for units in (32, 32, 8, 32, 32):
        layers += [L.Dense(units), L.BatchNormalization(), L.ReLU()]
    return _sequential((64,), *layers, L.Dense(64))


ZOO = {f.__name__: ZooModel(f.__name__, f) for f in (
    conv1d_gesture, conv1d_kws, kws_conv2d, ds_cnn, lenet, separable_cnn, dilated_conv2d, vww_tiny,
    prelu_elu_cnn, squeeze_excite, resnet_blocks,
    mobilenet_v1, mobilenet_v2, mobilenet_v3_small, mobilenet_v3_small_minimalistic,
    unet, unet_transposed, upsample_bilinear, conv_autoencoder, dense_autoencoder,
    gru, gru_unrolled, lstm, lstm_unrolled, lstm_sequence, simple_rnn, tcn_dilated,
    text_embedding_gap, text_conv1d, attention, transformer_block, layer_norm_mlp, normalization_mlp,
    mlp_classifier, regression, activations_mix, two_outputs, two_inputs, anomaly_autoencoder,
)}


def keras_model(name: str, seed: int = 0):
    """The zoo's model `name` with seeded random weights: every weight drawn anew, so biases,
    batch-norm statistics and embeddings all matter (batch-norm variances kept positive)."""
    t = _tf()
    t.keras.utils.set_random_seed(seed)
    model = ZOO[name].build()
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        for w in layer.weights:
            if "variance" in w.path:
                w.assign(rng.uniform(0.5, 1.5, w.shape).astype(w.dtype))
            elif "mean" in w.path or "bias" in w.path or "beta" in w.path:
                w.assign(rng.normal(0, 0.3, w.shape).astype(w.dtype))
    return model


def sample_inputs(model, count: int, seed: int = 0) -> list[list[np.ndarray]]:
    """`count` sets of float (or, for token inputs, int32) inputs of the model's shapes: the
    calibration data of the quantized forms and, quantized to the input's type, the test inputs."""
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(count):
        one = []
        for spec in model.inputs:
            shape = tuple(1 if d is None else d for d in spec.shape)  # keras.applications leave the batch open
            if "int" in str(spec.dtype):
                one.append(rng.integers(0, VOCABULARY, shape, dtype=np.int32))
            else:
                one.append(rng.uniform(-1.0, 1.0, shape).astype(np.float32))
        samples.append(one)
    return samples


KINDS = ("int8", "float32", "int16x8")


def convert(model, kind: str, seed: int = 0) -> bytes:
    """The model as .tflite: float32, int8 (full integer, int8 inputs and outputs) or int16x8
    (16-bit activations, 8-bit weights, int16 inputs and outputs)."""
    t = _tf()
    converter = t.lite.TFLiteConverter.from_keras_model(model)
    if kind != "float32":
        calibration = sample_inputs(model, 16, seed)
        converter.optimizations = [t.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: iter(calibration)
        ops = t.lite.OpsSet
        converter.target_spec.supported_ops = [ops.TFLITE_BUILTINS_INT8 if kind == "int8" else
                                               ops.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
        io_type = t.int8 if kind == "int8" else t.int16
        converter.inference_input_type = io_type
        converter.inference_output_type = io_type
    return converter.convert()
