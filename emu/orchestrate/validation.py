"""`emu validate` on a built-in task: its variant made (or found in the cache) as a scenario
makes it, and its own test data, the split the variant was scored on."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from emu.errors import EmuError, NotRunnable
from emu.orchestrate.task_models import cached_task_folder
from emu.results.record import read_json_file


def task_variant(task: str, variant: str, seed: int = 0,
                 progress: Callable[[str], None] = lambda m: None) -> tuple[Path, str, np.ndarray, np.ndarray]:
    """The variant's .tflite file, the task's kind, and its test inputs and labels."""
    from emu.variants.builtin import builtin_spec

    spec = builtin_spec(task)
    folder = cached_task_folder(task, [variant], seed, use_cache=True, progress=progress)
    doc = read_json_file(folder / "variants.json", "variants file")
    entry = next((e for e in doc["variants"] if e["variant"] == variant), None)
    if entry is None:
        raise EmuError(f"task {task} has no variant {variant!r}")
    if not entry.get("runs_on_device", True):
        raise NotRunnable(f"{task}/{variant} does not run on the device: {entry.get('not_runnable_reason')}")
    data = spec.data(seed)
    return folder / entry["file"], spec.kind, data.x_test, data.y_test
