"""Probability calibration: softmax temperature and Platt-style logistic fits, in numpy."""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def sigmoid(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, dtype=np.float64), -40, 40)))


def nll(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    """Mean negative log-likelihood of ``labels`` under ``softmax(logits / temperature)``."""
    p = softmax(np.asarray(logits) / temperature)
    return float(-np.mean(np.log(np.clip(p[np.arange(len(labels)), labels], 1e-12, 1.0))))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature minimising NLL on held-out data (log-spaced grid, then a finer grid)."""
    if len(labels) == 0:
        return 1.0
    grid = np.exp(np.linspace(np.log(0.01), np.log(100.0), 121))
    best = min(grid, key=lambda t: nll(logits, labels, float(t)))
    fine = np.linspace(best / 1.2, best * 1.2, 41)
    return float(min(fine, key=lambda t: nll(logits, labels, float(t))))


def expected_calibration_error(probs: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """ECE of confidences ``probs`` against 0/1 outcomes ``correct``."""
    probs = np.asarray(probs, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    if len(probs) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(probs, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            ece += mask.mean() * abs(probs[mask].mean() - correct[mask].mean())
    return float(ece)


def fit_platt(scores: np.ndarray, labels: np.ndarray, balanced: bool = False) -> tuple[float, float]:
    """Platt scaling: ``a, b`` with ``P(y=1) = sigmoid(a * score + b)`` fitted by Newton's method.

    ``balanced`` weighs both classes equally, i.e. calibrates for a 50/50 prior instead of the base rate
    of the calibration set (which says more about how that set was sampled than about new data).
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    n_pos, n_neg = y.sum(), len(y) - y.sum()
    t = np.where(y > 0, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))  # Platt's smoothed targets
    cw = (
        np.where(y > 0, len(y) / (2 * max(n_pos, 1)), len(y) / (2 * max(n_neg, 1)))
        if balanced
        else np.ones_like(y)
    )
    a, b = 1.0, 0.0
    for _ in range(100):
        p = sigmoid(a * s + b)
        g = np.array([np.sum(cw * (p - t) * s), np.sum(cw * (p - t))])
        w = cw * p * (1 - p) + 1e-9
        h = np.array([[np.sum(w * s * s), np.sum(w * s)], [np.sum(w * s), np.sum(w)]]) + 1e-6 * np.eye(2)
        step = np.linalg.solve(h, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-8:
            break
    return float(a), float(b)


__all__ = ["expected_calibration_error", "fit_platt", "fit_temperature", "nll", "sigmoid", "softmax"]
