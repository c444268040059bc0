"""The Result record: one row per (model, variant, board), the value every later stage reads,
and its JSON form as `emu bench` writes it.

Plain data with no dependency on the compiler, the toolchain or the emulator, so that
decisions, reports and gates can load results without importing any of them.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, Strict, TypeAdapter, with_config

from emu.cache import atomic_write
from emu.configs import Count, Figure, Finite, Flag, Text, read_json, validated
from emu.errors import EmuError
from emu.platforms import MAX_CLOCK_HZ

# The flat columns of a result (README.md, result fields); CSV has these, JSON has them plus `layers`.
COLUMNS = ("model", "model_sha256", "variant", "platform", "core", "fpu", "clock_hz", "kernels",
           "instructions", "cycles", "latency_ms", "energy_uj", "flash_bytes", "ram_bytes",
           "arena_bytes", "stack_bytes", "output_matches_reference", "status", "reason", "energy_basis",
           "energy_source", "quality", "collapsed", "objective")

# What a row is: a measurement, or why a variant has none on a board (README.md, result fields).
MEASURED = "measured"
STATUSES = (MEASURED, "does not fit", "not runnable")
# The figures only a measurement gives: None on a row that does not fit or cannot run.
MEASURED_FIELDS = ("instructions", "cycles", "latency_ms", "energy_uj", "flash_bytes", "ram_bytes",
                   "arena_bytes", "stack_bytes")

# How a results file is checked when it is read (load_results): every field of its kind
# (strict: a cycle count written "12" is refused), counts and figures non-negative and finite,
# fields this version does not know ignored.
_CHECKED = ConfigDict(allow_inf_nan=False, extra="ignore")
Clock = Annotated[int, Strict(), Field(gt=0, le=MAX_CLOCK_HZ)]
Percent = Annotated[float, Strict(), Field(ge=0, le=1000, allow_inf_nan=False)]


@with_config(_CHECKED)
@dataclass
class LayerResult:
    index: Count
    op: Text
    instructions: Count
    cycles: Count
    path: Text = ""  # the kernel form that ran, e.g. "conv_2d/1x1-dsp" (empty in older files)
    macs: Count = 0  # multiply-accumulates, from the shapes (0: none, or an older file)
    # Why the portable kernel ran though the kernel set and core have a faster one for this
    # operator (emu/compile/codegen.py, Layer.fallback); empty otherwise, and in older files.
    fallback: Text = ""
    # The filter's form where the compiler had a choice of forms ("int8", "sparse-bitmap", "int8
    # expanded from lut4", ...) and the objective's reason (Layer.weight_format, .choice); empty
    # for layers without a choice, and in older files.
    weight_format: Text = ""
    choice: Text = ""

    @property
    def cycles_per_mac(self) -> float | None:
        return self.cycles / self.macs if self.macs else None


@with_config(_CHECKED)
@dataclass
class Result:
    """One row per (model, variant, platform): the fields other parts rely on (README.md, result fields)."""

    model: Text
    model_sha256: Text
    variant: Text
    platform: Text
    core: Text
    fpu: Flag
    clock_hz: Clock
    kernels: Text  # the kernel set, "reference" or "optimized" (emu/compile/kernel_set.py)
    # The measured figures: required on a measured row, None on one that does not fit or cannot run
    instructions: Count | None
    cycles: Count | None
    latency_ms: Figure | None
    energy_uj: Figure | None
    flash_bytes: Count | None
    ram_bytes: Count | None
    arena_bytes: Count | None
    stack_bytes: Count | None
    output_matches_reference: Flag | None
    layers: list[LayerResult] = field(default_factory=list)
    reference: Text = ""  # which interpreter the outputs were checked against
    code_bytes: Count = 0  # runtime and kernel code, without weights
    weight_bytes: Count = 0
    cycles_by_class: dict[Text, Count] = field(default_factory=dict)
    # The cycle model's stated uncertainty for this core, in percent (emu/timing/uncertainty.py)
    cycles_uncertainty_pct: Percent | None = None
    # Host quality of the variant, carried from variants.json by `emu bench`: {"accuracy": 0.97}
    quality: dict[Text, Finite] = field(default_factory=dict)
    # Why the variant is no better than a constant answer, carried from variants.json (emu.variants.collapse);
    # "" when it is not collapsed. Decisions list such a row and never choose it.
    collapsed: Text = ""
    # "measured", or why there is no measurement: "does not fit" (reason: "needs N B of RAM, board
    # has M B") or "not runnable" (reason: what the compiler refused). Files written before rows
    # had a status hold measurements only.
    status: Literal["measured", "does not fit", "not runnable"] = MEASURED
    reason: Text = ""
    # Whether energy_uj rests on the board's sourced or assumed power figures (its file's
    # power_basis), and where they are discussed (a section of docs/sources.md); None in files
    # written before results carried it, and on rows that are not measured.
    energy_basis: Literal["sourced", "assumed"] | None = None
    energy_source: Text = ""
    # What the weight formats were chosen for (emu/compile/objective.py, `--optimize`); files
    # written before results carried it were built for latency or, before that, for flash.
    objective: Text = "latency"

    def __post_init__(self):
        if self.status == MEASURED:
            absent = [name for name in MEASURED_FIELDS if getattr(self, name) is None]
            if absent:
                raise ValueError(f"a measured row needs {', '.join(absent)} (or a status saying why it has none)")
        elif not self.reason:
            raise ValueError(f"a row that is '{self.status}' needs its reason")

    @property
    def measured(self) -> bool:
        return self.status == MEASURED

    def to_dict(self) -> dict:
        return asdict(self)


def unmeasured_result(model: str, model_sha256: str, variant: str, platform, kernels: str, status: str,
                      reason: str, objective: str = "latency") -> Result:
    """The row of a variant with no measurement on a board (platform: an emu.platforms.Platform):
    the board's fields, no figures, the status and its reason."""
    return Result(model=model, model_sha256=model_sha256, variant=variant, platform=platform.name,
                  core=platform.core, fpu=platform.fpu, clock_hz=platform.clock_hz, kernels=kernels,
                  instructions=None, cycles=None, latency_ms=None, energy_uj=None, flash_bytes=None,
                  ram_bytes=None, arena_bytes=None, stack_bytes=None, output_matches_reference=None,
                  status=status, reason=reason, objective=objective)


