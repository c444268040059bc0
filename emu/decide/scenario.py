"""Scenario files: which models, variants and boards to measure, under which constraints
and duty cycle, read from YAML into a plain Scenario value. See docs/decisions.md.

Relative paths (models, baseline) are looked up next to the scenario file first, then
from the current folder, so a scenario can name ../models/x.tflite either way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from emu.decide.battery import DutyCycle
from emu.decide.constraints import Constraints, constraints_from_mapping
from emu.decide.recommend import PREFERENCES
from emu.decide.tolerances import Tolerances
from emu.errors import EmuError

TOP_KEYS = ("name", "title", "description", "models", "boards", "constraints", "prefer", "metric",
            "duty_cycle", "gate", "seed")


@dataclass(frozen=True)
class ModelSource:
    """A task trained here (with its variants), or a .tflite file (one variant)."""

    task: str | None = None
    path: Path | None = None
    variants: tuple[str, ...] = ()
    metric: dict = field(default_factory=dict)  # known quality of a file model, e.g. {"accuracy": 0.84}
    optional: bool = False  # a file that may be absent: skipped with a note, not an error


@dataclass(frozen=True)
class GateSpec:
    baseline: Path
    tolerances: Tolerances
    junit: str = "junit.xml"  # written into the run's folder


@dataclass(frozen=True)
class Scenario:
    name: str  # the run's folder under reports/
    title: str
    description: str
    path: Path
    models: tuple[ModelSource, ...]
    boards: tuple[str, ...]
    constraints: Constraints
    prefer: str = "energy"
    duty: DutyCycle | None = None
    gate: GateSpec | None = None
    seed: int = 0


def resolve_path(text: str, folder: Path) -> Path:
    """Next to the scenario file if it is there, else as given (from the current folder)."""
    beside = folder / text
    return beside if beside.exists() or Path(text).is_absolute() else Path(text)


def _model_source(entry, where: str, folder: Path) -> ModelSource:
    if not isinstance(entry, dict) or ("task" in entry) == ("path" in entry):
        raise EmuError(f"{where}: each model needs either 'task: NAME' or 'path: FILE.tflite'")
    unknown = set(entry) - {"task", "path", "variants", "variant", "metric", "optional"}
    if unknown:
        raise EmuError(f"{where}: unknown model key(s) {', '.join(sorted(unknown))}")
    metric = entry.get("metric") or {}
    if not isinstance(metric, dict):
        raise EmuError(f"{where}: 'metric' must be a mapping such as {{accuracy: 0.9}}")
    if "task" in entry:
        variants = entry.get("variants") or ([entry["variant"]] if "variant" in entry else [])
        return ModelSource(task=str(entry["task"]), variants=tuple(map(str, variants)), metric=metric)
    path = resolve_path(str(entry["path"]), folder)
    return ModelSource(path=path, variants=(str(entry.get("variant", path.stem)),), metric=metric,
                       optional=bool(entry.get("optional", False)))


def _duty_cycle(data, where: str) -> DutyCycle | None:
    if data is None:
        return None
    keys = {"period_s", "battery_mah", "battery_v", "sleep_current_ua"}
    if not isinstance(data, dict) or not {"period_s", "battery_mah", "battery_v"} <= set(data) or set(data) - keys:
        raise EmuError(f"{where}: duty_cycle needs period_s, battery_mah, battery_v (and optionally sleep_current_ua)")
    try:
        values = {k: None if data.get(k) is None else float(data[k]) for k in keys}
    except (TypeError, ValueError):
        raise EmuError(f"{where}: duty_cycle values must be numbers") from None
    return DutyCycle(**values)


def _gate(data, where: str, folder: Path) -> GateSpec | None:
    if data is None:
        return None
    if not isinstance(data, dict) or "baseline" not in data:
        raise EmuError(f"{where}: gate needs 'baseline: FILE' (and optionally cycles, ram, flash tolerances)")
    tolerances = Tolerances().updated({k: v for k, v in data.items() if k not in ("baseline", "junit")}, where)
    return GateSpec(folder / str(data["baseline"]), tolerances, str(data.get("junit", "junit.xml")))


def quality_metric(data: dict, models: tuple[ModelSource, ...]) -> str:
    """The scenario's own choice, else what suits its first task (ROC AUC for an anomaly detector)."""
    if data.get("metric"):
        return str(data["metric"])
    tasks = [m.task for m in models if m.task]
    if tasks:
        from emu.decide.task_models import task_metric

        return task_metric(tasks[0])
    return "accuracy"


def scenario_from_mapping(data: dict, path: Path) -> Scenario:
    where = str(path)
    if not isinstance(data, dict):
        raise EmuError(f"{where} is not a mapping (see docs/decisions.md for the scenario format)")
    unknown = set(data) - set(TOP_KEYS)
    if unknown:
        raise EmuError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(TOP_KEYS)})")
    if not data.get("models") or not isinstance(data["models"], list):
        raise EmuError(f"{where}: 'models' must list at least one model")
    boards = data.get("boards") or []
    if not boards or not isinstance(boards, list):
        raise EmuError(f"{where}: 'boards' must list at least one board")
    prefer = str(data.get("prefer", "energy"))
    if prefer not in PREFERENCES:
        raise EmuError(f"{where}: prefer must be one of {', '.join(PREFERENCES)}")
    folder = path.parent
    duty = _duty_cycle(data.get("duty_cycle"), where)
    models = tuple(_model_source(m, where, folder) for m in data["models"])
    constraints = constraints_from_mapping(
        {**(data.get("constraints") or {}), "boards": boards, "metric": quality_metric(data, models)}, where)
    if constraints.min_battery_days is not None and duty is None:
        raise EmuError(f"{where}: min_battery_days needs a duty_cycle")
    name = str(data.get("name") or path.stem)
    if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
        raise EmuError(f"{where}: name '{name}' must be a plain folder name (letters, digits, . _ -)")
    return Scenario(
        name=name, title=str(data.get("title") or name), description=str(data.get("description") or "").strip(),
        path=path, models=models,
        boards=tuple(map(str, boards)), constraints=constraints, prefer=prefer,
        duty=duty, gate=_gate(data.get("gate"), where, folder),
        seed=int(data.get("seed", 0)))


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise EmuError(f"scenario file not found: {path}") from None
    except (OSError, yaml.YAMLError) as e:
        raise EmuError(f"cannot read scenario {path}: {str(e).splitlines()[0]}") from None
    return scenario_from_mapping(data, path)
