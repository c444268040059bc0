"""Distillation: a smaller student learns from the teacher's outputs as well as the labels.

For a classifier the student matches the teacher's softened class probabilities (softmax at
a temperature above 1: the training's `temperature`, 4 unless set; it shows how the teacher
ranks the wrong classes too). Regression models and autoencoders have no probabilities to
soften; their student learns the teacher's outputs blended with the true targets.
"""

from __future__ import annotations

import numpy as np

from emu.variants.keras2 import keras, seed_everything, tensorflow
from emu.variants.task import Task
from emu.variants.training import compile_for, fit, outputs_probabilities

LABEL_WEIGHT = 0.2  # the rest of the loss is matching the teacher


def distilled(task: Task):
    seed_everything(task.seed)
    student = task.make_student()
    if task.kind != "classifier":
        compile_for(task, student, task.training.student_learning_rate, loss=keras().losses.MeanSquaredError())
        fit(task, student, task.data.x_train, blended_targets(task), task.training.student_epochs)
        return student
    student_probabilities = outputs_probabilities(student)
    temperature = task.training.temperature
    targets = np.concatenate([one_hot(task.data.y_train, task.classes), softened_teacher(task, temperature)],
                             axis=1)
    compile_for(task, student, task.training.student_learning_rate,
                loss=soft_target_loss(task.classes, student_probabilities, temperature))
    fit(task, student, task.data.x_train, targets, task.training.student_epochs)
    if outputs_probabilities(task.teacher) and not student_probabilities:
        return with_softmax(student)
    return student


def teacher_outputs(task: Task) -> np.ndarray:
    return task.teacher.predict(task.data.x_train, batch_size=256, verbose=0)


def softened_teacher(task: Task, temperature: float) -> np.ndarray:
    outputs = teacher_outputs(task).astype(np.float64)
    # log(probabilities) are the logits up to a per-sample constant, which softmax ignores
    logits = np.log(np.clip(outputs, 1e-12, None)) if outputs_probabilities(task.teacher) else outputs
    z = logits / temperature
    z -= z.max(axis=1, keepdims=True)
    soft = np.exp(z)
    return (soft / soft.sum(axis=1, keepdims=True)).astype(np.float32)


def blended_targets(task: Task) -> np.ndarray:
    truth = task.targets().reshape(len(task.data.x_train), -1).astype(np.float32)
    teacher = teacher_outputs(task).reshape(truth.shape)
    blended = LABEL_WEIGHT * truth + (1 - LABEL_WEIGHT) * teacher
    return blended.reshape((len(truth), *task.teacher.outputs[0].shape[1:]))


def one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes, dtype=np.float32)[np.asarray(labels).astype(np.int64).ravel()]


def soft_target_loss(classes: int, student_probabilities: bool, temperature: float):
    tf, k = tensorflow(), keras()

    def loss(y_true, outputs):
        # a student that ends in softmax (a half-width copy of such a teacher) gives its
        # logits back through log, up to a per-sample constant that softmax ignores
        logits = tf.math.log(tf.clip_by_value(outputs, 1e-7, 1.0)) if student_probabilities else outputs
        labels, soft = y_true[:, :classes], y_true[:, classes:]
        hard_loss = k.losses.categorical_crossentropy(labels, logits, from_logits=True)
        soft_loss = k.losses.kl_divergence(soft, tf.nn.softmax(logits / temperature))
        # T^2 keeps the soft term's gradients on the same scale as the hard term's
        return LABEL_WEIGHT * hard_loss + (1 - LABEL_WEIGHT) * temperature ** 2 * soft_loss

    return loss


def with_softmax(student):
    """The student trains on logits; the variant answers in probabilities, like its teacher."""
    k = keras()
    inputs = k.Input(shape=student.inputs[0].shape[1:])
    return k.Model(inputs, k.layers.Softmax()(student(inputs)), name=f"{student.name}_softmax")
