"""Result records as files: read the JSON `emu bench` writes back into Result values."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from emu.errors import EmuError
from emu.measure import LayerResult, Result

_RESULT_FIELDS = {f.name for f in fields(Result)}


def result_from_dict(row: dict) -> Result:
    """The inverse of Result.to_dict; fields this version does not know are ignored."""
    values = {k: v for k, v in row.items() if k in _RESULT_FIELDS}
    values["layers"] = [LayerResult(**layer) for layer in row.get("layers", [])]
    try:
        return Result(**values)
    except TypeError as e:
        raise EmuError(f"a result record lacks fields: {e}") from None


def read_json_file(path: Path, what: str):
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise EmuError(f"{what} not found: {path}") from None
    except (OSError, ValueError) as e:
        raise EmuError(f"cannot read {what} {path}: {e}") from None


def load_results(path: Path) -> list[Result]:
    """A results file: a list of records, or {"results": [...]} (as baselines are written)."""
    data = read_json_file(path, "results file")
    rows = data.get("results") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise EmuError(f"{path} is not a list of result records")
    return [result_from_dict(r) for r in rows]


def result_key(result: Result) -> tuple[str, str, str]:
    """What identifies a row across runs: the same model variant on the same board."""
    return (result.model, result.variant, result.platform)
