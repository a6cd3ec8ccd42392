"""Loading and validating long-format panel data (one row per unit and period).

Every check raises :class:`adlens.errors.InvalidInput` with a message that names the offending
columns, units or periods, so bad uploads never surface as a traceback or a silent NaN.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from adlens.errors import InvalidInput, UnsupportedMedia

__all__ = [
    "Panel",
    "build_panel",
    "coerce_time",
    "guess_columns",
    "load_table",
    "match_periods",
    "require_columns",
    "split_treated",
    "to_plain",
]

_PARQUET_MAGIC = b"PAR1"


def _list_preview(items: Sequence[Any], n: int = 5) -> str:
    shown = ", ".join(str(x) for x in list(items)[:n])
    return shown + (f" (and {len(items) - n} more)" if len(items) > n else "")


def load_table(source: str | Path | bytes, filename: str | None = None) -> pd.DataFrame:
    """Read a CSV (any common delimiter) or Parquet file from a path or raw bytes."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise InvalidInput(f"data file not found: {path}")
        data = path.read_bytes()
        filename = filename or path.name
    else:
        data = source
    if not data:
        raise InvalidInput("the data file is empty")
    name = (filename or "").lower()
    try:
        if data[:4] == _PARQUET_MAGIC or name.endswith((".parquet", ".pq")):
            return pd.read_parquet(io.BytesIO(data))
        if name.endswith((".xlsx", ".xls", ".json")):
            raise UnsupportedMedia(f"unsupported file type {filename!r}: upload CSV or Parquet")
        text = data.decode("utf-8-sig")
        first = text.split("\n", 1)[0]
        sep = max([",", ";", "\t", "|"], key=first.count)
        df = pd.read_csv(io.StringIO(text), sep=sep)
    except (InvalidInput, UnsupportedMedia):
        raise
    except UnicodeDecodeError as exc:
        raise InvalidInput("the data file is neither UTF-8 CSV nor Parquet") from exc
    except Exception as exc:  # pandas/pyarrow parse errors have many types
        raise InvalidInput(f"could not parse the data file: {str(exc).splitlines()[0]}") from exc
    if df.empty:
        raise InvalidInput("the data file has a header but no rows")
    return df


def require_columns(df: pd.DataFrame, *columns: str | None) -> None:
    """Raise if any named column is missing."""
    missing = [c for c in columns if c is not None and c not in df.columns]
    if missing:
        raise InvalidInput(
            f"column(s) {', '.join(repr(c) for c in missing)} not found; available: {_list_preview(list(df.columns), 12)}"
        )


def _numeric(df: pd.DataFrame, column: str) -> pd.Series:
    s = df[column]
    if pd.api.types.is_bool_dtype(s):
        return s.astype(float)
    if pd.api.types.is_numeric_dtype(s):
        return s.astype(float)
    converted = pd.to_numeric(s, errors="coerce")
    bad = s[converted.isna() & s.notna()]
    if len(bad):
        raise InvalidInput(
            f"column {column!r} must be numeric but has non-numeric values such as {_list_preview(bad.unique().tolist(), 3)}"
        )
    return converted.astype(float)


@dataclass(frozen=True)
class Panel:
    """A balanced panel: ``Y`` is units × periods (sorted), with the column names it came from."""

    Y: pd.DataFrame
    unit: str
    time: str
    outcome: str

    @property
    def units(self) -> list[Any]:
        return list(self.Y.index)

    @property
    def times(self) -> list[Any]:
        return list(self.Y.columns)


