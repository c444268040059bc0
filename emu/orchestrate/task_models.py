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


def task_key(task: str, variants: list[str], seed: int, settings: tuple = ()) -> str:
    h = hashlib.sha256()
    for part in (task, ",".join(variants), str(seed), repr(sorted(settings)), emu.__version__,
                 _version("tensorflow-cpu"), _version("tf-keras"), _version("tflite-micro")):
        h.update(part.encode() + b"\0")
    for path in sorted((EMU_PACKAGE / "variants").rglob("*.py")) + sorted((EMU_PACKAGE / "model").rglob("*.py")):
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:32]


def make_task_folder(task: str, variants: list[str], seed: int, folder: Path, progress: Callable[[str], None],
                     workers: int | None = None, settings: tuple = ()) -> None:
    try:
        from emu.results.sweep import default_jobs
        from emu.variants.make import make_variants
        from emu.variants.parallel import TaskSource
    except ImportError as e:
        raise EmuError(f"scenario tasks need emu.variants, which is not usable here: {e}") from None
    progress(f"training task {task} (seed {seed}) and making variants {', '.join(variants) or 'all'}")
    make_variants(TaskSource(builtin=task, seed=seed, settings=settings), folder, variants or None, progress=progress,
                  workers=workers or default_jobs())


def cached_task_folder(task: str, variants: list[str], seed: int, use_cache: bool,
                       progress: Callable[[str], None], workers: int | None = None, settings: tuple = ()) -> Path:
    root = cache.root() / "tasks"
    final = root / task_key(task, variants, seed, settings)
    if use_cache and cache.entry(final) is not None:
        return final
    with cache.staging(root, final.name) as work:
        make_task_folder(task, variants, seed, work / "variants", progress, workers, settings)
        cache.publish(work / "variants", final, replace=True)  # --no-cache: replace the old copy
    return final


def task_models(task: str, variants: list[str], out: Path, seed: int = 0, use_cache: bool = True,
                progress: Callable[[str], None] = lambda m: None, notes: list[str] | None = None,
                workers: int | None = None, settings: tuple = ()) -> list[ModelFile]:
    """`workers`: processes that make the variants when they are not cached (default: one per core);
    `settings`: (name, value) pairs that change how they train (emu.variants.task.Training)."""
    folder = cached_task_folder(task, variants, seed, use_cache, progress, workers, settings)
    copy = out / task
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

