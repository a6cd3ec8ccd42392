"""Relative lift ``m_t / m_c - 1`` with a delta-method interval and Fieller's interval for the ratio."""

from __future__ import annotations

import math

from scipy import stats

from adlens.analytics.experiments.results import Interval


def z_quantile(alpha: float) -> float:
    """Two-sided normal critical value ``z_{1-alpha/2}``."""
    return float(stats.norm.ppf(1.0 - alpha / 2.0))


def delta_ratio_interval(
    m_t: float, v_t: float, m_c: float, v_c: float, alpha: float, cov: float = 0.0
) -> tuple[float, Interval]:
    """Relative lift and its delta-method CI.

    ``v_t``/``v_c`` are the variances of the two estimates (squared standard errors), ``cov`` their covariance
    (0 for independent arms). Var(m_t/m_c) ~= v_t/m_c^2 + m_t^2 v_c/m_c^4 - 2 m_t cov/m_c^3.
    """
    ratio = m_t / m_c
    var = v_t / m_c**2 + m_t**2 * v_c / m_c**4 - 2.0 * m_t * cov / m_c**3
    half = z_quantile(alpha) * math.sqrt(max(var, 0.0))
    return ratio - 1.0, Interval(ratio - 1.0 - half, ratio - 1.0 + half, 1.0 - alpha, "delta")


def fieller_ratio_interval(
    m_t: float, v_t: float, m_c: float, v_c: float, alpha: float, cov: float = 0.0
) -> Interval:
    """Fieller's CI for ``m_t/m_c``, shifted by -1 to the relative-lift scale.

    Solves (m_t - rho m_c)^2 = z^2 (v_t - 2 rho cov + rho^2 v_c). When the control estimate is not
    significantly different from zero (m_c^2 <= z^2 v_c) the set is unbounded: both bounds are ``None``.
    """
    z2 = z_quantile(alpha) ** 2
    a = m_c**2 - z2 * v_c
    b = m_t * m_c - z2 * cov
    c = m_t**2 - z2 * v_t
    disc = b * b - a * c
    if a <= 0.0 or disc < 0.0:
        return Interval(None, None, 1.0 - alpha, "fieller")
    root = math.sqrt(disc)
    lo, hi = sorted(((b - root) / a, (b + root) / a))
    return Interval(lo - 1.0, hi - 1.0, 1.0 - alpha, "fieller")


def relative_lift(
    m_t: float, v_t: float, m_c: float, v_c: float, alpha: float, cov: float = 0.0
) -> tuple[float | None, Interval | None, Interval | None, str | None]:
    """``(lift, delta CI, Fieller CI, note)``; lift is undefined (``None``) when the control estimate is 0."""
    if m_c == 0.0:
        return None, None, None, "relative lift undefined: control estimate is 0"
    lift, delta = delta_ratio_interval(m_t, v_t, m_c, v_c, alpha, cov)
    fieller = fieller_ratio_interval(m_t, v_t, m_c, v_c, alpha, cov)
    note = None
    if not fieller.bounded:
        note = "Fieller interval unbounded: control estimate not significantly different from 0"
    return lift, delta, fieller, note


__all__ = ["delta_ratio_interval", "fieller_ratio_interval", "relative_lift", "z_quantile"]
