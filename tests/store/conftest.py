"""Fixtures: every contract test runs on the embedded store and on a real Milvus server.

The Milvus server comes from the ``milvus`` PyPI package, started once per session in a temp base
dir on 127.0.0.1; its tests are skipped (with the reason) only if the server cannot start.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from adlens.store import EmbeddedStore


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def milvus_uri() -> Iterator[str]:
    warnings.filterwarnings("ignore", category=UserWarning, message=".*pkg_resources.*")
    try:
        from milvus import MilvusServer

        server = MilvusServer()
        base = tempfile.mkdtemp(prefix="adlens-milvus-")
        server.set_base_dir(base)
        server.listen_port = _free_port()
        server.start()
    except Exception as e:  # the only reason to skip: the server cannot start here
        pytest.skip(f"Milvus server could not start: {type(e).__name__}: {e}")
    try:
        yield f"http://127.0.0.1:{server.listen_port}"
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


BACKENDS = ["embedded", pytest.param("milvus", marks=pytest.mark.milvus)]


def _open(kind: str, folder: Path, request: pytest.FixtureRequest) -> object:
    if kind == "embedded":
        return EmbeddedStore(folder / "store.sqlite", exact_scan_threshold=200)
    from adlens.store.milvus_store import MilvusStore

    uri = request.getfixturevalue("milvus_uri")
    return MilvusStore(uri, side_index=folder / "kw.sqlite", prefix=f"t{uuid.uuid4().hex[:8]}_")


def _close(s: object) -> None:
    if not isinstance(s, EmbeddedStore):
        for info in s.list_collections():  # type: ignore[attr-defined]
            s.drop_collection(info.name)  # type: ignore[attr-defined]
    s.close()  # type: ignore[attr-defined]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """A fresh, empty store per test."""
    s = _open(request.param, tmp_path, request)
    yield s
    _close(s)


@pytest.fixture(scope="module", params=BACKENDS)
def shared_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[object]:
    """One store per module and backend, for tests that only read what a fixture loaded."""
    s = _open(request.param, tmp_path_factory.mktemp("shared"), request)
    yield s
    _close(s)
