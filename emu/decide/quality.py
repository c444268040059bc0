"""Host-side quality of each variant (accuracy, ROC AUC, RMSE, confusion matrix), from
the variants.json files `emu variants` writes, joined to result rows by model and variant.

variants.json: {"task": {...}, "variants": [{"model": M, "variant": V, "metric": "accuracy",
"value": 0.97, "metrics": {"accuracy": 0.97, ...}, "confusion_matrix": [[...]], "model_sha256": ...},
...]}. A mapping of metrics ("metric": {"accuracy": 0.97}) is read too. Each metric carries its
direction (METRICS): accuracy and ROC AUC are better higher, RMSE and MAE lower. A row also matches on the model's
sha256, or on a file named `<model>_<variant>`, when the names alone do not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

from emu.configs import Count, Finite, Text, read_json, validated
from emu.errors import EmuError, shown
from emu.results.record import Result


@dataclass(frozen=True)
class VariantQuality:
    model: str
    variant: str
    metric: dict  # e.g. {"accuracy": 0.93} or {"roc_auc": 0.97, "rmse": 0.1}
    confusion_matrix: list | None = None
    class_names: list | None = None
    sha256: str = ""
    extra: dict = field(default_factory=dict)


Score = Finite | None  # a metric's value; null: not measured


def _square(matrix: list[list[int]] | None) -> list[list[int]] | None:
    if matrix is not None and any(len(row) != len(matrix) for row in matrix):
        raise ValueError(f"must be square, one row and one column per class (got {len(matrix)} rows of "
                         f"{sorted({len(row) for row in matrix})} columns)")
    return matrix


class QualityEntry(BaseModel):
    """One variant of a variants file: its name, its metric and, for classifiers, its confusion matrix."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    variant: Text
    model: Text | None = None
    metric: Text | dict[Text, Score] | None = None
    value: Score = None
    metrics: dict[Text, Score] | None = None
    confusion_matrix: Annotated[list[list[Count]], AfterValidator(_square)] | None = None
    class_names: list[Text] | None = None
    sha256: Text | None = None
    model_sha256: Text | None = None

    def scores(self) -> dict[str, float]:
        named = {self.metric: self.value} if isinstance(self.metric, str) else (self.metric or {})
        return {k: v for k, v in {**(self.metrics or {}), **named}.items() if v is not None}

    @model_validator(mode="after")
    def within_range(self):
        for name, value in self.scores().items():
            known = METRICS.get(name)
            if known is not None and (value < 0 or (known.higher_is_better and value > 1)):
                span = "from 0 to 1" if known.higher_is_better else "at least 0"
                raise ValueError(f"{name} must be {span} (got {value!r})")
        if self.confusion_matrix is not None and self.class_names is not None \
                and len(self.class_names) != len(self.confusion_matrix):
            raise ValueError(f"{len(self.class_names)} class_names for a confusion matrix of "
                             f"{len(self.confusion_matrix)} classes")
        return self


class TaskSection(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: Text | None = None


class QualityDocument(BaseModel):
    """A variants file as far as decisions read it (docs/decisions.md); other fields are kept out."""

    model_config = ConfigDict(extra="allow")

    variants: list[QualityEntry]
    model: Text | None = None
    task: TaskSection | None = None
    class_names: list[Text] | None = None


def qualities_from_document(doc: object, where: str) -> list[VariantQuality]:
    if not isinstance(doc, dict) or "variants" not in doc:
        raise EmuError(f"{where} is not a variants file (expected {{'model': ..., 'variants': [...]}})")
    checked = validated(QualityDocument, doc, where)
    model = checked.model or (checked.task.model if checked.task else None) or ""
    found = []
    for entry in checked.variants:
        if entry.confusion_matrix is not None and entry.class_names is None and checked.class_names is not None \
                and len(checked.class_names) != len(entry.confusion_matrix):
            raise EmuError(f"{where}: class_names: {len(checked.class_names)} names for a confusion matrix "
                           f"of {len(entry.confusion_matrix)} classes (variant {shown(entry.variant)})")
        found.append(VariantQuality(
            model=entry.model if entry.model is not None else model, variant=entry.variant,
            metric=entry.scores(), confusion_matrix=entry.confusion_matrix,
            class_names=entry.class_names or checked.class_names,
            sha256=entry.sha256 or entry.model_sha256 or "",
            extra={k: v for k, v in entry.model_dump().items()
                   if k not in ("metric", "metrics", "confusion_matrix", "layers")}))
    return found


def load_qualities(paths: list[Path]) -> list[VariantQuality]:
    found = []
    for path in paths:
        found += qualities_from_document(read_json(path, "a variants file"), str(path))
    return found


def qualities_from_results(results: list[Result]) -> list[VariantQuality]:
    """The qualities `emu bench` carried into its results from variants.json, for decisions
    made without a variants file."""
    found = {}
    for r in results:
        if r.quality:
            found.setdefault((r.model, r.variant), VariantQuality(
                r.model, r.variant, {k: v for k, v in r.quality.items() if isinstance(v, (int, float))},
                sha256=r.model_sha256, extra={"collapsed": r.collapsed} if r.collapsed else {}))
    return list(found.values())


def quality_for(result: Result, qualities: list[VariantQuality]) -> VariantQuality | None:
    for q in qualities:
        if (q.model, q.variant) == (result.model, result.variant):
            return q
    for q in qualities:
        if q.sha256 and q.sha256 == result.model_sha256:
            return q
    for q in qualities:
        if result.model == f"{q.model}_{q.variant}":
            return q
    return None


@dataclass(frozen=True)
class Metric:
    """A quality measure and the direction in which it is better."""

    name: str
    title: str
    higher_is_better: bool
    percent: bool = False  # shown as a percentage (a share of samples)


METRICS = {m.name: m for m in (
    Metric("accuracy", "accuracy", True, percent=True),
    Metric("roc_auc", "ROC AUC", True),
    Metric("rmse", "RMSE", False),
    Metric("mae", "MAE", False),
)}
# The order a metric is chosen in when the variants files offer several.
PREFERRED = ("accuracy", "roc_auc", "rmse", "mae")
_ERROR_WORDS = ("error", "loss", "mse", "rmse", "mae")


def metric_info(name: str) -> Metric:
    """Known metrics by name; another name is an error measure when it says so ('loss', 'mse', ...)."""
    if name in METRICS:
        return METRICS[name]
    lower = name.lower()
    return Metric(name, name, not any(word in lower for word in _ERROR_WORDS))


def higher_is_better(name: str) -> bool:
    return metric_info(name).higher_is_better


def format_quality(metric: str, value: float) -> str:
    return f"{value:.1%}" if metric_info(metric).percent else f"{value:.3f}"


def metric_name(metric: str) -> str:
    return metric_info(metric).title


def infer_metric(qualities: list[VariantQuality], want_error: bool = False) -> str:
    """The metric every variant has, in the PREFERRED order (an error measure first when a maximum
    error is asked for); 'accuracy' when there are no qualities to choose from."""
    if not qualities:
        return "rmse" if want_error else "accuracy"
    shared = set.intersection(*(set(q.metric) for q in qualities))
    if not shared:
        raise EmuError("the variants files share no quality metric (give --metric)")
    ranked = [m for m in PREFERRED if m in shared] + sorted(shared - set(PREFERRED))
    if want_error:
        ranked.sort(key=higher_is_better)  # stable: error measures first, in their order
    return ranked[0]
