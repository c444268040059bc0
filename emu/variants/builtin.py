"""The built-in tasks: data that ships in a package or that emu generates, a teacher model
trained here, and a smaller student for distillation. All work offline and are deterministic
for a given seed.

- digits: scikit-learn's bundled 8x8 handwritten digits, a small CNN classifier.
- sine: y = sin(x) with noise, a tiny regression in the style of TFLM's hello_world.
- vibration: an autoencoder on band energies of generated machine vibration, judged as an
  anomaly detector (see emu/variants/vibration.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from emu.errors import EmuError
from emu.extras import require
from emu.variants.data import Dataset
from emu.variants.keras2 import keras, seed_everything
from emu.variants.task import Task, Training, training_with
from emu.variants.training import compile_for, fit


@dataclass
class BuiltinTask:
    name: str
    kind: str
    description: str
    data: Callable[[int], Dataset]
    teacher: Callable[[], object]  # a fresh, untrained teacher
    student: Callable[[], object]  # a fresh, untrained student ending in logits or values
    teacher_epochs: int
    teacher_learning_rate: float
    training: Training


def digits_data(seed: int = 0) -> Dataset:
    """scikit-learn's bundled 8x8 handwritten digits (1,797 images), scaled to [0, 1], 80/20."""
    digits = require("sklearn.datasets").load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., None]
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    split = int(len(x) * 0.8)
    return Dataset(x[:split], y[:split], x[split:], y[split:])


def digits_cnn(filters: tuple[int, int], softmax: bool):
    k = keras()
    layers = [
        k.Input(shape=(8, 8, 1)),
        k.layers.Conv2D(filters[0], 3, padding="same", activation="relu"),
        k.layers.MaxPooling2D(2),
        k.layers.Conv2D(filters[1], 3, activation="relu"),
        k.layers.Reshape((2 * 2 * filters[1],)),
        k.layers.Dense(10),
    ]
    return k.Sequential(layers + ([k.layers.Softmax()] if softmax else []), name="digits")


def sine_data(seed: int = 0, samples: int = 1000) -> Dataset:
    """x uniform in [0, 2 pi), y = sin(x) plus noise of standard deviation 0.1, 80/20."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 2 * np.pi, samples).astype(np.float32)
    y = (np.sin(x) + rng.normal(0.0, 0.1, samples)).astype(np.float32)
    split = int(samples * 0.8)
    return Dataset(x[:split, None], y[:split, None], x[split:, None], y[split:, None])


def sine_mlp(width: int):
    k = keras()
    return k.Sequential([k.Input(shape=(1,)), k.layers.Dense(width, activation="relu"),
                         k.layers.Dense(width, activation="relu"), k.layers.Dense(1)], name="sine")


def vibration_data(seed: int = 0) -> Dataset:
    from emu.variants.vibration import vibration_dataset

    x_train, x_test, y_test = vibration_dataset(seed)
    return Dataset(x_train, np.zeros(len(x_train), np.int64), x_test, y_test)


def vibration_autoencoder(widths: tuple[int, ...]):
    from emu.variants.vibration import BANDS

    k = keras()
    hidden = [k.layers.Dense(w, activation="relu") for w in widths]
    return k.Sequential([k.Input(shape=(BANDS,)), *hidden, k.layers.Dense(BANDS)], name="vibration")


BUILTIN = {
    "digits": BuiltinTask(
        "digits", "classifier", "CNN on scikit-learn's bundled 8x8 handwritten digits",
        data=digits_data, teacher=lambda: digits_cnn((8, 16), softmax=True),
        student=lambda: digits_cnn((4, 8), softmax=False), teacher_epochs=30, teacher_learning_rate=1e-2,
        training=Training(finetune_epochs=10, student_epochs=30)),
    "sine": BuiltinTask(
        "sine", "regression", "sine regression in the style of TFLM's hello_world",
        data=sine_data, teacher=lambda: sine_mlp(16), student=lambda: sine_mlp(8),
        teacher_epochs=150, teacher_learning_rate=1e-2,
        training=Training(finetune_epochs=30, student_epochs=150)),
    "vibration": BuiltinTask(
        "vibration", "anomaly", "autoencoder anomaly detector on generated machine vibration",
        data=vibration_data, teacher=lambda: vibration_autoencoder((16, 6, 16)),
        student=lambda: vibration_autoencoder((8, 4, 8)), teacher_epochs=60, teacher_learning_rate=5e-3,
        training=Training(finetune_epochs=10, student_epochs=60)),
}


def builtin_spec(name: str) -> BuiltinTask:
    spec = BUILTIN.get(name)
    if spec is None:
        raise EmuError(f"unknown task {name!r} (built-in tasks: {', '.join(BUILTIN)})")
    return spec


def builtin_training(name: str, settings: dict) -> Training:
    """The task's training with the user's settings, checked before anything trains."""
    if settings.get("student_width") is not None:
        raise EmuError("student_width applies to a model file: a built-in task has a student of its own")
    return training_with(builtin_spec(name).training, settings)


def builtin_task(name: str, seed: int = 0, settings: dict | None = None) -> Task:
    """Make the task's data and train its teacher; `settings` change how its variants train
    (Training.with_settings)."""
    spec = builtin_spec(name)
    training = builtin_training(name, settings or {})
    seed_everything(seed)
    task = Task(name=spec.name, kind=spec.kind, data=spec.data(seed), teacher=spec.teacher(),
                make_student=spec.student, training=training, seed=seed, source="built-in task")
    compile_for(task, task.teacher, spec.teacher_learning_rate)
    fit(task, task.teacher, task.data.x_train, task.targets(), spec.teacher_epochs)
    return task
