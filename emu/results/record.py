"""The Result record: one row per (model, variant, board), the value every later stage reads,
and its JSON form as `emu bench` writes it.

Plain data with no dependency on the compiler, the toolchain or the emulator, so that
decisions, reports and gates can load results without importing any of them.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from emu.cache import atomic_write
from emu.errors import EmuError

# The flat columns of a result (README.md, result fields); CSV has these, JSON has them plus `layers`.
COLUMNS = ("model", "model_sha256", "variant", "platform", "core", "fpu", "clock_hz", "kernels",
           "instructions", "cycles", "latency_ms", "energy_uj", "flash_bytes", "ram_bytes",
           "arena_bytes", "stack_bytes", "output_matches_reference")

@dataclass
class LayerResult:
    index: int
    op: str
    instructions: int
    cycles: int
    path: str = ""  # the kernel form that ran, e.g. "conv_2d/1x1-dsp" (empty in older files)
    macs: int = 0  # multiply-accumulates, from the shapes (0: none, or an older file)

    @property
    def cycles_per_mac(self) -> float | None:
        return self.cycles / self.macs if self.macs else None


@dataclass
class Result:
    """One row per (model, variant, platform): the fields other parts rely on (README.md, result fields)."""

    model: str
    model_sha256: str
    variant: str
    platform: str
    core: str
    fpu: bool
    clock_hz: int
    kernels: str  # the kernel set, "reference" or "optimized" (emu/compile/kernel_set.py)
    instructions: int
    cycles: int
    latency_ms: float
    energy_uj: float
    flash_bytes: int
    ram_bytes: int
    arena_bytes: int
    stack_bytes: int
    output_matches_reference: bool | None
    layers: list[LayerResult] = field(default_factory=list)
    reference: str = ""  # which interpreter the outputs were checked against
    code_bytes: int = 0  # runtime and kernel code, without weights
    weight_bytes: int = 0
    cycles_by_class: dict = field(default_factory=dict)
    # The cycle model's stated uncertainty for this core, in percent (emu/timing/uncertainty.py)
    cycles_uncertainty_pct: float | None = None
    # Host quality of the variant, carried from variants.json by `emu bench`: {"accuracy": 0.97}
    quality: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


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


def write_json(results: list[Result], path: Path) -> None:
    atomic_write(Path(path), json.dumps([r.to_dict() for r in results], indent=2) + "\n")


def write_csv(results: list[Result], path: Path) -> None:
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for r in results:
        writer.writerow(r.to_dict())
    atomic_write(Path(path), text.getvalue())
