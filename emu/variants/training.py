"""Compiling and fitting tf_keras models the way each kind of task needs."""

from __future__ import annotations

import numpy as np

from emu.variants.keras2 import keras
from emu.variants.task import Task


def outputs_probabilities(model, output: int = 0) -> bool:
    """True when the model's output `output` comes from a softmax, so its loss must not apply
    one again."""
    if len(model.outputs) == 1:
        last = model.layers[-1]
    else:
        last = model.get_layer(model.output_names[output])
    if type(last).__name__ == "Softmax":
        return True
    activation = getattr(last, "activation", None)
    return getattr(activation, "__name__", "") == "softmax"


def loss_for(task: Task):
    """The teacher's own loss; tfmot's wrappers hide the final softmax, so ask the teacher.
    A model with several outputs has a list, one loss per output, by its kind."""
    losses = [output_loss(task, kind, i) for i, kind in enumerate(task.kinds)]
    return losses if task.several_outputs else losses[0]


def output_loss(task: Task, kind: str, output: int):
    k = keras()
    if kind == "classifier":
        return k.losses.SparseCategoricalCrossentropy(from_logits=not outputs_probabilities(task.teacher, output))
    return k.losses.MeanSquaredError()


def compile_for(task: Task, model, learning_rate: float, loss=None) -> None:
    model.compile(optimizer=keras().optimizers.Adam(learning_rate), loss=loss or loss_for(task))


def fit(task: Task, model, x, y, epochs: int, callbacks=(), settle_epochs: int = 0) -> int:
    """`epochs` in full, or, when the task's training has patience, until the loss on held-out
    training data stops improving (never before `settle_epochs`: a pruning schedule must reach
    its sparsity first), keeping the best weights. Returns the epochs run."""
    training = task.training
    callbacks = list(callbacks)
    held_out = None
    if training.patience and len(x) >= 2:
        x, y, held_out = split_off(x, y, training.validation_split, task.seed)
        callbacks.append(keras().callbacks.EarlyStopping(
            monitor="val_loss", patience=training.patience, restore_best_weights=True,
            start_from_epoch=settle_epochs))
    history = model.fit(x, y, epochs=epochs, batch_size=training.batch_size, shuffle=True, verbose=0,
                        callbacks=callbacks, validation_data=held_out)
    return len(history.epoch)


def split_off(x, y, share: float, seed: int):
    """(x, y) less a seeded random share, and that share: a user's file may be sorted by
    class, so the last rows (Keras's validation_split) could all be one class. `y` may be a
    list, one array per output."""
    order = np.random.default_rng(seed).permutation(len(x))
    count = max(1, round(share * len(x)))
    held, kept = order[:count], order[count:]

    def rows(index):
        return [a[index] for a in y] if isinstance(y, list) else y[index]

    return x[kept], rows(kept), (x[held], rows(held))


def finetune(task: Task, model, callbacks=(), learning_rate: float | None = None, settle_epochs: int = 0) -> int:
    """Train a wrapped copy of the teacher a little, on the teacher's own training data; the epochs run."""
    compile_for(task, model, learning_rate or task.training.learning_rate)
    return fit(task, model, task.data.x_train, task.targets(), task.training.finetune_epochs, callbacks, settle_epochs)


def steps_per_epoch(task: Task) -> int:
    return -(-len(task.data.x_train) // task.training.batch_size)
