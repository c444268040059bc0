"""The Keras 2 API (tf_keras) and TensorFlow Model Optimization, kept inside this package.

tfmot wraps Keras 2 layers only, so every model this package trains is a tf_keras model.
Importing tfmot sets TF_USE_LEGACY_KERAS=1, which would make tf.keras mean Keras 2 for the
whole process if tf.keras had not been resolved yet; resolving it first and restoring the
variable keeps the rest of emu (and any subprocess) on Keras 3.
"""

from __future__ import annotations

import os

from emu.console import import_tensorflow
from emu.extras import require


def tensorflow():
    return import_tensorflow()


def keras():
    tensorflow()
    return require("tf_keras")


def tfmot():
    tf = tensorflow()
    tf.keras.version()  # resolve tf.keras before tfmot flips the variable that selects it
    before = os.environ.get("TF_USE_LEGACY_KERAS")
    try:
        tensorflow_model_optimization = require("tensorflow_model_optimization")
    finally:
        if before is None:
            os.environ.pop("TF_USE_LEGACY_KERAS", None)
        else:
            os.environ["TF_USE_LEGACY_KERAS"] = before
    return tensorflow_model_optimization


def seed_everything(seed: int) -> None:
    """Seeded initialisation, shuffling and deterministic kernels: same seed, same bytes.
    Clearing the session restarts Keras's layer-name counters, which end up in the file."""
    keras().backend.clear_session()
    keras().utils.set_random_seed(seed)
    tensorflow().config.experimental.enable_op_determinism()


def copy_model(model):
    """A separate model with the same layers and weights: tfmot wraps the layers it is given,
    so training a wrapped model in place would change the teacher that other variants use."""
    copy = keras().models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy
