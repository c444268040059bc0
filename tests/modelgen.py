"""Small models for tests, made with TensorFlow's converter so nobody on this project wrote them.

Every helper is deterministic for a given seed. TensorFlow is imported lazily: it takes
seconds, and tests that do not convert models should not pay for it.
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def tf():
    import tensorflow

    return tensorflow


def keras_session(seed: int = 0):
    """TensorFlow, with Keras's session cleared and its seeds set, for a model to be built in.

    Keras names layers from counters that run over the whole session, and the converter's
    choices follow those names (which pieces of a SPLIT it quantizes, say): a model built from a
    cleared session converts the same whatever the tests before it built."""
    t = tf()
    # with its garbage collection (free_memory, half a second or so): without it the previous
    # models' state still reaches the converter, and test_ops_data's SPLIT models convert otherwise
    t.keras.backend.clear_session()
    t.keras.utils.set_random_seed(seed)
    return t


def keras_model(layers, input_shape, seed: int = 0):
    """A Sequential model with random (seeded) weights; biases randomised too so they matter."""
    t = keras_session(seed)
    # A static batch of 1, as on a device: the converter then folds shape arithmetic
    # (Reshape/Flatten would otherwise become SHAPE, STRIDED_SLICE and PACK operators).
    model = t.keras.Sequential([t.keras.Input(shape=input_shape, batch_size=1), *layers])
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            layer.set_weights([w if i == 0 else rng.normal(0, 0.3, w.shape).astype(w.dtype)
                               for i, w in enumerate(weights)])
    return model


def representative(input_shape, seed: int = 0, count: int = 32, low: float = -1.0, high: float = 1.0):
    rng = np.random.default_rng(seed)

    def gen():
        for _ in range(count):
            yield [rng.uniform(low, high, (1, *input_shape)).astype(np.float32)]

    return gen


def to_float(model) -> bytes:
    converter = tf().lite.TFLiteConverter.from_keras_model(model)
    return converter.convert()


def to_int8(model, input_shape, seed: int = 0, per_channel: bool = True, low=-1.0, high=1.0) -> bytes:
    """Full-integer post-training quantization with int8 inputs and outputs."""
    t = tf()
    converter = t.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [t.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative(input_shape, seed, low=low, high=high)
    converter.target_spec.supported_ops = [t.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = t.int8
    converter.inference_output_type = t.int8
    if not per_channel:
        converter._experimental_disable_per_channel = True
    return converter.convert()


def to_float16(model) -> bytes:
    t = tf()
    converter = t.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [t.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [t.float16]
    return converter.convert()


def to_dynamic_range(model) -> bytes:
    t = tf()
    converter = t.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [t.lite.Optimize.DEFAULT]
    return converter.convert()


def random_input(model_bytes: bytes, seed: int = 0) -> list[np.ndarray]:
    """Random inputs of the right shape and type for every input of a .tflite model."""
    from emu.model.reader import parse_model

    graph = parse_model(model_bytes)
    rng = np.random.default_rng(seed)
    inputs = []
    for index in graph.inputs:
        t = graph.tensors[index]
        if t.dtype == "int8":
            inputs.append(rng.integers(-128, 128, t.shape, dtype=np.int8))
        elif t.dtype == "int16":
            inputs.append(rng.integers(-32768, 32768, t.shape, dtype=np.int16))
        else:
            inputs.append(rng.uniform(-1, 1, t.shape).astype(t.dtype))
    return inputs
