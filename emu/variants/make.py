"""The variants stage: make every chosen variant of a task (each one by
emu.variants.make_one, here or on worker processes) and publish the folder whole.

Everything is written into a staging folder (emu.cache.staging) and renamed into place at
the end, so an interruption leaves no partial variants behind. A variant that cannot be
made (tfmot refusing a layer, say) is reported with its reason and listed under "failed" in
variants.json; the others are kept.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from emu.cache import ensure_folder, staging
from emu.console import say
from emu.errors import EmuError
from emu.variants.make_one import Failure, attempt, describe_variant, task_info
from emu.variants.parallel import TaskSource, make_on_pool
from emu.variants.recipes import chosen_variants
from emu.variants.report import FILE_NAME, VariantRecord, write_variants_json
from emu.variants.task import Task


def make_variants(task: Task | TaskSource, out: Path, names: list[str] | None = None,
                  progress: Callable[[str], None] = say,
                  failures: list[Failure] | None = None, workers: int = 1) -> list[VariantRecord]:
    """The variants made; those that could not be made are appended to `failures` (when
    given; else the first one is raised). Given a TaskSource and more than one worker, the
    variants are made on a pool of processes (emu.variants.parallel), each training the task
    once; the folder is the same as a serial run's."""
    chosen = chosen_variants(names)
    outcomes: dict[str, VariantRecord | Failure] = {}
    info: dict = {}

    def finished(name: str, task_info_: dict, outcome: VariantRecord | Failure) -> None:
        info.update(task_info_)
        outcomes[name] = outcome
        shown = f"{name}: FAILED, {outcome.reason}" if isinstance(outcome, Failure) else describe(outcome)
        progress(f"  [{len(outcomes)}/{len(chosen)}] {shown}")
        if isinstance(outcome, Failure) and failures is None:
            raise EmuError(outcome.reason)

    with staged(out) as work:
        if isinstance(task, TaskSource) and workers > 1 and len(chosen) > 1:
            progress(f"  {len(chosen)} variants on {min(workers, len(chosen))} worker processes, "
                     f"each making the task's teacher once")
            make_on_pool(task, chosen, work, min(workers, len(chosen)), finished)
        else:
            if isinstance(task, TaskSource):
                progress("  making the task's teacher")
            made = task.load() if isinstance(task, TaskSource) else task
            for name in chosen:
                progress(f"  {name} ...")
                finished(name, task_info(made), attempt(made, name, work, reraise=failures is None))
        records = [outcomes[n] for n in chosen if isinstance(outcomes[n], VariantRecord)]
        failed = [outcomes[n] for n in chosen if isinstance(outcomes[n], Failure)]
        if not records:
            raise EmuError(f"no variant of {info['model']} could be made: "
                           + "; ".join(f"{f.variant}: {f.reason}" for f in failed))
        write_variants_json(work, info, records, [asdict(f) for f in failed])
    if failures is not None:
        failures.extend(failed)
    return records


def score_files(task: Task, models: list[tuple[str, bytes]], out: Path) -> list[VariantRecord]:
    """Model files as the user converted them, (variant name, bytes) each, scored with the
    task's data and written as the variants of `out`."""
    with staged(out) as work:
        records = [describe_variant(task, name, model, work) for name, model in models]
        write_variants_json(work, task_info(task), records)
    return records


@contextmanager
def staged(out: Path):
    """A staging folder (emu.cache.staging), published as `out` when the block ends; a
    failure leaves nothing at `out`."""
    check_replaceable(out)
    with staging(out.parent, out.name) as work:
        yield work
        publish(work, out)


def describe(r: VariantRecord) -> str:
    shown = f"{r.value:.1%}" if r.metric == "accuracy" else f"{r.value:.4f}"
    device = "runs on the device" if r.runs_on_device else r.not_runnable_reason
    note = f" ({r.note})" if r.note else ""
    collapsed = f"; COLLAPSED: {r.collapsed}" if r.collapsed else ""
    if r.metrics:
        shown += " (" + ", ".join(f"{k} {v:.4f}" for k, v in r.metrics.items()) + ")"
    return (f"{r.variant}: {r.file_bytes:,} bytes, {r.metric} {shown} ({r.reference}), "
            f"{r.weight_sparsity:.0%} zero weights; {device}{note}{collapsed}")


def check_replaceable(out: Path) -> None:
    """Only an earlier variants folder (or an empty one) may be replaced."""
    if out.exists() and not out.is_dir():
        raise EmuError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / FILE_NAME).is_file():
        raise EmuError(f"{out} is not empty and holds no {FILE_NAME}: choose another --out")


def publish(work: Path, out: Path) -> None:
    """Swap the finished folder in; the old one is moved aside first, then deleted."""
    ensure_folder(out.parent)
    if out.exists():
        old = work.with_name(work.name + "-old")
        out.rename(old)
        work.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        work.rename(out)
