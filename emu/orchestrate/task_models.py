"""Models a scenario names by task: made by emu.variants (trained here, converted to each
variant, scored on held-out data), and remembered by content so a second run of the
same scenario skips training.

The cache holds the whole variants folder (variants.json and one .tflite per variant),
keyed by task, seed, variant names, the emu.variants and emu sources and TensorFlow's
version; it is assembled in a temporary folder and renamed into place when complete.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Callable

import emu
from emu import cache
from emu.decide.quality import VariantQuality, qualities_from_document
from emu.errors import EmuError
from emu.results.record import read_json_file

EMU_PACKAGE = Path(emu.__file__).resolve().parent


@dataclass(frozen=True)
class ModelFile:
    path: Path
    variant: str
    quality: VariantQuality | None = None
    # Why the device cannot run it (a hybrid variant), "" when it can; such a file is not
    # measured but is a row "not runnable" on every board, named by its sha256.
    not_runnable: str = ""
    sha256: str = ""


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return f"{dist} missing"


@dataclass(frozen=True)
class Trained:
    """What a scenario trains here: a built-in task, or a user's Keras model with its data."""

    task: str | None = None
    model: Path | None = None
    data: Path | None = None
    kind: str = "auto"
    seed: int = 0
    settings: tuple = ()  # training settings changed, (name, value) pairs (emu.variants.task.Training)

    @property
    def name(self) -> str:
        return self.task or self.model.stem

    def source(self):
        from emu.variants.parallel import TaskSource

        if self.task:
            return TaskSource(builtin=self.task, seed=self.seed, settings=self.settings)
        return TaskSource(model=self.model, data=self.data, kind=self.kind, seed=self.seed, settings=self.settings)


def task_key(trained: Trained, variants: list[str]) -> str:
    h = hashlib.sha256()
    for part in (trained.task or "", ",".join(variants), str(trained.seed), repr(sorted(trained.settings)),
                 trained.kind, emu.__version__, _version("tensorflow-cpu"), _version("tf-keras"),
                 _version("tflite-micro")):
        h.update(part.encode() + b"\0")
    for path in (trained.model, trained.data):  # a user's files by content: a new model is trained anew
        if path is not None:
            h.update(path.read_bytes() + b"\0")
    for path in sorted((EMU_PACKAGE / "variants").rglob("*.py")) + sorted((EMU_PACKAGE / "model").rglob("*.py")):
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:32]


def make_task_folder(trained: Trained, variants: list[str], folder: Path, progress: Callable[[str], None],
                     workers: int | None = None) -> None:
    try:
        from emu.results.sweep import default_jobs
        from emu.variants.make import make_variants
    except ImportError as e:
        raise EmuError(f"scenario tasks need emu.variants, which is not usable here: {e}") from None
    what = f"task {trained.task}" if trained.task else f"{trained.model.name} on {trained.data.name}"
    progress(f"training {what} (seed {trained.seed}) and making variants {', '.join(variants) or 'all'}")
    make_variants(trained.source(), folder, variants or None, progress=progress, workers=workers or default_jobs())


def cached_task_folder(trained: Trained, variants: list[str], use_cache: bool, progress: Callable[[str], None],
                       workers: int | None = None) -> Path:
    root = cache.root() / "tasks"
    final = root / task_key(trained, variants)
    if use_cache and cache.entry(final) is not None:
        return final
    with cache.staging(root, final.name) as work:
        make_task_folder(trained, variants, work / "variants", progress, workers)
        cache.publish(work / "variants", final, replace=True)  # --no-cache: replace the old copy
    return final


def task_models(trained: Trained | str, variants: list[str], out: Path, use_cache: bool = True,
                progress: Callable[[str], None] = lambda m: None, notes: list[str] | None = None,
                workers: int | None = None) -> list[ModelFile]:
    """The variants of a built-in task (by name) or of a user's Keras model, made here or
    taken from the cache; `workers`: processes that make them when they are not cached
    (default: one per core)."""
    trained = Trained(task=trained) if isinstance(trained, str) else trained
    folder = cached_task_folder(trained, variants, use_cache, progress, workers)
    copy = out / trained.name
    if copy.is_symlink() or copy.is_file():
        copy.unlink()  # replaced, never followed
    shutil.rmtree(copy, ignore_errors=True)
    # The run's folder keeps the exact models it measured (the cache's seal stays in the cache).
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(cache.MANIFEST))
    doc = read_json_file(copy / "variants.json", "variants file")
    qualities = {q.variant: q for q in qualities_from_document(doc, str(copy / "variants.json"))}
    files = []
    for entry in doc["variants"]:
        if not entry.get("runs_on_device", True):
            reason = entry.get("not_runnable_reason") or "not runnable on the device"
            if notes is not None:
                notes.append(f"skipped {entry['model']} ({entry['variant']}): {reason}")
            files.append(ModelFile(copy / entry["file"], entry["variant"], qualities[entry["variant"]],
                                   reason.removeprefix("not runnable on the device: "), entry["model_sha256"]))
            continue
        files.append(ModelFile(copy / entry["file"], entry["variant"], qualities[entry["variant"]]))
    return files

