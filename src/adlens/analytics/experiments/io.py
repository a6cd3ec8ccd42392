"""Input for experiments: reading CSV/Parquet, validating columns, parsing compact count specs."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from adlens.analytics.experiments.means import MeanStats
from adlens.analytics.experiments.proportions import ProportionCounts
from adlens.errors import InvalidInput, UnsupportedMedia

CSV_SUFFIXES = (".csv", ".txt")
TSV_SUFFIXES = (".tsv",)
PARQUET_SUFFIXES = (".parquet", ".pq")


def read_table(source: str | Path | bytes, filename: str | None = None) -> pd.DataFrame:
    """Read a CSV, TSV or Parquet table from a path or from bytes (format from the file name's suffix)."""
    name = filename or (str(source) if not isinstance(source, bytes) else "upload.csv")
    suffix = Path(name).suffix.lower()
    if not isinstance(source, bytes):
        path = Path(source)
        if not path.is_file():
            raise InvalidInput(f"data file not found: {path}")
        data: bytes | Path = path
    else:
        data = source
    buf = io.BytesIO(data) if isinstance(data, bytes) else data
    try:
        if suffix in PARQUET_SUFFIXES:
            df = pd.read_parquet(buf)
        elif suffix in CSV_SUFFIXES + TSV_SUFFIXES or suffix == "":
            df = pd.read_csv(buf, sep="\t" if suffix in TSV_SUFFIXES else ",")
        else:
            raise UnsupportedMedia(f"unsupported data file type '{suffix}' (use .csv, .tsv or .parquet)")
    except (UnsupportedMedia, InvalidInput):
        raise
    except pd.errors.EmptyDataError as exc:
        raise InvalidInput(f"{name} is empty") from exc
    except Exception as exc:  # parser errors of every flavour
        raise InvalidInput(f"could not read {Path(name).name}: {str(exc).splitlines()[0][:200]}") from exc
    if df.empty:
        raise InvalidInput(f"{Path(name).name} has no rows")
    return df


def require_columns(df: pd.DataFrame, columns: list[str], source: str = "data") -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        have = ", ".join(map(str, list(df.columns)[:20]))
        raise InvalidInput(
            f"column(s) {', '.join(repr(c) for c in missing)} not found in {source} (columns: {have})"
        )


def numeric_column(df: pd.DataFrame, column: str) -> np.ndarray:
    """The column as floats; non-numeric or missing values are an error, not a silent NaN."""
    series = df[column]
    if pd.api.types.is_bool_dtype(series):
        series = series.astype(float)
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna()
    if bad.any():
        example = series[bad].iloc[0]
        raise InvalidInput(f"column '{column}' is not numeric ({int(bad.sum())} value(s) like {example!r})")
    if values.isna().any():
        raise InvalidInput(f"column '{column}' has {int(values.isna().sum())} missing value(s)")
    out = values.to_numpy(dtype=float)
    if not np.all(np.isfinite(out)):
        raise InvalidInput(f"column '{column}' has infinite values")
    return out


def is_binary(values: np.ndarray) -> bool:
    return bool(np.all((values == 0.0) | (values == 1.0)))


def arm_labels(df: pd.DataFrame, arm: str) -> pd.Series:
    labels = df[arm]
    if labels.isna().any():
        raise InvalidInput(f"arm column '{arm}' has {int(labels.isna().sum())} missing value(s)")
    return labels.astype(str)


def order_arms(arms: list[str], control: str | None, need_two: bool = True) -> list[str]:
    """Arms with the control first (default: the first in sorted order, e.g. 'A' or 'control')."""
    arms = sorted(dict.fromkeys(arms))
    if need_two and len(arms) < 2:
        found = f"only arm '{arms[0]}'" if arms else "no arms"
        raise InvalidInput(f"an A/B test needs at least 2 arms, found {found}")
    if control is None:
        control = next((a for a in arms if a.lower() in ("control", "ctrl", "a", "0", "c")), arms[0])
    if control not in arms:
        raise InvalidInput(f"control arm '{control}' not found (arms: {', '.join(arms)})")
    return [control] + [a for a in arms if a != control]


def _number(text: str, what: str, spec: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"{what} '{text}' in '{spec}' is not a number") from None


def parse_counts(spec: str) -> list[ProportionCounts]:
    """``"A:1000:120,B:1000:150"`` → users and conversions per arm."""
    out = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        fields = part.split(":")
        if len(fields) != 3 or not fields[0]:
            raise InvalidInput(f"count spec '{part}' must look like ARM:USERS:CONVERSIONS")
        out.append(
            ProportionCounts(
                fields[0],
                _whole(_number(fields[1], "users", part)),
                _whole(_number(fields[2], "conversions", part)),
            )
        )
    _unique([c.arm for c in out], spec)
    return out


def _whole(x: float) -> int:
    # non-integers pass through unchanged so ProportionCounts reports them
    return int(x) if x.is_integer() else x  # type: ignore[return-value]


def parse_sums(spec: str) -> list[MeanStats]:
    """``"A:500:12000:410000,B:..."`` → n, sum and sum of squares per arm."""
    out = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        fields = part.split(":")
        if len(fields) != 4 or not fields[0]:
            raise InvalidInput(f"sum spec '{part}' must look like ARM:N:SUM:SUM_OF_SQUARES")
        n, s, ss = (
            _number(f, w, part) for f, w in zip(fields[1:], ("n", "sum", "sum of squares"), strict=True)
        )
        out.append(MeanStats.from_sums(fields[0], n, s, ss))
    _unique([c.arm for c in out], spec)
    return out


def parse_split(spec: str | None) -> dict[str, float] | None:
    """``"A:50,B:50"`` or ``"A=1,B=2"`` → planned split weights."""
    if not spec:
        return None
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        arm, sep, weight = part.replace("=", ":").rpartition(":")
        if not sep or not arm:
            raise InvalidInput(f"planned split '{part}' must look like ARM:WEIGHT")
        out[arm] = _number(weight, "weight", part)
    return out


def _unique(arms: list[str], spec: str) -> None:
    if not arms:
        raise InvalidInput("no arms given")
    if len(set(arms)) != len(arms):
        raise InvalidInput(f"an arm appears twice in '{spec}'")


__all__ = [
    "arm_labels",
    "is_binary",
    "numeric_column",
    "order_arms",
    "parse_counts",
    "parse_split",
    "parse_sums",
    "read_table",
    "require_columns",
]
