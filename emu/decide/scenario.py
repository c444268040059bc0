"""Scenario files: which models, variants and boards to measure, under which constraints
and duty cycle, read from YAML into a plain Scenario value. See docs/decisions.md.

Relative paths (models, baseline) are looked up next to the scenario file first, then
from the current folder, so a scenario can name ../models/x.tflite either way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, model_validator

from emu.configs import read_yaml, validated
from emu.decide.battery import DutyCycle
from emu.decide.constraints import Constraints, LimitsFile, constraints_from_limits
from emu.decide.recommend import PREFERENCES
from emu.decide.tolerances import Tolerances, TolerancesFile
from emu.errors import EmuError, shown

KERAS_SUFFIXES = (".keras", ".h5")


@dataclass(frozen=True)
class ModelSource:
    """A task trained here (with its variants); a user's Keras model with its data, whose
    variants are made here too; or a .tflite file (one variant), scored with its data when
    given."""

    task: str | None = None
    path: Path | None = None
    data: Path | None = None  # the user's DATA.npz: a Keras model's training data, a .tflite file's test data
    kind: str = "auto"  # classifier, regression or anomaly; auto: inferred from the labels
    variants: tuple[str, ...] = ()
    metric: dict = field(default_factory=dict)  # known quality of a file model, e.g. {"accuracy": 0.84}
    optional: bool = False  # a file that may be absent: skipped with a note, not an error
    # a task's training settings changed, as (name, value) pairs (emu.variants.task.Training)
    training: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class GateSpec:
    baseline: Path
    tolerances: Tolerances
    junit: str = "junit.xml"  # written into the run's folder


@dataclass(frozen=True)
class ValidationSpec:
    """Run each task variant's test samples on each board (`emu validate`)."""

    samples: int | None = None  # the first N test samples; None: all of them


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
    jobs: int | None = None  # worker processes for the measurements (None: one per core)
    cluster: str | None = None  # a Dask scheduler's address to run them on instead
    compare_models: bool = False  # weigh different models against each other, not each on its own
    optimize: str = "latency"  # what the weight formats are chosen for (emu/compile/objective.py)
    validation: ValidationSpec | None = None


def resolve_path(text: str, folder: Path) -> Path:
    """Next to the scenario file if it is there, else as given (from the current folder)."""
    beside = folder / text
    return beside if beside.exists() or Path(text).is_absolute() else Path(text)


def _plain_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
        raise ValueError(f"'{shown(name)}' must be a plain folder name (letters, digits, . _ -)")
    return name


def _objective(name: str) -> str:
    # The objectives are the compiler's (one home for them); imported here, so that loading
    # this module does not load the compiler.
    from emu.compile.objective import OBJECTIVES

    if name not in OBJECTIVES:
        raise ValueError(f"must be {', '.join(repr(o) for o in OBJECTIVES[:-1])} or {OBJECTIVES[-1]!r} "
                         f"(got {name!r})")
    return name


class ModelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    task: str | None = None
    path: str | None = None
    variants: list[str] | None = None
    variant: str | None = None
    metric: dict[str, float] = {}  # known quality of a file model, e.g. {accuracy: 0.84}
    optional: bool = False
    # how a task's (or a Keras model's) variants train: epochs, patience, ... (docs/variants.md)
    training: dict[str, StrictInt | float | str] | None = None
    data: str | None = None  # DATA.npz for a Keras model (needed) or a .tflite file (to score it)
    kind: Literal["auto", "classifier", "regression", "anomaly"] = "auto"

    @model_validator(mode="after")
    def one_source(self):
        if (self.task is None) == (self.path is None):
            raise ValueError("each model needs either 'task: NAME' or 'path: FILE' (.tflite, .keras or .h5)")
        keras = self.path is not None and self.path.endswith(KERAS_SUFFIXES)
        if keras and self.data is None:
            raise ValueError(f"{shown(self.path)}: a Keras model needs its 'data: DATA.npz' to make variants from")
        if self.training is not None and not (self.task or keras):
            raise ValueError("'training' applies to a task or a Keras model, which are trained here; a .tflite "
                             "file is not")
        if self.task is not None and (self.data is not None or self.kind != "auto"):
            raise ValueError("'data' and 'kind' belong to a model file; a built-in task has its own")
        if self.variants is not None and not (self.task or keras):
            raise ValueError("'variants' are made from a task or a Keras model; a .tflite file is one 'variant'")
        return self


