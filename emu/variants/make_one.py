"""One variant of a task: made by its recipe, stored in the form the device reads, scored
on the host, its weights described and the device compiler tried on it. Used by a serial
run (emu.variants.make) and by each worker process (emu.variants.parallel) alike.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from emu.cache import atomic_write
from emu.errors import EmuError
from emu.model.oracle import needs_litert
from emu.model.reader import parse_model
from emu.variants.compression import compress_few_valued
from emu.variants.device import device_build
from emu.variants.messages import tf_first_line
from emu.variants.recipes import recipe_for
from emu.variants.report import VariantRecord
from emu.variants.scoring import Score, score, score_outputs
from emu.variants.task import METRICS, Task
from emu.variants.weights import weight_stats


@dataclass(frozen=True)
class Failure:
    variant: str
    reason: str


def attempt(task: Task, name: str, work: Path, reraise: bool = False) -> VariantRecord | Failure:
    """One variant made into `work`, or why it could not be (nothing of it left behind)."""
    try:
        return make_variant(task, name, work)
    except Exception as e:  # tfmot and the converter raise many types for a layer they refuse
        if reraise:
            raise
        shutil.rmtree(work / name, ignore_errors=True)
        return Failure(name, str(e) if isinstance(e, EmuError) else tf_first_line(e))


def make_variant(task: Task, name: str, folder: Path) -> VariantRecord:
    try:
        model = recipe_for(name)(task)
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
    if task.several_outputs:
        return describe_several(task, name, model, relative, beside, graph)
    result = score(model, task.kind, task.data.x_test, task.data.y_test,
                   task.classes if task.kind == "classifier" else 0, y_train=task.data.y_train)
    return variant_record(task, name, model, relative, beside, graph, result)


def describe_several(task: Task, name: str, model: bytes, relative: Path, beside: Path | None,
                     graph) -> VariantRecord:
    """A model with several outputs: each scored by its kind; the record's headline metric is
    output 0's, `metrics` names every output's, and the variant is collapsed if any output is."""
    scores = score_outputs(model, task.kinds, task.data.x_test, task.data.labels("test"),
                           [task.classes_of(i) for i in range(len(task.kinds))], task.data.labels("train"))
    collapsed = "; ".join(f"output {i}: {s.collapsed}" for i, s in enumerate(scores) if s.collapsed)
    headline = replace(scores[0], collapsed=collapsed or None)
    return replace(variant_record(task, name, model, relative, beside, graph, headline),
                   metrics={f"out{i} {s.metric}": s.value for i, s in enumerate(scores)},
                   confusion_matrices={f"out{i}": s.confusion_matrix for i, s in enumerate(scores)
                                       if s.confusion_matrix is not None} or None)


def variant_record(task: Task, name: str, model: bytes, relative: Path, beside: Path | None, graph,
                   result: Score) -> VariantRecord:
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
        collapsed=result.collapsed,
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
    if task.several_outputs:
        info["outputs"] = [{"output": i, "kind": kind, "metric": METRICS[kind],
                            **({"classes": task.classes_of(i)} if kind == "classifier" else {})}
                           for i, kind in enumerate(task.kinds)]
    elif task.kind == "classifier":
        info["classes"] = task.classes
    return info
