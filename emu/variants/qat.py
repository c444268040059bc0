"""Quantization-aware training: fine-tune with int8 rounding simulated in the forward pass,
so the weights settle where int8 arithmetic loses the least."""

from __future__ import annotations

from emu.errors import EmuError
from emu.variants.keras2 import copy_model, seed_everything, tfmot
from emu.variants.messages import tf_first_line
from emu.variants.task import Task
from emu.variants.training import finetune


def quantization_aware(task: Task):
    seed_everything(task.seed)
    try:
        model = tfmot().quantization.keras.quantize_model(copy_model(task.teacher))
    except (ValueError, RuntimeError, TypeError) as e:
        raise EmuError(f"tfmot cannot quantize: {tf_first_line(e)}; choose other variants with --variant") from None
    finetune(task, model)
    return model
