"""Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021).

A reimplementation of the algorithm of the R package ``synthdid`` (v0.0.9): regularised unit
weights (ω, with intercept, ridge ζ_ω = (N_tr·T_post)^(1/4)·σ) and time weights (λ, with intercept,
ζ_λ = 1e-6·σ), where σ is the standard deviation of first differences of the control outcomes in the
pre-period; both solved by Frank–Wolfe on the "collapsed" panel, with a sparsification pass
(weights ≤ max/4 set to zero, then re-solved). ``method="sc"`` and ``method="did"`` give the
package's ``sc_estimate`` (no intercept, ζ_ω = 1e-6·σ, λ = 0) and ``did_estimate`` (uniform
weights). Standard errors use the placebo method (Algorithm 4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from adlens.errors import InvalidInput

__all__ = ["SdidResult", "fw_weights", "fw_weights_batch", "placebo_se", "sc_weights_batch", "sdid_fit"]

Method = Literal["sdid", "sc", "did"]


def fw_weights_batch(
    Y: np.ndarray,
    zeta: np.ndarray,
    *,
    intercept: bool = True,
    init: np.ndarray | None = None,
    min_decrease: np.ndarray | float = 1e-3,
    max_iter: int = 1000,
) -> np.ndarray:
    """Frank–Wolfe for P independent problems min ζ²‖w‖² + ‖A w − b‖²/n over the simplex.

    ``Y`` is P × n × (k+1) with ``Y[p] = [A | b]`` (R ``sc.weight.fw``). Same iterates and stopping rule
    as the R code (exact line search; a problem stops once its objective falls by less than
    ``min_decrease²``); ``A w`` and ``A'A w`` are updated incrementally.
    """
    P, n, k1 = Y.shape
    k = k1 - 1
    w = np.full((P, k), 1.0 / k) if init is None else np.array(init, dtype=float, copy=True).reshape(P, k)
    if intercept:
        Y = Y - Y.mean(axis=1, keepdims=True)
    A, b = Y[:, :, :k], Y[:, :, k]
    G = np.einsum("pnk,pnl->pkl", A, A)
    c = np.einsum("pnk,pn->pk", A, b)
    diagG = np.diagonal(G, axis1=1, axis2=2)
    z2 = np.broadcast_to(np.asarray(zeta, dtype=float) ** 2, (P,))
    eta = n * z2
    thr = np.broadcast_to(np.asarray(min_decrease, dtype=float) ** 2, (P,))
    Ax = np.einsum("pnk,pk->pn", A, w)
    Gx = np.einsum("pkl,pl->pk", G, w)
    rows = np.arange(P)
    active = np.ones(P, dtype=bool)
    prev = np.full(P, np.inf)
    for t in range(max_iter):
        hg = Gx - c + eta[:, None] * w
        i = np.argmin(hg, axis=1)
        wi = w[rows, i]
        ww = np.einsum("pk,pk->p", w, w)
        num = np.einsum("pk,pk->p", hg, w) - hg[rows, i]
        d_err2 = diagG[rows, i] - 2.0 * Gx[rows, i] + np.einsum("pk,pk->p", w, Gx)
        denom = d_err2 + eta * (ww - 2.0 * wi + 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.clip(num / denom, 0.0, 1.0)
        step[~active | (denom <= 0) | ~np.isfinite(step)] = 0.0
        keep = 1.0 - step
        w *= keep[:, None]
        w[rows, i] += step
        Ax = Ax * keep[:, None] + step[:, None] * A[rows, :, i]
        Gx = Gx * keep[:, None] + step[:, None] * G[rows, :, i]
        err = Ax - b
        val = z2 * np.einsum("pk,pk->p", w, w) + np.einsum("pn,pn->p", err, err) / n
        if t >= 1:
            active &= prev - val > thr
            if not active.any():
                break
        prev = val
    return w


def fw_weights(
    Y: np.ndarray,
    zeta: float,
    *,
    intercept: bool = True,
    init: np.ndarray | None = None,
    min_decrease: float = 1e-3,
    max_iter: int = 1000,
) -> np.ndarray:
    """One Frank–Wolfe problem (same algorithm as :func:`fw_weights_batch`, faster for P = 1)."""
    n, k1 = Y.shape
    k = k1 - 1
    w = np.full(k, 1.0 / k) if init is None else np.asarray(init, dtype=float).copy()
    if intercept:
        Y = Y - Y.mean(axis=0, keepdims=True)
    A, b = Y[:, :k], Y[:, k]
    G = A.T @ A
    c = A.T @ b
    diagG = np.diag(G).copy()
    eta = n * zeta**2
    z2 = zeta**2
    Ax = A @ w
    Gx = G @ w
    prev = np.inf
    threshold = min_decrease**2
    for t in range(max_iter):
        half_grad = Gx - c + eta * w
        i = int(np.argmin(half_grad))
        wi = float(w[i])
        ww = float(w @ w)
        num = float(half_grad @ w) - float(half_grad[i])  # = −half_grad·d_x
        denom = float(diagG[i]) - 2.0 * float(Gx[i]) + float(w @ Gx) + eta * (ww - 2.0 * wi + 1.0)
        step = min(1.0, max(0.0, num / denom)) if denom > 0 else 0.0
        if step > 0.0:
            w *= 1.0 - step
            w[i] += step
            Ax *= 1.0 - step
            Ax += step * A[:, i]
            Gx *= 1.0 - step
            Gx += step * G[:, i]
        err = Ax - b
        val = z2 * float(w @ w) + float(err @ err) / n
        if t >= 1 and not (prev - val > threshold):
            break
        prev = val
    return w


def _sparsify(v: np.ndarray) -> np.ndarray:
    v = v.copy()
    v[v <= v.max() / 4] = 0.0
    return v / v.sum()


def _collapse(Y: np.ndarray, N0: int, T0: int) -> np.ndarray:
    top = np.column_stack([Y[:N0, :T0], Y[:N0, T0:].mean(axis=1)])
    bottom = np.append(Y[N0:, :T0].mean(axis=0), Y[N0:, T0:].mean())
    return np.vstack([top, bottom])


def _solve(
    Yc: np.ndarray, zeta: float, intercept: bool, init: np.ndarray | None, min_decrease: float, max_iter: int
) -> np.ndarray:
    w = fw_weights(Yc, zeta, intercept=intercept, init=init, min_decrease=min_decrease, max_iter=100)
    return fw_weights(
        Yc, zeta, intercept=intercept, init=_sparsify(w), min_decrease=min_decrease, max_iter=max_iter
    )


def sc_weights_batch(Z0: np.ndarray, z1: np.ndarray, max_iter: int = 10_000) -> np.ndarray:
    """``sc_estimate`` unit weights for P problems at once: ``Z0`` is P × T0 × k donors, ``z1`` P × T0.

    Each problem gets its own noise level σ (from its donors' first differences), ζ = 1e-6·σ, no
    intercept, and the same two-pass (100 iterations, sparsify, re-solve) scheme as :func:`sdid_fit`.
    """
    Yb = np.concatenate([Z0, z1[:, :, None]], axis=2)
    noise = np.std(np.diff(Z0, axis=1), axis=(1, 2), ddof=1)
    zeta = 1e-6 * noise
    md = np.where(noise > 0, 1e-5 * noise, 1e-10)
    w = fw_weights_batch(Yb, zeta, intercept=False, min_decrease=md, max_iter=100)
    w = np.apply_along_axis(_sparsify, 1, w)
    return fw_weights_batch(Yb, zeta, intercept=False, init=w, min_decrease=md, max_iter=max_iter)


@dataclass
class SdidResult:
    """Point estimate, weights and per-period effect curve of one SDID/SC/DiD fit."""

    method: str
    att: float
    omega: np.ndarray
    lam: np.ndarray
    N0: int
    T0: int
    noise_level: float
    min_decrease: float
    zeta_omega: float
    zeta_lambda: float
    effect_curve: np.ndarray
    synthetic: np.ndarray = field(repr=False)
    treated_mean: np.ndarray = field(repr=False)
    se: float | None = None


def sdid_fit(
    Y: np.ndarray,
    N0: int,
    T0: int,
    method: Method = "sdid",
    *,
    omega: np.ndarray | None = None,
    lam: np.ndarray | None = None,
    update_omega: bool | None = None,
    update_lambda: bool | None = None,
    zeta_omega: float | None = None,
    zeta_lambda: float | None = None,
    min_decrease: float | None = None,
    max_iter: int = 10_000,
) -> SdidResult:
    """Fit on an N×T matrix whose first ``N0`` rows are controls and first ``T0`` columns pre-treatment."""
    Y = np.asarray(Y, dtype=float)
    N, T = Y.shape
    if not (0 < N0 < N) or not (2 <= T0 < T):
        raise InvalidInput(
            f"need at least one control unit, one treated unit, 2 pre-periods and 1 post-period (N0={N0}, T0={T0})"
        )
    N1, T1 = N - N0, T - T0
    noise = float(np.std(np.diff(Y[:N0, :T0], axis=1), ddof=1)) if T0 > 1 else 0.0
    omega_intercept = True
    if method == "sdid":
        eta_omega = (N1 * T1) ** 0.25
    elif method == "sc":
        eta_omega, omega_intercept = 1e-6, False
        lam = np.zeros(T0) if lam is None else lam
    elif method == "did":
        omega = np.full(N0, 1.0 / N0) if omega is None else omega
        lam = np.full(T0, 1.0 / T0) if lam is None else lam
        eta_omega = (N1 * T1) ** 0.25
    else:
        raise InvalidInput(f"unknown method {method!r}: use sdid, sc or did")
    z_om = eta_omega * noise if zeta_omega is None else zeta_omega
    z_la = 1e-6 * noise if zeta_lambda is None else zeta_lambda
    up_om = omega is None if update_omega is None else update_omega
    up_la = lam is None if update_lambda is None else update_lambda
    if min_decrease is None:
        min_decrease = 1e-5 * noise if noise > 0 else 1e-10
    Yc = _collapse(Y, N0, T0)
    if up_la:
        lam = _solve(Yc[:N0, :], z_la, True, lam, min_decrease, max_iter)
    if up_om:
        omega = _solve(Yc[:, :T0].T, z_om, omega_intercept, omega, min_decrease, max_iter)
    assert omega is not None and lam is not None
    wu = np.concatenate([-omega, np.full(N1, 1.0 / N1)])
    wt = np.concatenate([-lam, np.full(T1, 1.0 / T1)])
    att = float(wu @ Y @ wt)
    treated_mean = Y[N0:].mean(axis=0)
    synthetic = omega @ Y[:N0]
    # per-period effects: post-period gap minus the λ-weighted pre-period gap (they average to att)
    gap = treated_mean - synthetic
    curve = gap - float(lam @ gap[:T0])
    return SdidResult(
        method=method,
        att=att,
        omega=omega,
        lam=lam,
        N0=N0,
        T0=T0,
        noise_level=noise,
        min_decrease=min_decrease,
        zeta_omega=z_om,
        zeta_lambda=z_la,
        effect_curve=curve,
        synthetic=synthetic,
        treated_mean=treated_mean,
    )


def _solve_batch(
    Yb: np.ndarray, zeta: float, intercept: bool, init: np.ndarray, md: float, max_iter: int
) -> np.ndarray:
    w = fw_weights_batch(Yb, np.array(zeta), intercept=intercept, init=init, min_decrease=md, max_iter=100)
    w = np.apply_along_axis(_sparsify, 1, w)
    return fw_weights_batch(
        Yb, np.array(zeta), intercept=intercept, init=w, min_decrease=md, max_iter=max_iter
    )


def placebo_se(Y: np.ndarray, fit: SdidResult, replications: int = 200, seed: int = 0) -> float:
    """Placebo standard error (Algorithm 4 of the paper, R ``placebo_se``).

    Each replication permutes the controls, treats the last N1 of them as treated, and re-fits the
    weights with the original ζ's (starting from the original weights); all replications are solved
    together as one batch.
    """
    Y = np.asarray(Y, dtype=float)
    N0, T0 = fit.N0, fit.T0
    N1 = Y.shape[0] - N0
    if N0 <= N1:
        raise InvalidInput("the placebo standard error needs more control units than treated units")
    if replications < 2:
        raise InvalidInput("the placebo standard error needs at least 2 replications")
    rng = np.random.default_rng(seed)
    n0 = N0 - N1
    inds = np.stack([rng.permutation(N0) for _ in range(replications)])
    Ys = Y[inds]  # R × N0 × T (placebo "treated" are the last N1 rows)
    Yc = np.empty((replications, n0 + 1, T0 + 1))
    Yc[:, :n0, :T0] = Ys[:, :n0, :T0]
    Yc[:, :n0, T0] = Ys[:, :n0, T0:].mean(axis=2)
    Yc[:, n0, :T0] = Ys[:, n0:, :T0].mean(axis=1)
    Yc[:, n0, T0] = Ys[:, n0:, T0:].mean(axis=(1, 2))
    om = fit.omega[inds[:, :n0]]
    sums = om.sum(axis=1, keepdims=True)
    om = np.where(sums > 0, om / np.where(sums > 0, sums, 1.0), 1.0 / n0)
    lam = np.tile(fit.lam, (replications, 1))
    if fit.method == "sdid":
        lam = _solve_batch(Yc[:, :n0, :], fit.zeta_lambda, True, lam, fit.min_decrease, 10_000)
    if fit.method in ("sdid", "sc"):
        Yo = np.transpose(Yc[:, :, :T0], (0, 2, 1))
        om = _solve_batch(Yo, fit.zeta_omega, fit.method == "sdid", om, fit.min_decrease, 10_000)
    T1 = Y.shape[1] - T0
    wt = np.concatenate([-lam, np.full((replications, T1), 1.0 / T1)], axis=1)
    wu = np.concatenate([-om, np.full((replications, N1), 1.0 / N1)], axis=1)
    estimates = np.einsum("rn,rnt,rt->r", wu, Ys, wt)
    return float(np.sqrt((replications - 1) / replications) * np.std(estimates, ddof=1))
