"""Magnitude pruning: zero the smallest weights of every prunable layer, raising the share
gradually while fine-tuning so the remaining weights can compensate."""

from __future__ import annotations

import math

import numpy as np

from emu.errors import EmuError
from emu.variants.keras2 import copy_model, seed_everything, tfmot
from emu.variants.messages import tf_first_line
from emu.variants.task import Task
from emu.variants.training import finetune, steps_per_epoch

# Kernels, not biases: what tfmot prunes in Conv and Dense layers.
KERNEL_NAMES = ("kernel", "depthwise_kernel")
UPDATES = 13  # mask updates on the way to the target sparsity


def pruned(task: Task, sparsity: float):
    seed_everything(task.seed)
    opt = tfmot()
    schedule, ramp_epochs = pruning_schedule(task, sparsity)
    try:
        model = opt.sparsity.keras.prune_low_magnitude(copy_model(task.teacher), pruning_schedule=schedule)
    except (ValueError, RuntimeError, TypeError) as e:
        raise EmuError(f"tfmot cannot prune: {tf_first_line(e)}; choose other variants with --variant") from None
    finetune(task, model, callbacks=[opt.sparsity.keras.UpdatePruningStep()], settle_epochs=ramp_epochs)
    stripped = opt.sparsity.keras.strip_pruning(model)
    top_up_sparsity(stripped, sparsity)
    return stripped


def pruning_schedule(task: Task, sparsity: float):
    """tfmot's schedule for the task's training settings, and the epochs it takes to reach
    the target (a fine-tune that stops early must not stop before)."""
    training, sparsity_api = task.training, tfmot().sparsity.keras
    if training.pruning_schedule == "constant":
        return sparsity_api.ConstantSparsity(sparsity, begin_step=0, frequency=1), 1
    per_epoch = steps_per_epoch(task)
    if training.pruning_epochs:
        end_step = per_epoch * training.pruning_epochs
        frequency = max(1, end_step // UPDATES)
        end_step = max(frequency, end_step // frequency * frequency)
    else:
        steps = per_epoch * training.finetune_epochs
        frequency = max(1, steps // 20)
        # Reach the target sparsity at a mask update two thirds of the way in, then hold it.
        end_step = max(frequency, (2 * steps // 3) // frequency * frequency)
    schedule = sparsity_api.PolynomialDecay(initial_sparsity=0.0, final_sparsity=sparsity, begin_step=0,
                                            end_step=end_step, frequency=frequency)
    return schedule, -(-end_step // per_epoch)


def top_up_sparsity(model, sparsity: float) -> None:
    """tfmot keeps round(n * (1 - sparsity)) weights, which can leave one weight too many
    for the promised share of zeros; zero the smallest survivors until it holds."""
    for layer in model.layers:
        for weight in layer.weights:
            if weight.name.split("/")[-1].split(":")[0] in KERNEL_NAMES:
                values = weight.numpy()
                weight.assign(with_zeros(values, math.ceil(sparsity * values.size)))


def with_zeros(values: np.ndarray, zeros: int) -> np.ndarray:
    missing = zeros - int(np.sum(values == 0))
    if missing <= 0:
        return values
    flat = values.ravel().copy()
    nonzero = np.flatnonzero(flat)
    smallest = nonzero[np.argsort(np.abs(flat[nonzero]), kind="stable")[:missing]]
    flat[smallest] = 0
    return flat.reshape(values.shape)