def coerce_time(s: pd.Series, column: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
        out = s
    else:
        num = pd.to_numeric(s, errors="coerce")
        if num.notna().all():
            out = num
        else:
            dates = pd.to_datetime(s, errors="coerce")
            if dates.isna().any():
                raise InvalidInput(
                    f"time column {column!r} must be numbers or dates; got values such as {_list_preview(s[dates.isna()].unique().tolist(), 3)}"
                )
            out = dates
    if pd.api.types.is_float_dtype(out) and bool(np.all(np.mod(out.dropna(), 1) == 0)):
        out = out.astype("int64")
    return out


def build_panel(df: pd.DataFrame, unit: str, time: str, outcome: str) -> Panel:
    """Validate a long table and pivot it to a balanced units × periods matrix."""
    require_columns(df, unit, time, outcome)
    if len({unit, time, outcome}) < 3:
        raise InvalidInput("unit, time and outcome must be three different columns")
    work = pd.DataFrame(
        {
            unit: df[unit].astype(str).str.strip() if df[unit].dtype == object else df[unit],
            time: coerce_time(df[time], time),
            outcome: _numeric(df, outcome),
        }
    )
    if np.isinf(work[outcome]).any():
        raise InvalidInput(
            f"outcome {outcome!r} has infinite values in {int(np.isinf(work[outcome]).sum())} row(s)"
        )
    if work[unit].isna().any() or work[time].isna().any():
        raise InvalidInput(
            f"{int(work[unit].isna().sum() + work[time].isna().sum())} row(s) have an empty unit or time"
        )
    dup = work.duplicated([unit, time], keep=False)
    if dup.any():
        pairs = work.loc[dup, [unit, time]].drop_duplicates().head(5)
        listed = "; ".join(f"{u} @ {t}" for u, t in pairs.itertuples(index=False))
        raise InvalidInput(
            f"duplicate rows for the same unit and period ({int(dup.sum())} rows), e.g. {listed}"
        )
    Y = work.pivot(index=unit, columns=time, values=outcome).sort_index().sort_index(axis=1)
    missing = Y.isna()
    if missing.any().any():
        holes = [
            f"{u}: {_list_preview([t for t, m in row.items() if m], 4)}"
            for u, row in missing.iterrows()
            if row.any()
        ]
        raise InvalidInput(
            f"the panel is unbalanced or has missing outcomes: {len(holes)} unit(s) lack periods, e.g. "
            + " | ".join(holes[:4])
        )
    if Y.shape[0] < 2 or Y.shape[1] < 2:
        raise InvalidInput(
            f"need at least 2 units and 2 periods; got {Y.shape[0]} unit(s) and {Y.shape[1]} period(s)"
        )
    if float(np.nanstd(Y.to_numpy())) == 0.0:
        raise InvalidInput(
            f"outcome {outcome!r} is constant across the whole panel: there is nothing to estimate"
        )
    return Panel(Y=Y, unit=unit, time=time, outcome=outcome)


def _match_value(value: Any, candidates: Sequence[Any], what: str) -> Any:
    """Match a user-typed value (often a string) to an existing unit or period label."""
    for c in candidates:
        if c == value or str(c) == str(value):
            return c
    try:
        num = float(value)
        for c in candidates:
            if isinstance(c, (int, float, np.integer, np.floating)) and float(c) == num:
                return c
    except (TypeError, ValueError):
        pass
    if candidates and isinstance(candidates[0], pd.Timestamp):
        try:
            ts = pd.Timestamp(value)
        except (TypeError, ValueError):
            ts = None
        if ts is not None and ts in set(candidates):
            return ts
    raise InvalidInput(f"unknown {what} {value!r}; known values include {_list_preview(list(candidates), 8)}")


def match_periods(panel: Panel, periods: Sequence[Any]) -> list[Any]:
    """Map user-typed periods (strings from a form, floats…) onto the panel's period labels."""
    return [_match_value(p, panel.times, "period") for p in periods]


def split_treated(
    panel: Panel, treated: Sequence[Any], start: Any, *, min_donors: int = 2, min_pre: int = 1
) -> tuple[list[Any], list[Any], Any, int]:
    """Resolve treated units and the start period; return ``(treated, donors, start, T0)``.

    ``T0`` is the number of periods strictly before ``start`` (the pre-period length).
    """
    if not treated:
        raise InvalidInput("name at least one treated unit")
    units = panel.units
    resolved = [_match_value(t, units, "treated unit") for t in treated]
    if len(set(resolved)) != len(resolved):
        raise InvalidInput("a treated unit is listed twice")
    times = panel.times
    start_v = start
    if isinstance(times[0], pd.Timestamp):
        try:
            start_v = pd.Timestamp(start)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"treatment start {start!r} is not a valid date") from exc
    else:
        try:
            start_v = (
                type(times[0])(float(start)) if isinstance(times[0], (int, np.integer)) else float(start)
            )
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"treatment start {start!r} is not a valid period") from exc
    if start_v <= times[0]:
        raise InvalidInput(
            f"treatment start {start} leaves no pre-treatment period (the data start at {times[0]})"
        )
    if start_v > times[-1]:
        raise InvalidInput(f"treatment start {start} is after the last period in the data ({times[-1]})")
    T0 = int(sum(1 for t in times if t < start_v))
    if min_pre > T0:
        raise InvalidInput(f"need at least {min_pre} pre-treatment period(s); {start} leaves {T0}")
    donors = [u for u in units if u not in resolved]
    if len(donors) < min_donors:
        raise InvalidInput(f"too few control units: {len(donors)} (need at least {min_donors})")
    return resolved, donors, times[T0], T0


def guess_columns(df: pd.DataFrame) -> dict[str, Any]:
    """Guess which columns hold unit, time, outcome and treatment (for the web form)."""
    cols = list(df.columns)
    lower = {c: str(c).lower() for c in cols}

    def pick(keys: Sequence[str], pred: Any = None) -> str | None:
        for k in keys:
            for c in cols:
                if k in lower[c] and (pred is None or pred(df[c])):
                    return c
        return None

    is_num = pd.api.types.is_numeric_dtype
    time = pick(["year", "date", "week", "month", "period", "time", "day", "t"])
    unit = pick(["state", "unit", "region", "country", "market", "geo", "dma", "city", "store", "id", "name"])
    if unit is None:
        unit = next((c for c in cols if not is_num(df[c])), None)
    treat = pick(["treated", "treat", "d_", "post"], lambda s: set(pd.unique(s.dropna())) <= {0, 1})
    numeric = [c for c in cols if is_num(df[c]) and c not in {time, unit, treat}]
    outcome = numeric[0] if numeric else None
    start = None
    if treat is not None and time is not None:
        on = df.loc[df[treat].astype(bool), time]
        start = None if on.empty else to_plain(on.min())
    treated_units: list[Any] = []
    if treat is not None and unit is not None:
        treated_units = sorted({to_plain(u) for u in df.loc[df[treat].astype(bool), unit]}, key=str)
    return {
        "columns": [str(c) for c in cols],
        "unit": unit,
        "time": time,
        "outcome": outcome,
        "treatment": treat,
        "treated_units": treated_units,
        "start": start,
        "units": sorted({to_plain(u) for u in df[unit]}, key=str)[:500] if unit is not None else [],
    }


def to_plain(value: Any) -> Any:
    """numpy scalar → Python scalar (for JSON)."""
    return value.item() if hasattr(value, "item") else value
