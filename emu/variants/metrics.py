"""The accuracy measures, on plain arrays: what each kind of model is judged by.

scikit-learn computes them; this module fixes the conventions emu reports them in.
"""

from __future__ import annotations

import numpy as np

from emu.extras import require


def _sklearn_metrics():
    return require("sklearn.metrics")


def accuracy(labels: np.ndarray, predicted: np.ndarray) -> float:
    return float(_sklearn_metrics().accuracy_score(np.asarray(labels).ravel(), np.asarray(predicted).ravel()))


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, classes: int) -> list[list[int]]:
    """Row = true class, column = predicted class, every class listed even if never seen."""
    matrix = _sklearn_metrics().confusion_matrix(np.asarray(labels).ravel(), np.asarray(predicted).ravel(),
                                                 labels=list(range(classes)))
    return matrix.astype(np.int64).tolist()


def rmse(truth: np.ndarray, predicted: np.ndarray) -> float:
    mse = _sklearn_metrics().mean_squared_error(np.asarray(truth, np.float64).ravel(),
                                                np.asarray(predicted, np.float64).ravel())
    return float(np.sqrt(mse))


def reconstruction_error(inputs: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """Per-sample mean squared error: an autoencoder's anomaly score."""
    n = len(inputs)
    diff = np.asarray(inputs, np.float64).reshape(n, -1) - np.asarray(outputs, np.float64).reshape(n, -1)
    return np.mean(diff ** 2, axis=1)


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve, with anomalies labelled 1."""
    labels = np.asarray(labels).astype(bool).ravel()
    if labels.all() or not labels.any():
        raise ValueError("ROC AUC needs both normal (0) and anomalous (1) samples")
    return float(_sklearn_metrics().roc_auc_score(labels, np.asarray(scores, np.float64).ravel()))
