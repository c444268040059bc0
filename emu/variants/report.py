"""variants.json: one record per variant, keyed like `emu bench` results by model and variant."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, with_config

from emu.cache import atomic_write
from emu.configs import Count, Finite, Flag, Text, read_json, validated
from emu.errors import EmuError, shown

FILE_NAME = "variants.json"


def _inside_folder(file: str) -> str:
    """A variant's file is named relative to its folder, and stays inside it."""
    parts = PurePosixPath(file).parts
    if not file or PurePosixPath(file).is_absolute() or ".." in parts or "\0" in file:
        raise ValueError(f"must name a file inside the variants folder (got {shown(file, 60)!r})")
    return file


# A file name inside the variants folder.
InFolder = Annotated[str, Strict(), AfterValidator(_inside_folder)]
Share = Annotated[float, Strict(), Field(ge=0, le=1, allow_inf_nan=False)]


# Checked when read (read_variants_json): each field of its kind, counts non-negative, figures
# finite, the files inside the folder; fields this version does not know are ignored.
@with_config(ConfigDict(allow_inf_nan=False, extra="ignore"))
@dataclass
class VariantRecord:
    model: Text  # joins with the bench result's `model`
    variant: Text  # joins with the bench result's `variant`
    file: InFolder  # the .tflite, relative to the variants folder
    kind: Text
    metric: Text  # "accuracy", "rmse" or "roc_auc"
    value: Finite
    reference: Text  # interpreter the metric came from: "tflm" or "litert"
    confusion_matrix: list[list[Count]] | None
    file_bytes: Count
    weight_count: Count
    weight_sparsity: Share  # share of zero weights in conv and fully connected filters
    unique_weight_values: Count  # most distinct values in one output channel of any layer
    weight_dtypes: list[Text]  # how the weights are stored: ["int8"], ["float16"], ...
    runs_on_device: Flag
    not_runnable_reason: Text | None
    model_sha256: Text
    layers: list[dict] = field(default_factory=list)  # per-layer weight statistics
    note: Text | None = None
    # The filters as a device build for flash stores them (`--optimize flash`, each filter in its
    # smallest form): "int8", "float16", "lut4", "sparse-bitmap",
    # mixed forms joined with "+" (docs/runtime.md), and their flash bytes in that form.
    weight_format: Text | None = None
    weight_flash_bytes: Count | None = None
    constant_flash_bytes: Count | None = None  # every constant of the build: filters, biases, multipliers
    uncompressed_file: InFolder | None = None  # a LUT-compressed variant's model before compression
    # Why the variant is no better than a constant answer (emu.variants.collapse); None when it is.
    # A collapsed variant is listed by decisions with this reason and never recommended.
    collapsed: Text | None = None
    # A model with several outputs: each output's metric, {"out0 accuracy": 0.93, "out1 rmse": 0.41}
    # (metric and value above are out0's), and each classifier output's confusion matrix by output.
    metrics: dict[Text, Finite] | None = None
    confusion_matrices: dict[Text, list[list[Count]]] | None = None


def write_variants_json(folder: Path, task_info: dict, records: list[VariantRecord],
                        failed: list[dict] | None = None) -> Path:
    """failed: {"variant": ..., "reason": ...} for each variant that could not be made."""
    path = folder / FILE_NAME
    document = {"task": task_info, "variants": [asdict(r) for r in records], "failed": failed or []}
    atomic_write(path, json.dumps(document, indent=2) + "\n")
    return path


class _VariantsFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    variants: list[VariantRecord]


def read_variants_json(folder: Path) -> list[VariantRecord]:
    path = folder / FILE_NAME
    document = read_json(path, "a variants file")
    if not isinstance(document, dict) or "variants" not in document:
        raise EmuError(f"{path} is not a variants file written by `emu variants` (no 'variants' list)")
    return validated(_VariantsFile, document, str(path)).variants
