"""Accuracy measured on the device: test samples through emu's firmware in the emulator,
scored as the host scores the reference interpreter's outputs, and compared with them
sample by sample (`emu validate`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from emu.errors import EmuError
from emu.model.reader import model_name, parse_model, read_model_bytes
from emu.platforms import Platform
from emu.results.outputs import outputs_match
from emu.results.validation_run import run_samples
from emu.variants.host import HostRun, dequantize, device_inputs, run_reference_interpreter
from emu.variants.scoring import Score, score_run


@dataclass
class ClassAccuracy:
    label: int
    samples: int
    device: float  # accuracy on the samples of this class
    host: float


@dataclass
class Validation:
    model: str
    board: str
    kind: str
    samples: int
    boots: int
    seconds: float  # the device runs, builds included
    device: Score
    host: Score
    per_class: list[ClassAccuracy]  # classifiers only
    differing: int  # samples whose outputs differ from the reference's in any bit
    beyond_tolerance: int  # of those, the ones emu run would call different (emu.results.outputs)
    max_difference: float | None  # the largest output difference, for float outputs
    outputs: np.ndarray  # the device's output, one row per sample, as the firmware reported it

    @property
    def agrees(self) -> bool:
        return self.beyond_tolerance == 0


def first_samples(x: np.ndarray, y: np.ndarray, count: int | None, where: str) -> tuple[np.ndarray, np.ndarray]:
    """The first `count` test samples (all when None)."""
    if count is not None and count > len(x):
        raise EmuError(f"{count} samples asked for, but {where} holds {len(x)} test samples")
    return x[:count], y[:count]


def validate(model_path: Path, platform: Platform, kind: str, x: np.ndarray, y: np.ndarray,
             kernels: str | None = None, progress: Callable[[str], None] = lambda m: None) -> Validation:
    """Every sample of `x` through the model on the device and in the reference interpreter;
    `kind` and labels `y` as emu.variants.scoring takes them."""
    model = read_model_bytes(model_path)
    graph = parse_model(model, name=model_name(model_path))
    output = graph.tensors[graph.outputs[0]]
    classes = int(output.shape[-1]) if output.shape else 1
    started = time.monotonic()  # the device first: a model it cannot run is refused before any other work
    run = run_samples(model_path, platform, [[sample] for sample in device_inputs(graph, x)], kernels, progress)
    seconds = time.monotonic() - started
    host = run_reference_interpreter(model, x)
    raw = np.stack([outputs[0].reshape(-1) for outputs in run.outputs])
    device = HostRun(raw=raw, values=dequantize(raw, output), reference="device")
    want = host.raw.astype(raw.dtype)
    differing = np.any(raw.view(np.uint8).reshape(len(raw), -1) != want.view(np.uint8).reshape(len(raw), -1), axis=1)
    beyond = sum(not outputs_match([got], [expected]) for got, expected in zip(raw, want, strict=True))
    max_difference = None
    if raw.dtype.kind == "f":
        gap = np.abs(raw.astype(np.float64) - want.astype(np.float64))
        max_difference = float(np.max(gap[np.isfinite(gap)], initial=0.0))
    try:
        device_score, host_score = (score_run(r, kind, x, y, classes) for r in (device, host))
    except ValueError as e:  # ROC AUC of samples that are all normal or all anomalies
        raise EmuError(f"cannot score {len(x)} samples: {e}") from None
    return Validation(graph.name, platform.name, kind, len(x), run.boots, seconds, device_score, host_score,
                      per_class(device_score, host_score), int(differing.sum()), int(beyond), max_difference,
                      raw)


def per_class(device: Score, host: Score) -> list[ClassAccuracy]:
    if device.confusion_matrix is None or host.confusion_matrix is None:
        return []
    rows = []
    for label, (dev_row, host_row) in enumerate(zip(device.confusion_matrix, host.confusion_matrix, strict=True)):
        count = sum(dev_row)
        if count:
            rows.append(ClassAccuracy(label, count, dev_row[label] / count, host_row[label] / count))
    return rows


def validation_text(v: Validation) -> str:
    """What `emu validate` prints."""
    def shown(score: Score) -> str:
        return f"{score.value:.2%}" if score.metric == "accuracy" else f"{score.value:.6g}"

    lines = [f"{v.model} on {v.board}: {v.samples:,} samples in {v.boots} boot{'s' if v.boots != 1 else ''}, "
             f"{v.seconds:.1f} s",
             f"device {v.device.metric}: {shown(v.device)} (host, {v.host.reference}: {shown(v.host)})"]
    if v.per_class:
        lines.append("per class (device / host): " + ", ".join(
            f"{c.label}: {c.device:.1%}/{c.host:.1%} of {c.samples}" for c in v.per_class))
    same = v.samples - v.differing
    lines.append(f"agreement with {v.host.reference}: {same:,} of {v.samples:,} samples bit-identical"
                 + (f", {v.beyond_tolerance:,} beyond tolerance" if v.differing else ""))
    if v.max_difference is not None:
        lines.append(f"largest output difference from {v.host.reference}: {v.max_difference:.3g}")
    return "\n".join(lines)
