"""variants.json: one record per variant, keyed like `emu bench` results by model and variant."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from emu.cache import atomic_write
from emu.errors import EmuError

FILE_NAME = "variants.json"


@dataclass
class VariantRecord:
    model: str  # joins with the bench result's `model`
    variant: str  # joins with the bench result's `variant`
    file: str  # the .tflite, relative to the variants folder
    kind: str
    metric: str  # "accuracy", "rmse" or "roc_auc"
    value: float
    reference: str  # interpreter the metric came from: "tflm" or "litert"
    confusion_matrix: list[list[int]] | None
    file_bytes: int
    weight_count: int
    weight_sparsity: float  # share of zero weights in conv and fully connected filters
    unique_weight_values: int  # most distinct values in one output channel of any layer
    weight_dtypes: list[str]  # how the weights are stored: ["int8"], ["float16"], ...
    runs_on_device: bool
    not_runnable_reason: str | None
    model_sha256: str
    layers: list[dict] = field(default_factory=list)  # per-layer weight statistics
    note: str | None = None
    # The filters as the device build stores them: "int8", "float16", "lut4", "sparse-bitmap",
    # mixed forms joined with "+" (docs/runtime.md), and their flash bytes in that form.
    weight_format: str | None = None
    weight_flash_bytes: int | None = None
    constant_flash_bytes: int | None = None  # every constant of the build: filters, biases, multipliers
    uncompressed_file: str | None = None  # a LUT-compressed variant's model before compression


def write_variants_json(folder: Path, task_info: dict, records: list[VariantRecord],
                        failed: list[dict] | None = None) -> Path:
    """failed: {"variant": ..., "reason": ...} for each variant that could not be made."""
    path = folder / FILE_NAME
    document = {"task": task_info, "variants": [asdict(r) for r in records], "failed": failed or []}
    atomic_write(path, json.dumps(document, indent=2) + "\n")
    return path


def read_variants_json(folder: Path) -> list[VariantRecord]:
    path = folder / FILE_NAME
    try:
        document = json.loads(path.read_text())
        return [VariantRecord(**row) for row in document["variants"]]
    except OSError as e:
        raise EmuError(f"cannot read {path}: {e.strerror}") from None
    except (ValueError, KeyError, TypeError) as e:
        raise EmuError(f"{path} is not a variants file written by `emu variants`: {e}") from None
