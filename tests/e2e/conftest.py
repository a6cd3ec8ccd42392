"""End-to-end fixtures: the real server in a subprocess (``browser`` is in the root conftest)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live_server import Server, running_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("e2e-home")) as srv:
        yield srv
