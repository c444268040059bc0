"""Reading a user's Keras model file into a tf_keras model (what tfmot can wrap).

A .keras file saved by Keras 3 cannot be read by tf_keras; emu reads it with Keras 3 and
rebuilds the same layers in tf_keras, copying the weights: a Sequential model as a
Sequential one, a functional model (branches, skip connections, ADD, concatenation) by
calling each rebuilt layer on the rebuilt tensors its config names. The rebuilt model must
give the same outputs.
"""

from __future__ import annotations

import inspect
import json
import zipfile
from pathlib import Path

import numpy as np

from emu.errors import EmuError
from emu.variants.keras2 import keras
from emu.variants.messages import tf_first_line

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
        raise EmuError(f"cannot load {path}: {tf_first_line(e)}") from None


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
        raise EmuError(f"cannot load {path}: {tf_first_line(e)}") from None
    try:
        rebuilt = (rebuilt_sequential(original) if type(original).__name__ == "Sequential"
                   else rebuilt_functional(original))
    except (ValueError, TypeError, KeyError, IndexError) as e:
        raise EmuError(f"cannot rebuild {path} for tfmot: {tf_first_line(e)}") from None
    if not same_outputs(original, rebuilt):
        raise EmuError(f"cannot rebuild {path} for tfmot: the rebuilt tf_keras model computes other outputs")
    return rebuilt


def rebuilt_sequential(original):
    k = keras()
    layers = [layer for layer in original.layers if type(layer).__name__ != "InputLayer"]
    rebuilt = k.Sequential([k.Input(shape=original.inputs[0].shape[1:]), *map(rebuilt_layer, layers)],
                           name=original.name)
    for old, new in zip(layers, rebuilt.layers, strict=True):
        new.set_weights(old.get_weights())
    return rebuilt


def rebuilt_functional(original):
    """Each layer (in the model's own order, inputs before their users) called on the
    rebuilt tensors that its config's inbound node names; one input, one or more outputs (in
    the model's order), each layer called once, as device models are."""
    k = keras()
    config = original.get_config()
    inputs, outputs = (endpoints(config[key]) for key in ("input_layers", "output_layers"))
    if len(inputs) != 1 or not outputs:
        raise ValueError("emu takes models with one input")
    tensors = {}
    for layer, entry in zip(original.layers, config["layers"], strict=True):
        if type(layer).__name__ == "InputLayer":
            tensors[layer.name] = k.Input(shape=layer.output.shape[1:], name=layer.name)
            continue
        if len(entry["inbound_nodes"]) != 1:
            raise ValueError(f"layer {layer.name} is used {len(entry['inbound_nodes'])} times; emu takes "
                             f"each layer once")
        node = entry["inbound_nodes"][0]
        new = rebuilt_layer(layer)
        args = [tensors_named(a, tensors) for a in node["args"]]
        tensors[layer.name] = new(*args, **{key: tensors_named(v, tensors) for key, v in node["kwargs"].items()})
        new.set_weights(layer.get_weights())
    ends = [tensors[output[0]] for output in outputs]
    return k.Model(tensors[inputs[0][0]], ends if len(ends) > 1 else ends[0], name=original.name)


def endpoints(entries: list) -> list:
    """A model's input or output layers: Keras 3 writes one as ["name", 0, 0], several as a list of those."""
    return [entries] if entries and isinstance(entries[0], str) else list(entries)


def tensors_named(arg, tensors: dict):
    """A serialised argument with each Keras tensor reference replaced by the rebuilt tensor."""
    if isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
        name, node_index, tensor_index = arg["config"]["keras_history"]
        if node_index or tensor_index:
            raise ValueError(f"layer {name} has several outputs or calls; emu takes one of each")
        return tensors[name]
    if isinstance(arg, (list, tuple)):
        return [tensors_named(a, tensors) for a in arg]
    return arg


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
    wants, gots = original(sample, training=False), rebuilt(sample, training=False)
    wants, gots = (list(w) if isinstance(w, (list, tuple)) else [w] for w in (wants, gots))
    return len(wants) == len(gots) and all(
        np.asarray(want).shape == np.asarray(got).shape and np.allclose(np.asarray(got), np.asarray(want),
                                                                        rtol=1e-4, atol=1e-5)
        for want, got in zip(wants, gots, strict=True))
