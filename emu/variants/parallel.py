"""Variants made in worker processes, one variant a job.

A trained Keras model does not travel between processes, so a job carries how to make its
task again (a TaskSource) and each worker makes the task once. Every recipe seeds itself
and restarts Keras's name counters (emu.variants.keras2.seed_everything), so a variant made
in a worker has the same bytes as one made in a serial run.
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from emu import processes
from emu.variants.make_one import attempt, task_info
from emu.variants.task import Task


@dataclass(frozen=True)
class TaskSource:
    """A task as the user named it: a built-in task, or a model file with its data."""

    builtin: str | None = None
    model: Path | None = None
    data: Path | None = None
    kind: str = "auto"
    seed: int = 0
    settings: tuple[tuple[str, object], ...] = ()  # training settings changed (Training.with_settings)

    def load(self) -> Task:
        if self.builtin:
            from emu.variants.builtin import builtin_task

            return builtin_task(self.builtin, self.seed, dict(self.settings))
        from emu.variants.userfile import file_task

        return file_task(self.model, self.data, self.kind, self.seed, dict(self.settings))


_tasks: dict[TaskSource, Task] = {}  # per worker process: each task is trained once


def _make_in_worker(source: TaskSource, name: str, work: Path):
    task = _tasks.get(source)
    if task is None:
        task = _tasks[source] = source.load()
    return task_info(task), attempt(task, name, work)


def make_on_pool(source: TaskSource, names: list[str], work: Path, workers: int,
                 finished: Callable[[str, dict, object], None]) -> None:
    """Make each variant into `work` on `workers` processes; `finished(name, task info,
    record or failure)` is called as each one ends, in the order they end."""
    with processes.pool(workers) as pool:  # spawned workers that end when this process ends
        futures: dict[Future, str] = {pool.submit(_make_in_worker, source, n, work): n for n in names}
        try:
            while futures:
                ready, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in ready:
                    finished(futures.pop(future), *future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise
