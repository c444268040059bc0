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


def pruned(task: Task, sparsity: float):
    seed_everything(task.seed)
    opt = tfmot()
    steps = steps_per_epoch(task) * task.training.finetune_epochs
    frequency = max(1, steps // 20)
    # Reach the target sparsity at a mask update two thirds of the way in, then hold it.
    end_step = max(frequency, (2 * steps // 3) // frequency * frequency)
    schedule = opt.sparsity.keras.PolynomialDecay(initial_sparsity=0.0, final_sparsity=sparsity,
                                                  begin_step=0, end_step=end_step, frequency=frequency)
    try:
        model = opt.sparsity.keras.prune_low_magnitude(copy_model(task.teacher), pruning_schedule=schedule)
    except (ValueError, RuntimeError, TypeError) as e:
        raise EmuError(f"tfmot cannot prune: {tf_first_line(e)}; choose other variants with --variant") from None
    finetune(task, model, callbacks=[opt.sparsity.keras.UpdatePruningStep()])
    stripped = opt.sparsity.keras.strip_pruning(model)
    top_up_sparsity(stripped, sparsity)
    return stripped


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
