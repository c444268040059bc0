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

from emu.errors import EmuError
from emu.results.record import Result, read_json_file


@dataclass(frozen=True)
class VariantQuality:
    model: str
    variant: str
    metric: dict  # e.g. {"accuracy": 0.93} or {"roc_auc": 0.97, "rmse": 0.1}
    confusion_matrix: list | None = None
    class_names: list | None = None
    sha256: str = ""
    extra: dict = field(default_factory=dict)


def qualities_from_document(doc: dict, where: str) -> list[VariantQuality]:
    if not isinstance(doc, dict) or not isinstance(doc.get("variants"), list):
        raise EmuError(f"{where} is not a variants file (expected {{'model': ..., 'variants': [...]}})")
    model = str(doc.get("model") or (doc.get("task") or {}).get("model", ""))
    found = []
    for entry in doc["variants"]:
        if not isinstance(entry, dict) or "variant" not in entry:
            raise EmuError(f"{where}: every entry of 'variants' needs a 'variant' name")
        metric = entry.get("metric") or {}
        if isinstance(metric, str):  # one named metric and its value
            metric = {metric: entry.get("value")}
        if isinstance(entry.get("metrics"), dict):  # further metrics of the same variant
            metric = {**entry["metrics"], **metric}
        found.append(VariantQuality(
            model=str(entry.get("model", model)), variant=str(entry["variant"]),
            metric={k: v for k, v in metric.items() if isinstance(v, (int, float))},
            confusion_matrix=entry.get("confusion_matrix"),
            class_names=entry.get("class_names") or doc.get("class_names"),
            sha256=str(entry.get("sha256") or entry.get("model_sha256") or ""),
            extra={k: v for k, v in entry.items() if k not in ("metric", "metrics", "confusion_matrix", "layers")}))
    return found


def load_qualities(paths: list[Path]) -> list[VariantQuality]:
    found = []
    for path in paths:
        found += qualities_from_document(read_json_file(path, "variants file"), str(path))
    return found


def qualities_from_results(results: list[Result]) -> list[VariantQuality]:
    """The qualities `emu bench` carried into its results from variants.json, for decisions
    made without a variants file."""
    found = {}
    for r in results:
        if r.quality:
            found.setdefault((r.model, r.variant), VariantQuality(
                r.model, r.variant, {k: v for k, v in r.quality.items() if isinstance(v, (int, float))},
                sha256=r.model_sha256))
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
