"""Host-side quality of each variant (accuracy, ROC AUC, RMSE, confusion matrix), from
the variants.json files `emu variants` writes, joined to result rows by model and variant.

variants.json: {"task": {...}, "variants": [{"model": M, "variant": V, "metric": "accuracy",
"value": 0.97, "confusion_matrix": [[...]], "model_sha256": ...}, ...]}. A mapping of
metrics ("metric": {"accuracy": 0.97}) is read too. A row also matches on the model's
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
        metric = entry.get("metric") or entry.get("metrics") or {}
        if isinstance(metric, str):  # one named metric and its value
            metric = {metric: entry.get("value")}
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


METRIC_NAMES = {"accuracy": "accuracy", "roc_auc": "ROC AUC", "rmse": "RMSE"}
LOWER_IS_BETTER = ("rmse",)


def format_quality(metric: str, value: float) -> str:
    return f"{value:.1%}" if metric == "accuracy" else f"{value:.3f}"


def metric_name(metric: str) -> str:
    return METRIC_NAMES.get(metric, metric)
