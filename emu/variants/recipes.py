"""Each variant by name, and how it is made from a task's teacher."""

from __future__ import annotations

from typing import Callable

from emu.errors import EmuError
from emu.variants import convert
from emu.variants.task import Task


def fp32(task: Task) -> bytes:
    return convert.float32(task.teacher)


def fp16(task: Task) -> bytes:
    return convert.float16(task.teacher)


def dynamic_int8(task: Task) -> bytes:
    return convert.dynamic_range_int8(task.teacher)


def int8(task: Task) -> bytes:
    return convert.full_int8(task.teacher, task.calibration())


def int16x8(task: Task) -> bytes:
    return convert.int16x8(task.teacher, task.calibration())


def qat_int8(task: Task) -> bytes:
    from emu.variants.qat import quantization_aware

    return convert.full_int8(quantization_aware(task), task.calibration())


def pruned_int8(sparsity: float) -> Callable[[Task], bytes]:
    def make(task: Task) -> bytes:
        from emu.variants.pruning import pruned

        return convert.full_int8(pruned(task, sparsity), task.calibration())

    return make


def clustered_int8(clusters: int) -> Callable[[Task], bytes]:
    def make(task: Task) -> bytes:
        from emu.variants.clustering import clustered

        # One scale per tensor keeps the clusters' few float values few in int8 too: with a
        # scale per channel each channel would get its own int8 values, and the lookup tables
        # a device stores would be one per channel instead of one per tensor.
        return convert.full_int8(clustered(task, clusters), task.calibration(), per_channel=False)

    return make


def distilled_int8(task: Task) -> bytes:
    from emu.variants.distillation import distilled

    return convert.full_int8(distilled(task), task.calibration())


RECIPES: dict[str, Callable[[Task], bytes]] = {
    "fp32": fp32,
    "fp16": fp16,
    "dynamic-int8": dynamic_int8,
    "int8": int8,
    "int16x8": int16x8,
    "qat-int8": qat_int8,
    "pruned50-int8": pruned_int8(0.5),
    "pruned80-int8": pruned_int8(0.8),
    "clustered16-int8": clustered_int8(16),
    "distilled-int8": distilled_int8,
}
VARIANT_NAMES = tuple(RECIPES)


def split_names(names: list[str] | None) -> list[str]:
    """`-v a,b -v c` -> [a, b, c]; every name checked."""
    split = [n.strip() for entry in names or [] for n in entry.split(",") if n.strip()]
    unknown = [n for n in split if n not in RECIPES]
    if unknown:
        raise EmuError(f"unknown variant {unknown[0]!r} (variants: {', '.join(VARIANT_NAMES)})")
    return split


def chosen_variants(names: list[str] | None, exclude: list[str] | None = None) -> list[str]:
    """The variants to make, in the standard order: those named (all when none are), less
    those excluded."""
    wanted, dropped = split_names(names) or list(VARIANT_NAMES), split_names(exclude)
    chosen = [n for n in VARIANT_NAMES if n in wanted and n not in dropped]
    if not chosen:
        raise EmuError("no variant left to make after --exclude")
    return chosen
