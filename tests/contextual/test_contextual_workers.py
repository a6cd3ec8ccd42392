"""contextual under ``adlens serve --workers N``: several processes sharing one ADLENS_HOME.

Each worker process has its own in-process objects (the bid-time front LRU, the scorer cache) and shares
only files. Two independent objects on the same files are therefore equivalent to two processes here:
two ``ContextCache`` objects, each on its own ``DiskCache`` over one directory; and an install through
the CLI (another process in production) next to a runtime that already built its scorer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from adlens.cache.disk import DiskCache
from adlens.contextual import context_cache
from adlens.contextual.context_cache import FRONT_TTL_S, ContextCache
from adlens.runtime import Runtime

URL, TAX = "http://example.com/article", "iab-3.1"


class _Clock:
    """A monotonic clock the test advances (only ``context_cache`` reads it)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    fake = _Clock()
    monkeypatch.setattr(context_cache, "time", fake)
    return fake


def _status(blob: bytes | None) -> Any:
    return None if blob is None else orjson.loads(blob)["status"]


def test_an_answer_replaced_by_another_worker_is_seen_within_the_front_ttl(
    tmp_path: Path, clock: _Clock
) -> None:
    """Worker A stores a failure, worker B reads it from the shared cache, A then stores the analysis:
    B answers it once its front entry expires (30 s), not after a day."""
    a = ContextCache(DiskCache(tmp_path / "cache"))
    b = ContextCache(DiskCache(tmp_path / "cache"))
    key = a.key(URL, TAX)
    a.put_failure(URL, TAX, "502 from origin")
    assert _status(b.get(key)) == "failed" and b.hits_backing == 1
    assert _status(b.get(key)) == "failed" and b.hits_front == 1  # the front LRU serves it now
    a.put({"url": URL, "taxonomy": TAX, "segments": ["483"], "categories": []})
    assert _status(a.get(key)) == "ok"
    clock.now += FRONT_TTL_S + 1
    assert _status(b.get(key)) == "ok"  # re-read from the shared cache
    assert orjson.loads(b.get(key) or b"{}")["segments"] == ["483"]


def test_own_answers_are_also_rechecked_after_the_front_ttl(tmp_path: Path, clock: _Clock) -> None:
    """B analysed the page itself (a 24-hour answer); A re-analyses it: B follows within 30 s."""
    a = ContextCache(DiskCache(tmp_path / "cache"))
    b = ContextCache(DiskCache(tmp_path / "cache"))
    key = b.key(URL, TAX)
    b.put({"url": URL, "taxonomy": TAX, "segments": ["483"], "categories": []})
    a.put({"url": URL, "taxonomy": TAX, "segments": ["596"], "categories": []})
    assert orjson.loads(b.get(key) or b"{}")["segments"] == ["483"]  # B's front entry, still fresh
    clock.now += FRONT_TTL_S + 1
    assert orjson.loads(b.get(key) or b"{}")["segments"] == ["596"]


def _install(path: Path, lines: list[str]) -> None:
    from adlens.cli.main import app

    path.write_text("# Google_Product_Taxonomy_Version: test\n" + "\n".join(lines) + "\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["taxonomy", "install", "google-product", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["nodes"] == len(lines)


def test_a_reinstalled_product_taxonomy_replaces_the_cached_scorer(
    tmp_path: Path, fresh_settings: Any
) -> None:
    """A runtime (a worker) built its google-product scorer; the taxonomy is installed again (by the
    CLI, i.e. another process): the next scorer has the new categories."""
    from adlens.contextual.scoring import ContextScorer

    src = tmp_path / "products.txt"
    _install(src, ["1 - Animals & Pet Supplies", "2 - Animals & Pet Supplies > Pet Supplies", "8 - Toys"])
    rt = Runtime(fresh_settings)
    try:
        first = ContextScorer.from_runtime(rt, "google-product")
        assert set(first.taxonomy.nodes) == {"1", "2", "8"}
        assert ContextScorer.from_runtime(rt, "google-product") is first  # unchanged: reused
        _install(src, ["1 - Animals & Pet Supplies", "8 - Toys", "9 - Toys > Board Games"])
        second = ContextScorer.from_runtime(rt, "google-product")
        assert set(second.taxonomy.nodes) == {"1", "8", "9"}
        assert ContextScorer.from_runtime(rt, "google-product") is second
    finally:
        rt.close()
