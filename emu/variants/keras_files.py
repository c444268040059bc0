"""Reading a user's Keras model file into a tf_keras model (what tfmot can wrap).

A .keras file saved by Keras 3 cannot be read by tf_keras; emu reads it with Keras 3 and
rebuilds the same layers in tf_keras, copying the weights. That works for models whose
layers form one chain (Sequential, or functional without branches), which is the shape of
nearly every microcontroller model; the rebuilt model must give the same outputs.
"""

from __future__ import annotations

import inspect
import json
import zipfile
from pathlib import Path

import numpy as np

from emu.errors import EmuError
from emu.variants.keras2 import keras
from emu.variants.messages import first_line

# Training-only settings; the weights are copied, so the rebuilt layers do not need them.
TRAINING_ONLY_SUFFIXES = ("_initializer", "_regularizer", "_constraint")


def load_keras_model(path: Path):
    if not path.is_file():
        raise EmuError(f"model file not found: {path}")
    if path.suffix not in (".keras", ".h5"):
        raise EmuError(f"{path} is not a Keras model file (.keras or .h5)")
    if path.suffix == ".keras" and saved_by_keras3(path):
        return rebuilt_from_keras3(path)
    try:
        return keras().models.load_model(path, compile=False)
    except Exception as e:  # Keras raises many types for a file it cannot read
        raise EmuError(f"cannot load {path}: {first_line(e)}") from None


def saved_by_keras3(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            version = json.loads(archive.read("metadata.json")).get("keras_version", "")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise EmuError(f"cannot read {path} as a .keras file: {e}") from None
    return version.startswith("3.")


def rebuilt_from_keras3(path: Path):
    import keras as keras3

    try:
        original = keras3.saving.load_model(path, compile=False)
    except Exception as e:  # Keras raises many types for a file it cannot read
        raise EmuError(f"cannot load {path}: {first_line(e)}") from None
    k = keras()
    layers = [layer for layer in original.layers if type(layer).__name__ != "InputLayer"]
    try:
        rebuilt = k.Sequential([k.Input(shape=original.inputs[0].shape[1:]), *map(rebuilt_layer, layers)],
                               name=original.name)
        for old, new in zip(layers, rebuilt.layers):
            new.set_weights(old.get_weights())
    except (ValueError, TypeError) as e:
        raise EmuError(f"cannot rebuild {path} for tfmot: {first_line(e)}") from None
    if not same_outputs(original, rebuilt):
        raise EmuError(f"cannot rebuild {path} for tfmot: emu reads models whose layers form one chain "
                       f"(Sequential, or functional without branches)")
    return rebuilt


def rebuilt_layer(layer):
    name = type(layer).__name__
    cls = getattr(keras().layers, name, None)
    if cls is None:
        raise TypeError(f"layer {layer.name} is a {name}, which tf_keras does not have")
    return cls.from_config(portable_config(layer.get_config(), cls))


def portable_config(config: dict, cls) -> dict:
    """The options a tf_keras layer of this class takes, from a Keras 3 layer's config."""
    accepted = set(inspect.signature(cls.__init__).parameters) | {"name", "trainable", "dtype"}
    portable = {k: v for k, v in config.items()
                if k in accepted and not k.endswith(TRAINING_ONLY_SUFFIXES)}
    if isinstance(portable.get("dtype"), dict):  # Keras 3 stores a dtype policy object
        portable["dtype"] = portable["dtype"].get("config", {}).get("name", "float32")
    return portable


def same_outputs(original, rebuilt) -> bool:
    shape = tuple(4 if size is None else size for size in original.inputs[0].shape)
    sample = np.random.default_rng(0).uniform(0.0, 1.0, shape).astype(np.float32)
    want = np.asarray(original(sample, training=False))
    got = rebuilt(sample, training=False).numpy()
    return want.shape == got.shape and np.allclose(got, want, rtol=1e-4, atol=1e-5)
