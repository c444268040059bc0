"""A variant's accuracy on the test set, in the measure that fits its kind of task; a model
with several outputs is scored per output, each in the measure of its own kind."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emu.variants import metrics
from emu.variants.collapse import collapse_reason
from emu.variants.host import HostRun, run_reference_interpreter
from emu.variants.task import METRICS


@dataclass
class Score:
    metric: str  # "accuracy", "rmse" or "roc_auc"
    value: float
    reference: str  # the interpreter the outputs came from: "tflm" or "litert"
    confusion_matrix: list[list[int]] | None = None
    collapsed: str | None = None  # why the variant is no better than a constant answer (emu.variants.collapse)


def predictions(kind: str, run: HostRun, x: np.ndarray) -> np.ndarray:
    """What a user reads from one output: a class, a value, or an anomaly score."""
    if kind == "classifier":
        return np.argmax(run.values, axis=1)
    if kind == "anomaly":
        return metrics.reconstruction_error(x, run.values)
    return run.values.reshape(len(run.values), -1)


def score(model: bytes, kind: str, x_test: np.ndarray, y_test: np.ndarray, classes: int = 0,
          y_train: np.ndarray | None = None) -> Score:
    return score_run(run_reference_interpreter(model, x_test), kind, x_test, y_test, classes, y_train)


def score_run(run: HostRun, kind: str, x_test: np.ndarray, y_test: np.ndarray, classes: int = 0,
              y_train: np.ndarray | None = None) -> Score:
    """The score of outputs already computed, by an interpreter or by the device. `y_train`:
    the training labels or targets, whose most common class or mean is the constant answer a
    collapsed variant is no better than (the test set's when not given)."""
    predicted = predictions(kind, run, x_test)
    if kind == "classifier":
        labels = np.asarray(y_test).astype(np.int64).ravel()
        scored = Score(METRICS[kind], metrics.accuracy(labels, predicted), run.reference,
                       metrics.confusion_matrix(labels, predicted, classes))
    elif kind == "anomaly":
        scored = Score(METRICS[kind], metrics.roc_auc(y_test, predicted), run.reference)
    else:
        scored = Score(METRICS[kind], metrics.rmse(y_test, predicted), run.reference)
    baseline_labels = y_test if y_train is None or kind == "anomaly" else y_train
    scored.collapsed = collapse_reason(kind, predicted, scored.value, baseline_labels, y_test)
    return scored


def score_outputs(model: bytes, kinds: tuple[str, ...], x_test: np.ndarray, ys_test: list[np.ndarray],
                  classes: list[int], ys_train: list[np.ndarray] | None = None) -> list[Score]:
    """Each output of the model scored by its own kind, from one run of the test set."""
    run = run_reference_interpreter(model, x_test)
    if len(run.outputs) != len(kinds):
        raise ValueError(f"the model has {len(run.outputs)} outputs, the task {len(kinds)}")
    return [score_run(run.output(i), kind, x_test, ys_test[i], classes[i], None if ys_train is None else ys_train[i])
            for i, kind in enumerate(kinds)]
