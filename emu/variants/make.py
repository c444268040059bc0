"""The variants stage: make every chosen variant of a task, score it on the host, describe
its weights, check whether the device compiler takes it, and publish the folder whole.

Everything is written into a staging folder (emu.cache.staging) and renamed into place at
the end, so a failure at any point leaves no partial variants behind.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

from emu.cache import atomic_write, ensure_folder, staging
from emu.console import say
from emu.errors import EmuError
from emu.model.reader import parse_model
from emu.variants.device import device_blocker
from emu.variants.recipes import RECIPES, chosen_variants
from emu.variants.report import FILE_NAME, VariantRecord, write_variants_json
from emu.variants.scoring import score
from emu.variants.task import Task
from emu.variants.weights import weight_stats


def make_variants(task: Task, out: Path, names: list[str] | None = None,
                  progress: Callable[[str], None] = say) -> list[VariantRecord]:
    chosen = chosen_variants(names)
    check_replaceable(out)
    with staging(out.parent, out.name) as work:
        records = []
        for name in chosen:
            progress(f"  {name} ...")
            records.append(make_variant(task, name, work))
            progress(f"  {describe(records[-1])}")
        write_variants_json(work, task_info(task), records)
        publish(work, out)
    return records


def make_variant(task: Task, name: str, folder: Path) -> VariantRecord:
    try:
        return describe_variant(task, name, RECIPES[name](task), folder)
    except EmuError as e:
        raise EmuError(f"{task.name} {name}: {e}") from None


def describe_variant(task: Task, name: str, model: bytes, folder: Path) -> VariantRecord:
    """Write the variant and measure it: host metric, weights, whether the device takes it."""
    relative = Path(name) / f"{task.name}.tflite"  # the file stem is the model name bench reports
    (folder / name).mkdir()
    atomic_write(folder / relative, model)
    graph = parse_model(model, name=task.name)
    result = score(model, task.kind, task.data.x_test, task.data.y_test,
                   task.classes if task.kind == "classifier" else 0)
    weights = weight_stats(graph)
    blocker = device_blocker(graph)
    return VariantRecord(
        model=task.name, variant=name, file=relative.as_posix(), kind=task.kind, metric=result.metric,
        value=result.value, reference=result.reference, confusion_matrix=result.confusion_matrix,
        file_bytes=len(model), weight_count=weights.count, weight_sparsity=weights.sparsity,
        unique_weight_values=weights.unique_per_channel,
        weight_dtypes=sorted({layer.dtype for layer in weights.layers}), runs_on_device=blocker is None,
        not_runnable_reason=None if blocker is None else f"not runnable on the device: {blocker}",
        model_sha256=graph.sha256, layers=[layer.to_dict() for layer in weights.layers],
        note=conversion_note(name, weights),
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
