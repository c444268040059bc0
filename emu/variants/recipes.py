"""Each variant by name, and how it is made from a task's teacher."""

from __future__ import annotations

import re
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


# Recipes that cannot take a model with several outputs, and why: such a variant is not made.
NOT_FOR_SEVERAL_OUTPUTS = {
    "distilled-int8": "distillation trains a student on one output's softened or blended targets; a model "
                      "with several outputs is not distilled",
}


def distilled_int8(task: Task) -> bytes:
    from emu.variants.distillation import distilled

    if task.several_outputs:
        raise EmuError(NOT_FOR_SEVERAL_OUTPUTS["distilled-int8"])

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

# Other sparsities and cluster counts than the standard ones, by name: pruned70-int8, clustered8-int8.
PRUNED = re.compile(r"pruned([1-9][0-9]?)-int8")
CLUSTERED = re.compile(r"clustered([2-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-6])-int8")


def recipe_for(name: str) -> Callable[[Task], bytes]:
    if name in RECIPES:
        return RECIPES[name]
    if match := PRUNED.fullmatch(name):
        return pruned_int8(int(match.group(1)) / 100)
    if match := CLUSTERED.fullmatch(name):
        return clustered_int8(int(match.group(1)))
    raise EmuError(f"unknown variant {name!r} (variants: {', '.join(VARIANT_NAMES)}; "
                   f"also prunedNN-int8 for NN% zeros, clusteredN-int8 for N of 2..256 clusters)")


def split_names(names: list[str] | None) -> list[str]:
    """`-v a,b -v c` -> [a, b, c]; every name checked."""
    split = [n.strip() for entry in names or [] for n in entry.split(",") if n.strip()]
    for name in split:
        recipe_for(name)
    return split


def chosen_variants(names: list[str] | None, exclude: list[str] | None = None) -> list[str]:
    """The variants to make, in the standard order (those named, all when none are; other
    sparsities and cluster counts after them, as named), less those excluded."""
    wanted, dropped = split_names(names) or list(VARIANT_NAMES), split_names(exclude)
    extra = [n for n in dict.fromkeys(wanted) if n not in VARIANT_NAMES]
    chosen = [n for n in [*VARIANT_NAMES, *extra] if n in wanted and n not in dropped]
    if not chosen:
        raise EmuError("no variant left to make after --exclude")
    return chosen
