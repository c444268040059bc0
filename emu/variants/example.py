"""The default job's example model: a digits CNN trained here on data that ships in a package.

Training is deterministic for a given seed (seeded initialisation, shuffling and op
determinism), so the same seed gives the same .tflite bytes on every run.
"""

from __future__ import annotations

import numpy as np

from emu.console import import_tensorflow, native_output_silenced

# The digits data is also the built-in `digits` task of `emu variants`; the demo trains its
# own Keras 3 model on the same split.
from emu.variants.builtin import digits_data  # noqa: F401  (re-exported beside the example model)
from emu.variants.data import Dataset


def _tensorflow(seed: int):
    tf = import_tensorflow()
    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    return tf


def digits_model(data: Dataset, seed: int = 0, epochs: int = 12):
    """A small CNN: conv, pool, conv, dense: the shape of a typical MCU image classifier."""
    tf = _tensorflow(seed)
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(8, 8, 1)),
        tf.keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        tf.keras.layers.MaxPooling2D(2),
        tf.keras.layers.Conv2D(16, 3, activation="relu"),
        # A fixed-size Reshape, not Flatten: Flatten converts to shape arithmetic
        # (SHAPE, STRIDED_SLICE, PACK) that a microcontroller should not run.
        tf.keras.layers.Reshape((2 * 2 * 16,)),
        tf.keras.layers.Dense(10),
        tf.keras.layers.Softmax(),
    ])
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(data.x_train, data.y_train, epochs=epochs, batch_size=64, verbose=0, shuffle=True)
    return model



def converter_for(model):
    """A converter for batch size 1: with every shape static, the converter folds the shape
    arithmetic that a variable batch needs (SHAPE, STRIDED_SLICE, PACK) into constants."""
    tf = import_tensorflow()

    inputs = tf.keras.Input(shape=model.inputs[0].shape[1:], batch_size=1)
    x = inputs
    for layer in model.layers:  # the trained layers themselves: weights are shared, not copied
        x = layer(x)
    return tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(inputs, x))


def convert_float32(model) -> bytes:
    with native_output_silenced():
        return converter_for(model).convert()


def convert_int8(model, calibration: np.ndarray) -> bytes:
    """Full-integer post-training quantization, int8 inputs and outputs."""
    tf = import_tensorflow()

    def representative():
        for x in calibration[:200]:
            yield [x[None].astype(np.float32)]

    converter = converter_for(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    with native_output_silenced():
        return converter.convert()
