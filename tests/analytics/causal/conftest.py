"""Shared fixtures: the published panels (read from ../shared/data) and cached fits."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from adlens.analytics.panel import load_table


@pytest.fixture(scope="session")
def prop99(shared_data: Path) -> pd.DataFrame:
    return load_table(shared_data / "prop99-california-tobacco" / "california_prop99.csv")


@pytest.fixture(scope="session")
def prop99_path(shared_data: Path) -> Path:
    return shared_data / "prop99-california-tobacco" / "california_prop99.csv"


@pytest.fixture(scope="session")
def basque(shared_data: Path) -> pd.DataFrame:
    return load_table(shared_data / "synthetic-control-pysyncon" / "basque.csv")


@pytest.fixture(scope="session")
def germany(shared_data: Path) -> pd.DataFrame:
    return load_table(shared_data / "synthetic-control-pysyncon" / "germany.csv")


@pytest.fixture(scope="session")
def card_krueger(shared_data: Path) -> pd.DataFrame:
    return load_table(shared_data / "card-krueger-minwage" / "card-krueger.csv")
