"""The accuracy measures, on plain arrays: what each kind of model is judged by."""

from __future__ import annotations

import numpy as np


def accuracy(labels: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean(np.asarray(labels) == np.asarray(predicted)))


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, classes: int) -> list[list[int]]:
    """Row = true class, column = predicted class."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(predicted)), 1)
    return matrix.tolist()


def rmse(truth: np.ndarray, predicted: np.ndarray) -> float:
    error = np.asarray(truth, np.float64).ravel() - np.asarray(predicted, np.float64).ravel()
    return float(np.sqrt(np.mean(error ** 2)))


def reconstruction_error(inputs: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """Per-sample mean squared error: an autoencoder's anomaly score."""
    n = len(inputs)
    diff = np.asarray(inputs, np.float64).reshape(n, -1) - np.asarray(outputs, np.float64).reshape(n, -1)
    return np.mean(diff ** 2, axis=1)


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve: the chance that a random anomaly (label 1) scores higher
    than a random normal sample, ties counting half (the Mann-Whitney U statistic)."""
    labels = np.asarray(labels).astype(bool).ravel()
    scores = np.asarray(scores, np.float64).ravel()
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        raise ValueError("ROC AUC needs both normal (0) and anomalous (1) samples")
    ranks = average_ranks(scores)
    u = ranks[labels].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, tied values sharing the mean of their ranks."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    ranks = np.empty(len(values), np.float64)
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start:end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return ranks
