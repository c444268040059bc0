"""A task: a trained model, its data, what kind of model it is, and how to train its relatives.

Every variant is made from a Task; the built-in tasks and a user's model file both become one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from emu.variants.data import Dataset

KINDS = ("classifier", "regression", "anomaly")
METRICS = {"classifier": "accuracy", "regression": "rmse", "anomaly": "roc_auc"}


@dataclass(frozen=True)
class Training:
    """How the variants that train (QAT, pruning, clustering, distillation) are trained."""

    finetune_epochs: int
    student_epochs: int
    batch_size: int = 64
    learning_rate: float = 1e-3
    student_learning_rate: float = 1e-2


@dataclass
class Task:
    name: str  # the model name in variants.json and in bench results
    kind: str  # one of KINDS
    data: Dataset
    teacher: Any  # the trained tf_keras model every variant starts from
    make_student: Callable[[], Any]  # a fresh, smaller tf_keras model (logits or softmax last)
    training: Training
    seed: int = 0
    source: str = ""  # "built-in task" or the model file
    outputs: int = 0  # the output's last dimension, for a .tflite file that has no teacher

    @property
    def metric(self) -> str:
        return METRICS[self.kind]

    @property
    def classes(self) -> int:
        return self.outputs if self.teacher is None else int(self.teacher.outputs[0].shape[-1])

    def targets(self) -> np.ndarray:
        """What the model learns to output: labels, values, or its own input (autoencoder)."""
        return self.data.x_train if self.kind == "anomaly" else self.data.y_train

    def calibration(self, count: int = 200) -> np.ndarray:
        """Representative inputs for full-integer quantization: the first training samples."""
        return self.data.x_train[:count]