def measured(results: list[Result]) -> list[Result]:
    """The rows that carry a measurement."""
    return [r for r in results if r.measured]


@cache
def _rows() -> TypeAdapter:
    return TypeAdapter(list[Result])


@cache
def _row() -> TypeAdapter:
    return TypeAdapter(Result)


def result_from_dict(row: dict, where: str = "a result record") -> Result:
    """The inverse of Result.to_dict, checked like a results file; fields this version does not
    know are ignored."""
    return validated(_row(), row, where)


def read_json_file(path: Path, what: str):
    """A JSON file from anyone, read within bounds (emu.configs.read_json)."""
    return read_json(path, what)


def load_results(path: Path) -> list[Result]:
    """A results file: a list of records, or {"results": [...]} (as baselines are written), each
    record checked field by field; EmuError naming the file and the first bad field otherwise."""
    data = read_json(path, "a results file")
    prefix: tuple = ()
    if isinstance(data, dict) and "results" in data:
        data, prefix = data["results"], ("results",)
    if not isinstance(data, list):
        raise EmuError(f"{path}: not a list of result records (nor {{\"results\": [...]}})")
    return validated(_rows(), data, str(path), prefix)


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
        # the host quality as one cell: "accuracy=0.95"
        writer.writerow({**r.to_dict(), "quality": " ".join(f"{k}={v:g}" for k, v in r.quality.items())})
    atomic_write(Path(path), text.getvalue())
