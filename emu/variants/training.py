"""Compiling and fitting tf_keras models the way each kind of task needs."""

from __future__ import annotations

from emu.variants.keras2 import keras
from emu.variants.task import Task


def outputs_probabilities(model) -> bool:
    """True when the model ends in a softmax, so its loss must not apply one again."""
    last = model.layers[-1]
    if type(last).__name__ == "Softmax":
        return True
    activation = getattr(last, "activation", None)
    return getattr(activation, "__name__", "") == "softmax"


def loss_for(task: Task):
    """The teacher's own loss; tfmot's wrappers hide the final softmax, so ask the teacher."""
    k = keras()
    if task.kind == "classifier":
        return k.losses.SparseCategoricalCrossentropy(from_logits=not outputs_probabilities(task.teacher))
    return k.losses.MeanSquaredError()


def compile_for(task: Task, model, learning_rate: float, loss=None) -> None:
    model.compile(optimizer=keras().optimizers.Adam(learning_rate), loss=loss or loss_for(task))


def fit(task: Task, model, x, y, epochs: int, callbacks=()) -> None:
    model.fit(x, y, epochs=epochs, batch_size=task.training.batch_size, shuffle=True, verbose=0,
              callbacks=list(callbacks))


def finetune(task: Task, model, callbacks=(), learning_rate: float | None = None) -> None:
    """Train a wrapped copy of the teacher a little, on the teacher's own training data."""
    compile_for(task, model, learning_rate or task.training.learning_rate)
    fit(task, model, task.data.x_train, task.targets(), task.training.finetune_epochs, callbacks)


def steps_per_epoch(task: Task) -> int:
    return -(-len(task.data.x_train) // task.training.batch_size)
