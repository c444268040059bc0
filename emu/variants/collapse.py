"""A collapsed variant: training or quantization left it answering (nearly) the same thing
for every input, or no better than a constant answer would. Such a variant scores like a
model and may be small and fast, so it would win a decision; it is marked instead, with the
constant answer it is no better than, and never recommended.

The constant answers are the ones a user could ship without a model: the most common class
in the training labels, the training targets' mean, or one anomaly score for every sample
(a ROC AUC of 0.5).
"""

from __future__ import annotations

import numpy as np

from emu.variants import metrics

# Outputs whose spread across the test set is below this share of the targets' spread are
# taken as constant: a regression that moves by 1% of what it should explain answers nothing.
NEAR_CONSTANT_SHARE = 0.01


def collapse_reason(kind: str, predicted: np.ndarray, value: float, y_train: np.ndarray,
                    y_test: np.ndarray) -> str | None:
    """Why the variant is collapsed, or None. `predicted`: what the user reads from each test
    sample (emu.variants.scoring.predictions); `value`: its score."""
    if kind == "classifier":
        return _classifier(np.asarray(predicted).ravel(), value, _labels(y_train), _labels(y_test))
    if kind == "anomaly":
        scores = np.asarray(predicted, np.float64).ravel()
        if np.ptp(scores) == 0:
            return "gives every sample the same anomaly score"
        if value <= 0.5:
            return f"ROC AUC {value:.3f} is no better than chance (0.5)"
        return None
    return _regression(np.asarray(predicted, np.float64), value, y_train, y_test)


def _labels(y: np.ndarray) -> np.ndarray:
    return np.asarray(y).astype(np.int64).ravel()


def _classifier(predicted: np.ndarray, value: float, train: np.ndarray, test: np.ndarray) -> str | None:
    if len(np.unique(test)) > 1 and len(np.unique(predicted)) == 1:
        return f"answers class {int(predicted[0])} for every test sample"
    common = int(np.bincount(train).argmax()) if len(train) else int(np.bincount(test).argmax())
    baseline = float(np.mean(test == common))
    if value <= baseline:
        return (f"accuracy {value:.3f} is no better than always answering the most common class, "
                f"{common} ({baseline:.3f})")
    return None


def _regression(predicted: np.ndarray, value: float, y_train: np.ndarray, y_test: np.ndarray) -> str | None:
    n = len(predicted)
    predicted = predicted.reshape(n, -1)
    truth = np.asarray(y_test, np.float64).reshape(n, -1)
    spread, wanted = predicted.std(axis=0), truth.std(axis=0)
    if np.all(spread <= NEAR_CONSTANT_SHARE * wanted):
        return f"its output is (nearly) constant: it varies by at most {spread.max():.3g} across the test set"
    mean = np.asarray(y_train, np.float64).reshape(len(y_train), -1).mean(axis=0)
    baseline = metrics.rmse(truth, np.broadcast_to(mean, truth.shape))
    if value >= baseline:
        return f"RMSE {value:.4g} is no better than always answering the training mean ({baseline:.4g})"
    return None