class DutyCycleSection(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    # Bounds far past any battery-powered device: a period of a century, a car battery's charge
    # a thousand times over, the same ceilings as a board file's voltage and current.
    period_s: float = Field(gt=0, le=100 * 365.25 * 86400)
    battery_mah: float = Field(gt=0, le=1e8)
    battery_v: float = Field(gt=0, le=60)
    sleep_current_ua: float | None = Field(None, ge=0, le=10_000_000)  # None: the board file's sleep current


class ValidateSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    samples: StrictInt | None = Field(None, ge=1)


class GateSection(TolerancesFile):
    baseline: str
    junit: str = "junit.xml"


PREFERENCE_NAMES = tuple(PREFERENCES)


class ScenarioFile(BaseModel):
    """What a scenario file may hold (docs/decisions.md, 'Scenario files')."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: Annotated[str, AfterValidator(_plain_name)] | None = None
    title: str | None = None
    description: str | None = None
    models: list[ModelEntry] = Field(min_length=1)
    boards: list[str] = Field(min_length=1)
    constraints: LimitsFile | None = None
    prefer: Literal[PREFERENCE_NAMES] = "energy"
    metric: str | None = None
    duty_cycle: DutyCycleSection | None = None
    gate: GateSection | None = None
    validate_: ValidateSection | None = Field(None, alias="validate")
    seed: StrictInt = Field(0, ge=0, lt=1 << 32)  # numpy's and TensorFlow's seeds are 32-bit
    jobs: StrictInt | None = Field(None, ge=1, le=1024)
    cluster: str | None = None  # e.g. tcp://scheduler:8786
    compare_models: bool = False
    optimize: Annotated[str, AfterValidator(_objective)] = "latency"


def _model_source(entry: ModelEntry, folder: Path) -> ModelSource:
    if entry.task is not None:
        variants = entry.variants or ([entry.variant] if entry.variant is not None else [])
        return ModelSource(task=entry.task, variants=tuple(variants), metric=dict(entry.metric),
                           training=tuple(sorted((entry.training or {}).items())))
    path = resolve_path(entry.path, folder)
    data = None if entry.data is None else resolve_path(entry.data, folder)
    if path.suffix in KERAS_SUFFIXES:
        variants = entry.variants or ([entry.variant] if entry.variant is not None else [])
        return ModelSource(path=path, data=data, kind=entry.kind, variants=tuple(variants),
                           optional=entry.optional, training=tuple(sorted((entry.training or {}).items())))
    return ModelSource(path=path, data=data, kind=entry.kind, variants=(entry.variant or path.stem,),
                       metric=dict(entry.metric), optional=entry.optional)


def _check_training(model: ModelSource, where: str) -> None:
    """A task's training settings checked when the file is read, before anything trains."""
    # the built-in tasks live in emu.variants, which needs TensorFlow: imported only for a task
    from emu.variants.builtin import builtin_training
    from emu.variants.task import training_with
    from emu.variants.userfile import FILE_TRAINING

    try:
        if model.task:
            builtin_training(model.task, dict(model.training))
        else:
            training_with(FILE_TRAINING, dict(model.training))
    except EmuError as e:
        raise EmuError(f"{where}: {'task ' + model.task if model.task else model.path.name}: {e}") from None


def quality_metric(metric: str | None, models: tuple[ModelSource, ...]) -> str:
    """The scenario's own choice, else what suits its first task (ROC AUC for an anomaly detector)."""
    if metric:
        return metric
    kinds = [m.kind for m in models if m.kind != "auto"]
    tasks = [m.task for m in models if m.task]
    if kinds and not tasks:
        from emu.variants.task import METRICS

        return METRICS[kinds[0]]
    if tasks:
        # the built-in tasks live in emu.variants, which needs TensorFlow: imported only for a task
        from emu.variants.builtin import builtin_spec
        from emu.variants.task import METRICS

        return METRICS[builtin_spec(tasks[0]).kind]
    return "accuracy"


def scenario_from_mapping(data: object, path: Path) -> Scenario:
    where = str(path)
    checked = validated(ScenarioFile, data, where)
    folder = path.parent
    models = tuple(_model_source(m, folder) for m in checked.models)
    for model in models:
        if model.training:
            _check_training(model, where)
    try:
        constraints = constraints_from_limits(checked.constraints, checked.boards,
                                              quality_metric(checked.metric, models))
    except EmuError as e:
        raise EmuError(f"{where}: {e}") from None
    duty = None if checked.duty_cycle is None else DutyCycle(**checked.duty_cycle.model_dump())
    if constraints.min_battery_days is not None and duty is None:
        raise EmuError(f"{where}: constraints.min_battery_days needs a duty_cycle")
    gate = None
    if checked.gate is not None:
        gate = GateSpec(folder / checked.gate.baseline, replace(Tolerances(), **checked.gate.given()),
                        checked.gate.junit)
    name = checked.name or path.stem
    if checked.name is None:
        try:
            _plain_name(name)
        except ValueError as e:
            raise EmuError(f"{where}: name {e}") from None
    return Scenario(
        name=name, title=checked.title or name, description=(checked.description or "").strip(),
        path=path, models=models, boards=tuple(checked.boards), constraints=constraints,
        prefer=checked.prefer, duty=duty, gate=gate, seed=checked.seed, jobs=checked.jobs,
        cluster=checked.cluster, compare_models=checked.compare_models, optimize=checked.optimize,
        validation=None if checked.validate_ is None else ValidationSpec(checked.validate_.samples))


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    return scenario_from_mapping(read_yaml(path), path)
