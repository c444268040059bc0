import os
import shutil
from pathlib import Path

import pytest

SHARED_MODELS = Path(__file__).resolve().parents[2] / "shared" / "models"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def shared_model(name: str) -> Path:
    """A model from ../shared/models: an extra corpus, used when present."""
    path = SHARED_MODELS / name
    if not path.is_file():
        pytest.skip(f"{path} is not present (the shared corpus is optional)")
    return path


needs_arm_gcc = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None,
                                   reason="arm-none-eabi-gcc missing: run make setup")


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Tests build into their own cache so they never read a stale user build."""
    os.environ["EMU_CACHE"] = str(tmp_path_factory.mktemp("emu-cache"))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    """A two-layer int8 model that builds and runs in a second or two."""
    from tests import modelgen

    tf = modelgen.tf()
    model = modelgen.keras_model([tf.keras.layers.Dense(8, activation="relu"), tf.keras.layers.Dense(3)], (5,), seed=7)
    path = tmp_path_factory.mktemp("tiny-model") / "tiny_int8.tflite"
    path.write_bytes(modelgen.to_int8(model, (5,)))
    return path


@pytest.fixture(scope="session")
def dense_models() -> dict[str, bytes]:
    """The hello_world network (1 -> 16 -> 16 -> 1, ReLU) converted to int8 and float32: tensor 0
    is the input, 9 the output, 7 and 8 activations, 1-6 constants; operators 0-2 are
    FULLY_CONNECTED (activation, weights, bias). In the float model tensor 2 is the last bias."""
    from tests import modelgen

    tf = modelgen.tf()
    keras = modelgen.keras_model([tf.keras.layers.Dense(16, activation="relu"),
                                  tf.keras.layers.Dense(16, activation="relu"),
                                  tf.keras.layers.Dense(1)], (1,))
    return {"int8": modelgen.to_int8(keras, (1,)), "float": modelgen.to_float(keras)}
