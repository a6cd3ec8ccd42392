"""Optimisers for synthetic-control weights.

* :func:`simplex_ls` — the inner problem: min_w (x1 − X0 w)ᵀ V (x1 − X0 w) with w ≥ 0, Σw = 1,
  solved exactly by Lawson–Hanson NNLS with the sum-to-one constraint as a heavily weighted row,
  then polished by SLSQP.
* :func:`nested_v` — the outer problem of Abadie & Gardeazabal (2003) / Abadie, Diamond &
  Hainmueller (2010): choose a diagonal V (normalised to sum to 1) minimising the pre-period
  outcome MSPE of the resulting W, by Nelder–Mead from equal or regression-based starting values
  (the search pysyncon and R ``Synth`` use).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.optimize import minimize, nnls

__all__ = ["nested_v", "ols_v_start", "simplex_ls"]


def simplex_ls(
    X0: np.ndarray, x1: np.ndarray, v: np.ndarray | None = None, polish: bool = True
) -> np.ndarray:
    """Weights on the unit simplex minimising the V-weighted distance between ``X0 @ w`` and ``x1``.

    ``X0`` is predictors × donors, ``x1`` the treated unit's predictors, ``v`` a diagonal of V.
    ``polish=False`` skips the SLSQP pass (used inside the V search, where speed matters more).
    """
    X0 = np.asarray(X0, dtype=float)
    x1 = np.asarray(x1, dtype=float)
    k = X0.shape[1]
    if k == 1:
        return np.ones(1)
    s = np.sqrt(np.ones(X0.shape[0]) if v is None else np.abs(np.asarray(v, dtype=float)))
    A = X0 * s[:, None]
    b = x1 * s
    big = 1e3 * max(1.0, float(np.abs(A).max()), float(np.abs(b).max()))
    A_aug = np.vstack([A, np.full((1, k), big)])
    b_aug = np.append(b, big)
    try:
        w, _ = nnls(A_aug, b_aug, maxiter=50 * k)
    except RuntimeError:
        w = np.full(k, 1.0 / k)
    w = np.clip(w, 0.0, None)
    w = w / w.sum() if w.sum() > 0 else np.full(k, 1.0 / k)
    if not polish:
        return w
    # polish on the exact constraint set (a no-op when NNLS already converged)
    P = A.T @ A
    q = A.T @ b
    scale = max(float(np.abs(P).max()), 1e-12)
    res = minimize(
        lambda x: (0.5 * x @ P @ x - q @ x) / scale,
        w,
        jac=lambda x: (P @ x - q) / scale,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * k,
        constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1.0, "jac": lambda x: np.ones_like(x)}],
        options={"maxiter": 200, "ftol": 1e-15},
    )
    w2 = np.clip(res.x, 0.0, None)
    if w2.sum() > 0:
        w2 = w2 / w2.sum()
        if 0.5 * w2 @ P @ w2 - q @ w2 <= 0.5 * w @ P @ w - q @ w:
            w = w2
    return w


def ols_v_start(X0: np.ndarray, x1: np.ndarray, Z0: np.ndarray, z1: np.ndarray) -> np.ndarray:
    """Regression-based starting V: squared coefficients of pre-period outcomes on the predictors."""
    X = np.column_stack([X0, x1])  # predictors × units
    design = np.column_stack([np.ones(X.shape[1]), X.T])
    Z = np.column_stack([Z0, z1])
    beta, *_ = np.linalg.lstsq(design, Z.T, rcond=None)
    beta = beta[1:]
    v = np.sum(beta**2, axis=1)
    return v / v.sum()


def nested_v(
    X0: np.ndarray,
    x1: np.ndarray,
    Z0: np.ndarray,
    z1: np.ndarray,
    *,
    start: Literal["equal", "ols"] = "equal",
    method: str = "Nelder-Mead",
    maxiter: int = 1000,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Outer V search; returns ``(v, w, mspe)``.

    ``X0``/``x1`` are the (already scaled) predictors, ``Z0``/``z1`` the outcomes over the fit window
    (periods × donors and periods).
    """
    n = X0.shape[0]
    x0 = np.full(n, 1.0 / n) if start == "equal" else ols_v_start(X0, x1, Z0, z1)

    def loss(x: np.ndarray) -> float:
        a = np.abs(x)
        if a.sum() == 0:
            return float("inf")
        w = simplex_ls(X0, x1, a / a.sum(), polish=False)
        r = z1 - Z0 @ w
        return float(r @ r) / len(z1)

    res = minimize(loss, x0, method=method, options={"maxiter": maxiter})
    v = np.abs(res.x) / np.abs(res.x).sum()
    w = simplex_ls(X0, x1, v)
    r = z1 - Z0 @ w
    return v, w, float(r @ r) / len(z1)
