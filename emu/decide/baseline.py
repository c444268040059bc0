"""The baseline the gate compares with: result records, merged row by row on update."""

from __future__ import annotations

import json
from pathlib import Path

import emu
from emu.cache import atomic_write
from emu.results.record import Result, load_results, result_key


def merge(old: list[Result], fresh: list[Result]) -> list[Result]:
    """Fresh rows replace old rows of the same (model, variant, board); other old rows stay."""
    by_key = {result_key(r): r for r in old}
    by_key.update({result_key(r): r for r in fresh})
    return [by_key[k] for k in sorted(by_key)]


def write_baseline(fresh: list[Result], path: Path, replace: bool = False) -> list[Result]:
    path = Path(path)
    rows = fresh if replace or not path.is_file() else merge(load_results(path), fresh)
    atomic_write(path, json.dumps({"emu_version": emu.__version__, "results": [r.to_dict() for r in rows]},
                                  indent=2) + "\n")
    return rows
