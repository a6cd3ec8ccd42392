"""Session fixtures for the fetch tests: the local fixture web server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fetch_site import FixtureServer, serve


@pytest.fixture(scope="session")
def server() -> Iterator[FixtureServer]:
    with serve() as fixture:
        yield fixture


@pytest.fixture(scope="session")
def server_robots_503() -> Iterator[FixtureServer]:
    with serve(robots_status=503) as fixture:
        yield fixture


@pytest.fixture(scope="session")
def server_robots_404() -> Iterator[FixtureServer]:
    with serve(robots_status=404) as fixture:
        yield fixture
