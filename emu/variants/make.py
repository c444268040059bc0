"""The variants stage: make every chosen variant of a task, score it on the host, describe
its weights, check whether the device compiler takes it, and publish the folder whole.

Everything is written into a staging folder (emu.cache.staging) and renamed into place at
the end, so an interruption leaves no partial variants behind. A variant that cannot be
made (tfmot refusing a layer, say) is reported with its reason and listed under "failed" in
variants.json; the others are kept.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from emu.cache import atomic_write, ensure_folder, staging
from emu.console import say
from emu.errors import EmuError
from emu.variants.messages import first_line
from emu.variants.parallel import TaskSource, make_on_pool
from emu.model.reader import parse_model
from emu.model.oracle import needs_litert
from emu.variants.compression import compress_few_valued
from emu.variants.device import device_build
from emu.variants.recipes import RECIPES, chosen_variants
from emu.variants.report import FILE_NAME, VariantRecord, write_variants_json
from emu.variants.scoring import score
from emu.variants.task import Task
from emu.variants.weights import weight_stats


@dataclass(frozen=True)
class Failure:
    variant: str
    reason: str


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


def attempt(task: Task, name: str, work: Path, reraise: bool = False) -> VariantRecord | Failure:
    """One variant made into `work`, or why it could not be (nothing of it left behind)."""
    try:
        return make_variant(task, name, work)
    except Exception as e:  # tfmot and the converter raise many types for a layer they refuse
        if reraise:
            raise
        shutil.rmtree(work / name, ignore_errors=True)
        return Failure(name, str(e) if isinstance(e, EmuError) else first_line(e))


def score_file(task: Task, model: bytes, out: Path) -> VariantRecord:
    """A model file as the user converted it, scored and written as the one variant of `out`,
    named after the file."""
    with staged(out) as work:
        record = describe_variant(task, task.name, model, work)
        write_variants_json(work, task_info(task), [record])
    return record


@contextmanager
def staged(out: Path):
    """A staging folder (emu.cache.staging), published as `out` when the block ends; a
    failure leaves nothing at `out`."""
    check_replaceable(out)
    with staging(out.parent, out.name) as work:
        yield work
        publish(work, out)


def make_variant(task: Task, name: str, folder: Path) -> VariantRecord:
    try:
        model = RECIPES[name](task)
        stored = on_device_form(model)
        return describe_variant(task, name, stored, folder, uncompressed=None if stored is model else model)
    except EmuError as e:
        raise EmuError(f"{task.name} {name}: {e}") from None


def on_device_form(model: bytes) -> bytes:
    """An integer model whose weights are few-valued (clustered) is stored LUT-compressed
    (emu/variants/compression.py); the file is still a model TFLM runs, with the same outputs."""
    if needs_litert(parse_model(model)):
        return model
    return compress_few_valued(model) or model


def describe_variant(task: Task, name: str, model: bytes, folder: Path,
                     uncompressed: bytes | None = None) -> VariantRecord:
    """Write the variant and measure it: host metric, weights, whether the device takes it.
    `uncompressed`: the model before LUT compression, kept beside it for reference."""
    relative = Path(name) / f"{task.name}.tflite"  # the file stem is the model name bench reports
    (folder / name).mkdir()
    atomic_write(folder / relative, model)
    beside = None
    if uncompressed is not None:
        beside = Path(name) / f"{task.name}.uncompressed.tflite"
        atomic_write(folder / beside, uncompressed)
    graph = parse_model(model, name=task.name)
    result = score(model, task.kind, task.data.x_test, task.data.y_test,
                   task.classes if task.kind == "classifier" else 0)
    weights = weight_stats(graph)
    blocker, compiled = device_build(graph)
    return VariantRecord(
        model=task.name, variant=name, file=relative.as_posix(), kind=task.kind, metric=result.metric,
        value=result.value, reference=result.reference, confusion_matrix=result.confusion_matrix,
        file_bytes=len(model), weight_count=weights.count, weight_sparsity=weights.sparsity,
        unique_weight_values=weights.unique_per_channel,
        weight_dtypes=sorted({layer.dtype for layer in weights.layers}), runs_on_device=blocker is None,
        not_runnable_reason=None if blocker is None else f"not runnable on the device: {blocker}",
        model_sha256=graph.sha256, layers=[layer.to_dict() for layer in weights.layers],
        note=conversion_note(name, weights),
        weight_format=compiled.weight_format if compiled else None,
        weight_flash_bytes=compiled.filter_bytes if compiled else None,
        constant_flash_bytes=compiled.weight_bytes if compiled else None,
        uncompressed_file=beside.as_posix() if beside else None,
    )


def conversion_note(name: str, weights) -> str | None:
    float_layers = [layer for layer in weights.layers if layer.dtype == "float32"]
    if name == "dynamic-int8" and float_layers:
        return (f"{len(float_layers)} of {len(weights.layers)} weight tensors stayed float32: dynamic-range "
                f"quantization leaves tensors of fewer than 1024 values as they are")
    return None


def task_info(task: Task) -> dict:
    info = {"model": task.name, "kind": task.kind, "metric": task.metric, "source": task.source,
            "seed": task.seed, "train_samples": len(task.data.x_train), "test_samples": len(task.data.x_test)}
    if task.kind == "classifier":
        info["classes"] = task.classes
    return info


def describe(r: VariantRecord) -> str:
    shown = f"{r.value:.1%}" if r.metric == "accuracy" else f"{r.value:.4f}"
    device = "runs on the device" if r.runs_on_device else r.not_runnable_reason
    note = f" ({r.note})" if r.note else ""
    return (f"{r.variant}: {r.file_bytes:,} bytes, {r.metric} {shown} ({r.reference}), "
            f"{r.weight_sparsity:.0%} zero weights; {device}{note}")


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
