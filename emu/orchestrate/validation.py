"""Validation on the device of built-in tasks' variants: `emu validate --task NAME` (the
variant made, or found in the cache, as a scenario makes it) and a scenario's `validate:`
step, each on the task's own test data, the split its variants were scored on."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from emu.errors import EmuError, NotRunnable
from emu.orchestrate.task_models import ModelFile, Trained, cached_task_folder
from emu.platforms import Platform
from emu.results.record import Result, read_json_file

if TYPE_CHECKING:  # emu.variants needs TensorFlow: imported when a validation runs
    from emu.variants.validate import Validation


def task_variant(task: str, variant: str, seed: int = 0,
                 progress: Callable[[str], None] = lambda m: None) -> tuple[Path, str, np.ndarray, np.ndarray]:
    """The variant's .tflite file, the task's kind, and its test inputs and labels."""
    from emu.variants.builtin import builtin_spec

    spec = builtin_spec(task)
    folder = cached_task_folder(Trained(task=task, seed=seed), [variant], use_cache=True, progress=progress)
    doc = read_json_file(folder / "variants.json", "variants file")
    entry = next((e for e in doc["variants"] if e["variant"] == variant), None)
    if entry is None:
        raise EmuError(f"task {task} has no variant {variant!r}")
    if not entry.get("runs_on_device", True):
        raise NotRunnable(f"{task}/{variant} does not run on the device: {entry.get('not_runnable_reason')}")
    data = spec.data(seed)
    return folder / entry["file"], spec.kind, data.x_test, data.y_test


def validate_files(task: str, files: list[ModelFile], boards: list[Platform], results: list[Result], seed: int,
                   samples: int | None, progress: Callable[[str], None] = lambda m: None) -> list[dict]:
    """A scenario's `validate:` step: each of a task's variants that was measured on a board,
    run on the task's test samples there; one validation_record each."""
    from emu.variants.builtin import builtin_spec
    from emu.variants.validate import first_samples, validate

    spec = builtin_spec(task)
    data = spec.data(seed)
    x, y = first_samples(data.x_test, data.y_test, samples, f"task {task}")
    return [validation_record(validate(f.path, board, spec.kind, x, y, progress=progress), f.variant)
            for f, board in measured_pairs(files, boards, results, f"{task}/", len(x), progress)]


def validate_with_data(files: list[ModelFile], data: Path, kind: str, boards: list[Platform],
                       results: list[Result], samples: int | None,
                       progress: Callable[[str], None] = lambda m: None) -> list[dict]:
    """A scenario's `validate:` step for a user's model given with its data (a Keras model's
    variants, or a .tflite file): each run on the data's test samples on every board it was
    measured on."""
    from emu.variants.userfile import tflite_task
    from emu.variants.validate import first_samples, validate

    done = []
    for f in files:
        task, _ = tflite_task(f.path, data, kind)  # the labels read as scoring read them
        x, y = first_samples(task.data.x_test, task.data.y_test, samples, str(data))
        done += [validation_record(validate(f.path, board, task.kind, x, y, progress=progress), f.variant)
                 for f, board in measured_pairs([f], boards, results, "", len(x), progress)]
    return done


def measured_pairs(files: list[ModelFile], boards: list[Platform], results: list[Result], label: str, count: int,
                   progress: Callable[[str], None]):
    """Each file and board the results measured, said as it is reached."""
    measured = {(r.model_sha256, r.platform) for r in results if r.measured}
    for f in files:
        sha = hashlib.sha256(f.path.read_bytes()).hexdigest()
        for board in boards:
            if (sha, board.name) in measured:
                progress(f"validating {label}{f.variant} on {board.name} with {count} test samples")
                yield f, board


def validation_record(v: Validation, variant: str) -> dict:
    """One validation as plain values, for the run folder's validation.json."""
    return {"model": v.model, "variant": variant, "platform": v.board, "samples": v.samples, "boots": v.boots,
            "seconds": round(v.seconds, 3), "metric": v.device.metric, "device": v.device.value,
            "host": v.host.value, "reference": v.host.reference, "differing_samples": v.differing,
            "beyond_tolerance": v.beyond_tolerance, "max_difference": v.max_difference}


def validation_note(record: dict) -> str:
    """One line for a validation_record."""
    def shown(value: float) -> str:
        return f"{value:.2%}" if record["metric"] == "accuracy" else f"{value:.6g}"

    same = record["samples"] - record["differing_samples"]
    return (f"validated {record['model']}/{record['variant']} on {record['platform']}: device {record['metric']} "
            f"{shown(record['device'])} (host {shown(record['host'])}), {same} of {record['samples']} samples "
            f"bit-identical to {record['reference']}")
