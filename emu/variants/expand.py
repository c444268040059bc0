"""What `emu bench` measures for each path it is given: a variants folder becomes one
(path, variant) pair per variant the device can run; a .tflite file is (path, "model"). The
variants a folder lists as not runnable on the device (hybrid models) are named with their
reason by not_runnable_in, so that the results carry a row for each."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from emu.console import say
from emu.errors import EmuError
from emu.variants.report import FILE_NAME, read_variants_json


def expand_models(paths: Iterable[Path], on_skip: Callable[[str], None] = say) -> list[tuple[Path, str]]:
    pairs: list[tuple[Path, str]] = []
    for path in map(Path, paths):
        if path.is_dir():
            pairs.extend(variants_in(path, on_skip))
        elif path.is_file():
            pairs.append((path, "model"))
        else:
            raise EmuError(f"model file not found: {path}")
    return pairs


def variants_in(folder: Path, on_skip: Callable[[str], None]) -> list[tuple[Path, str]]:
    if not (folder / FILE_NAME).is_file():
        raise EmuError(f"{folder} is a folder without {FILE_NAME}: give .tflite files or a folder "
                       f"written by `emu variants`")
    pairs = []
    for record in read_variants_json(folder):
        path = folder / record.file
        if not record.runs_on_device:
            on_skip(f"skipping {record.model} ({record.variant}): {record.not_runnable_reason}")
        elif not path.is_file():
            raise EmuError(f"{path} is listed in {folder / FILE_NAME} but missing")
        else:
            pairs.append((path, record.variant))
    return pairs


def not_runnable_in(paths: Iterable[Path]) -> list[tuple[str, str, str, str]]:
    """(model name, model sha256, variant, reason) of each variant the variants folders among
    paths list as not runnable on the device; the name is its file's stem, as a measured row's."""
    from emu.model.reader import model_name

    found = []
    for path in map(Path, paths):
        if path.is_dir() and (path / FILE_NAME).is_file():
            found += [(model_name(path / r.file), r.model_sha256, r.variant,
                       (r.not_runnable_reason or "not runnable on the device").removeprefix(
                           "not runnable on the device: "))
                      for r in read_variants_json(path) if not r.runs_on_device]
    return found


def collapsed_in(paths: Iterable[Path]) -> dict[str, str]:
    """model sha256 -> why variants.json marks it collapsed, over the variants folders among paths."""
    return {record.model_sha256: record.collapsed for path in map(Path, paths)
            if path.is_dir() and (path / FILE_NAME).is_file()
            for record in read_variants_json(path) if record.collapsed}


def qualities_by_model(paths: Iterable[Path]) -> dict[str, dict]:
    """model sha256 -> the host metric variants.json records for it (and each output's, for a
    model with several), over the variants folders among paths, so that `emu bench` results
    carry their variant's quality."""
    found = {}
    for path in map(Path, paths):
        if path.is_dir() and (path / FILE_NAME).is_file():
            for record in read_variants_json(path):
                found[record.model_sha256] = {record.metric: record.value, **(record.metrics or {})}
    return found
