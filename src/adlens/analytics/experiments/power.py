"""Power, sample size and minimum detectable effect for two-sided two-sample tests.

Proportions use Cohen's effect size h = 2 asin(sqrt p2) - 2 asin(sqrt p1) with the normal test (as
``statsmodels.stats.power.NormalIndPower``); means use d = delta / sd with the non-central t of the pooled two-sample
t-test, df = n1 + n2 - 2 (as ``TTestIndPower``). ``n`` is the control-arm size; the treatment arm has ``ratio * n``.
Both tails count towards power.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from scipy import optimize, stats

from adlens.errors import InvalidInput

Solve = Literal["n", "mde", "power"]


@dataclass
class PowerResult:
    kind: str  # "proportion" | "mean"
    solved_for: str
    alpha: float
    power: float
    ratio: float
    n_control: int
    n_treatment: int
    n_total: int
    n_exact: float
    effect_size: float
    baseline: float | None
    sd: float | None
    mde_abs: float
    mde_rel: float | None
    target: float | None
    method: str
    summary: str = ""
    notes: list[str] = field(default_factory=list)


def normal_power(effect: float, n1: float, alpha: float, ratio: float = 1.0) -> float:
    """Two-sided power of a z-test with standardised effect ``effect`` and arms n1, ratio*n1."""
    neff = 1.0 / (1.0 / n1 + 1.0 / (n1 * ratio))
    crit = stats.norm.isf(alpha / 2.0)
    shift = effect * math.sqrt(neff)
    return float(stats.norm.sf(crit - shift) + stats.norm.cdf(-crit - shift))


def t_power(effect: float, n1: float, alpha: float, ratio: float = 1.0) -> float:
    """Two-sided power of the pooled two-sample t-test (non-central t)."""
    n2 = n1 * ratio
    df = n1 + n2 - 2.0
    nc = effect * math.sqrt(1.0 / (1.0 / n1 + 1.0 / n2))
    upper, lower = stats.t.isf(alpha / 2.0, df), stats.t.ppf(alpha / 2.0, df)
    # far tails of the non-central t can come back as NaN; they are 0 (or 1) to machine precision
    hi = float(stats.nct.sf(upper, df, nc))
    lo = float(stats.nct.cdf(lower, df, nc))
    hi = (1.0 if nc > 0 else 0.0) if math.isnan(hi) else hi
    lo = (0.0 if nc > 0 else 1.0) if math.isnan(lo) else lo
    return min(1.0, hi + lo)


def _check_common(alpha: float, power: float | None, ratio: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise InvalidInput(f"alpha must be between 0 and 1, got {alpha}")
    if power is not None and not alpha < power < 1.0:
        raise InvalidInput(f"power must be between alpha ({alpha}) and 1, got {power}")
    if not ratio > 0.0 or not math.isfinite(ratio):
        raise InvalidInput(f"ratio of arm sizes must be positive, got {ratio}")


def _solve_n(fn, effect: float, alpha: float, power: float, ratio: float, lo: float) -> float:
    if fn(effect, lo, alpha, ratio) >= power:
        return lo
    hi = lo * 2.0
    while fn(effect, hi, alpha, ratio) < power:
        hi *= 4.0
        if hi > 1e13:
            raise InvalidInput("the effect is too small to detect with any realistic sample size")
    return float(
        optimize.brentq(lambda n: fn(effect, n, alpha, ratio) - power, lo, hi, xtol=1e-10, rtol=1e-14)
    )


def _solve_effect(fn, n1: float, alpha: float, power: float, ratio: float, limit: float) -> float:
    hi = min(limit, 0.5)
    while fn(hi, n1, alpha, ratio) < power:
        if hi >= limit:
            raise InvalidInput(f"{n1:g} users per control arm cannot reach {power:.0%} power for any effect")
        hi = min(limit, hi * 2.0)
    return float(
        optimize.brentq(lambda e: fn(e, n1, alpha, ratio) - power, 1e-12, hi, xtol=1e-14, rtol=1e-14)
    )


def _sizes(n_exact: float, ratio: float) -> tuple[int, int]:
    n_c = math.ceil(n_exact - 1e-9)
    return n_c, math.ceil(n_c * ratio - 1e-9)


def plan_proportions(
    baseline: float,
    *,
    mde: float | None = None,
    relative: bool = True,
    n: float | None = None,
    alpha: float = 0.05,
    power: float | None = 0.8,
    ratio: float = 1.0,
) -> PowerResult:
    """Give two of (mde, n, power): the missing one is solved. ``mde`` is relative (0.1 = +10 %) unless not ``relative``."""
    _check_common(alpha, power, ratio)
    if not 0.0 < baseline < 1.0:
        raise InvalidInput(f"baseline conversion rate must be between 0 and 1, got {baseline}")
    a1 = math.asin(math.sqrt(baseline))
    if mde is not None and n is not None and power is not None:
        power = None  # all given: compute the power
    if mde is not None:
        p2 = baseline * (1.0 + mde) if relative else baseline + mde
        if not 0.0 < p2 < 1.0 or p2 == baseline:
            raise InvalidInput(f"the detectable rate {p2:g} must differ from the baseline and lie in (0, 1)")
        h = abs(2.0 * math.asin(math.sqrt(p2)) - 2.0 * a1)
        if n is None:
            if power is None:
                raise InvalidInput("give the power to solve for the sample size")
            n_exact = _solve_n(normal_power, h, alpha, power, ratio, 1.0)
            solved = "n"
        else:
            n_exact, solved = float(n), "power"
            power = normal_power(h, n_exact, alpha, ratio)
    else:
        if n is None or power is None:
            raise InvalidInput("give two of: mde, n (control-arm size), power")
        n_exact, solved = float(n), "mde"
        h = _solve_effect(normal_power, n_exact, alpha, power, ratio, 2.0 * (math.pi / 2.0 - a1))
        p2 = math.sin(a1 + h / 2.0) ** 2
    if n_exact <= 0:
        raise InvalidInput("n must be positive")
    n_c, n_t = _sizes(n_exact, ratio)
    res = PowerResult(
        "proportion", solved, alpha, float(power), ratio, n_c, n_t, n_c + n_t, n_exact, h, baseline, None,
        p2 - baseline, (p2 - baseline) / baseline, p2, "normal approximation, Cohen's h (arcsine)",
    )  # fmt: skip
    res.summary = _summary(res)
    return res


def plan_means(
    sd: float,
    *,
    mde: float | None = None,
    baseline: float | None = None,
    relative: bool = False,
    n: float | None = None,
    alpha: float = 0.05,
    power: float | None = 0.8,
    ratio: float = 1.0,
) -> PowerResult:
    """Like :func:`plan_proportions` for a mean with standard deviation ``sd`` (relative mde needs ``baseline``)."""
    _check_common(alpha, power, ratio)
    if not sd > 0.0 or not math.isfinite(sd):
        raise InvalidInput(f"standard deviation must be positive, got {sd}")
    if relative and (baseline is None or baseline == 0.0):
        raise InvalidInput("a relative mde needs a non-zero baseline mean")
    if mde is not None and n is not None and power is not None:
        power = None
    if mde is not None:
        delta = abs(mde * baseline) if relative and baseline is not None else abs(mde)
        if delta == 0.0:
            raise InvalidInput("mde must not be 0")
        d = delta / sd
        if n is None:
            if power is None:
                raise InvalidInput("give the power to solve for the sample size")
            n_exact, solved = _solve_n(t_power, d, alpha, power, ratio, 2.0), "n"
        else:
            n_exact, solved = float(n), "power"
            if n_exact + n_exact * ratio <= 2.0:
                raise InvalidInput("need more than 2 users in total")
            power = t_power(d, n_exact, alpha, ratio)
    else:
        if n is None or power is None:
            raise InvalidInput("give two of: mde, n (control-arm size), power")
        n_exact, solved = float(n), "mde"
        if n_exact + n_exact * ratio <= 2.0:
            raise InvalidInput("need more than 2 users in total")
        d = _solve_effect(t_power, n_exact, alpha, power, ratio, 1e3)
        delta = d * sd
    n_c, n_t = _sizes(n_exact, ratio)
    res = PowerResult(
        "mean", solved, alpha, float(power), ratio, n_c, n_t, n_c + n_t, n_exact, d, baseline, sd, delta,
        delta / baseline if baseline else None, (baseline + delta) if baseline is not None else None,
        "two-sample t-test, non-central t",
    )  # fmt: skip
    res.summary = _summary(res)
    return res


def _pct(x: float | None, digits: int = 2, sign: str = "") -> str:
    return "–" if x is None else f"{x * 100:{sign}.{digits}f} %"


def _summary(r: PowerResult) -> str:
    if r.kind == "proportion":
        assert r.baseline is not None and r.target is not None
        effect = (
            f"a {_pct(r.mde_rel, 1, '+')} relative lift on a {_pct(r.baseline)} baseline "
            f"({_pct(r.baseline)} → {_pct(r.target)})"
        )
    else:
        effect = f"a difference of {r.mde_abs:.4g} in means (sd {r.sd:.4g}, d = {r.effect_size:.3f})"
        if r.mde_rel is not None:
            effect += f", {_pct(r.mde_rel, 1, '+')} relative"
    tail = f"at α = {r.alpha:g} (two-sided)"
    arms = f"{r.n_control:,} control and {r.n_treatment:,} treatment users ({r.n_total:,} total)"
    if r.solved_for == "n":
        return f"Need {arms} to detect {effect} with {_pct(r.power, 0)} power {tail}."
    if r.solved_for == "mde":
        return f"With {arms}, the minimum detectable effect at {_pct(r.power, 0)} power {tail} is {effect}."
    return f"With {arms}, the power to detect {effect} {tail} is {_pct(r.power, 1)}."


__all__ = ["PowerResult", "normal_power", "plan_means", "plan_proportions", "t_power"]
