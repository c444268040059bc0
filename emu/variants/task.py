"""A task: a trained model, its data, what kind of model it is, and how to train its relatives.

Every variant is made from a Task; the built-in tasks and a user's model file both become one.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Callable

import numpy as np

from emu.errors import EmuError
from emu.variants.data import Dataset

KINDS = ("classifier", "regression", "anomaly")
METRICS = {"classifier": "accuracy", "regression": "rmse", "anomaly": "roc_auc"}


PRUNING_SCHEDULES = ("polynomial", "constant")


@dataclass(frozen=True)
class Training:
    """How the variants that train (QAT, pruning, clustering, distillation) are trained.

    With patience 0 every fine-tune runs its epochs in full (the built-in tasks' counts were
    chosen for their data); with patience P, a share of the training data is held out and a
    fine-tune stops once the loss on it has not improved for P epochs, keeping the best
    weights, so the epochs are a cap.
    """

    finetune_epochs: int  # epochs of QAT, pruning and clustering (a cap when patience > 0)
    student_epochs: int  # epochs of the distilled student (a cap when patience > 0)
    batch_size: int = 64
    learning_rate: float = 1e-3
    student_learning_rate: float = 1e-2
    patience: int = 0
    validation_split: float = 0.1  # the share of training data held out when patience > 0
    pruning_schedule: str = "polynomial"  # sparsity rising from 0 to the target, or the target from the start
    pruning_epochs: int = 0  # epochs for sparsity to reach its target; 0: two thirds of finetune_epochs
    student_width: float = 0.5  # a model file's student: this share of the teacher's units and filters
    temperature: float = 4.0  # distillation: how much the teacher's probabilities are softened

    def with_settings(self, settings: dict) -> "Training":
        """These settings changed (names as the fields; None leaves one as it is), checked."""
        known = {f.name for f in fields(self)}
        changes = {k: v for k, v in settings.items() if v is not None}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown training setting {unknown[0]!r} (settings: {', '.join(sorted(known))})")
        changed = replace(self, **changes)
        changed.check()
        return changed

    def check(self) -> None:
        for name in ("finetune_epochs", "student_epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1 (got {getattr(self, name)})")
        for name in ("learning_rate", "student_learning_rate", "student_width", "temperature"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be above 0 (got {getattr(self, name)})")
        if self.patience < 0 or self.pruning_epochs < 0:
            raise ValueError("patience and pruning_epochs must be 0 or more")
        if not 0 < self.validation_split < 1:
            raise ValueError(f"validation_split must lie between 0 and 1 (got {self.validation_split})")
        if self.student_width > 1:
            raise ValueError(f"student_width is a share of the teacher's width, at most 1 (got {self.student_width})")
        if self.pruning_schedule not in PRUNING_SCHEDULES:
            raise ValueError(f"pruning_schedule must be one of {', '.join(PRUNING_SCHEDULES)} "
                             f"(got {self.pruning_schedule!r})")
        if self.pruning_epochs > self.finetune_epochs:
            raise ValueError(f"pruning_epochs ({self.pruning_epochs}) cannot exceed finetune_epochs "
                             f"({self.finetune_epochs})")


def training_with(base: Training, settings: dict) -> Training:
    """`base` with the user's settings, or a one-line error naming the bad one."""
    try:
        return base.with_settings(settings)
    except (ValueError, TypeError) as e:
        raise EmuError(f"training settings: {e}") from None


@dataclass
class Task:
    name: str  # the model name in variants.json and in bench results
    kind: str  # one of KINDS; for a model with several outputs one per output, joined: "classifier,regression"
    data: Dataset
    teacher: Any  # the trained tf_keras model every variant starts from
    make_student: Callable[[], Any]  # a fresh, smaller tf_keras model (logits or softmax last)
    training: Training
    seed: int = 0
    source: str = ""  # "built-in task" or the model file
    # each output's last dimension, for a .tflite file that has no teacher
    output_sizes: tuple[int, ...] = ()

    @property
    def kinds(self) -> tuple[str, ...]:
        """Each output's kind: a model with several outputs has `kind` "classifier,regression"."""
        return tuple(self.kind.split(","))

    @property
    def several_outputs(self) -> bool:
        return len(self.kinds) > 1

    @property
    def metric(self) -> str:
        """The headline metric: the first output's."""
        return METRICS[self.kinds[0]]

    @property
    def classes(self) -> int:
        return self.classes_of(0)

    def classes_of(self, output: int) -> int:
        """The last dimension of output `output` (the class count of a classifier)."""
        if self.teacher is None:
            return self.output_sizes[output] if output < len(self.output_sizes) else 0
        return int(self.teacher.outputs[output].shape[-1])

    def targets(self) -> np.ndarray | list[np.ndarray]:
        """What the model learns to output: labels, values, or its own input (autoencoder);
        a list, one per output, for a model with several."""
        return self.data.x_train if self.kind == "anomaly" else self.data.y_train

    def calibration(self, count: int = 200) -> np.ndarray:
        """Representative inputs for full-integer quantization: the first training samples."""
        return self.data.x_train[:count]
