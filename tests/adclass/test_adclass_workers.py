"""adclass under ``adlens serve --workers N``: several processes on one ADLENS_HOME / one ad database.

The migration tests start real separate processes (multiprocessing "spawn") that migrate the same fresh
database at the same moment. The retrain test uses two independent :class:`Runtime` objects on the same
home: each keeps its own classifier cache (``runtime.shared``), exactly as two worker processes do, and
they share only the files under ``data_dir`` — so two runtimes in one process are equivalent to two
processes here.
"""

from __future__ import annotations

import multiprocessing as mp
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from adlens.adclass import demo
from adlens.adclass.db import SCHEMA_VERSION, AdDatabase, normalise_url
from adlens.adclass.importer import import_ads
from adlens.adclass.service import (
    classify_keyword,
    forget_classifiers,
    head_path,
    load_classifier,
    repository,
)
from adlens.config import Settings
from adlens.runtime import Runtime

PROCESSES = 3


def _migrate_in_step(urls: list[str], barrier: Any, out: Any) -> None:
    """One worker process: for each URL, wait for the others, then open and migrate the database."""
    for url in urls:
        db = AdDatabase(url)
        barrier.wait(timeout=60)
        try:
            db.ensure()
            out.put((url, "ok"))
        except Exception as exc:  # reported to the parent, which fails the test
            out.put((url, f"{type(exc).__name__}: {str(exc)[:160]}"))
        finally:
            db.close()


def _race(urls: list[str]) -> list[tuple[str, str]]:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    out = ctx.Queue()
    procs = [ctx.Process(target=_migrate_in_step, args=(urls, barrier, out)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in range(PROCESSES * len(urls))]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return results


def _assert_migrated_once(url: str) -> None:
    db = AdDatabase(url)
    try:
        engine = db.ensure()
        assert db.migration is not None and db.migration["applied"] == []  # already current
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT version FROM schema_version ORDER BY version")).all()
            assert [r[0] for r in rows] == list(range(1, SCHEMA_VERSION + 1))
            if db.dialect == "sqlite":
                assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        db.close()


def test_processes_migrating_a_new_sqlite_file_at_once_all_succeed(tmp_path: Path) -> None:
    """Real processes; without the migration lock most of them failed ("table already exists",
    "duplicate column", a UNIQUE error on schema_version, or "database is locked" from the switch of a
    brand-new file to WAL)."""
    urls = [f"sqlite:///{tmp_path / f'trial{i}' / 'ads.db'}" for i in range(4)]
    results = _race(urls)
    failures = [r for r in results if r[1] != "ok"]
    assert not failures, failures
    for url in urls:
        _assert_migrated_once(url)


@pytest.fixture()
def pg_urls(postgres_url: str) -> Iterator[list[str]]:
    """Three fresh databases on the session's throwaway PostgreSQL server."""
    names = [f"adclass_w_{uuid.uuid4().hex[:10]}" for _ in range(3)]
    admin = sa.create_engine(normalise_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield [postgres_url.rsplit("/", 1)[0] + f"/{name}" for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_processes_migrating_a_new_postgres_database_at_once_all_succeed(pg_urls: list[str]) -> None:
    """Real processes on a real PostgreSQL server; the advisory lock makes one of them migrate."""
    results = _race(pg_urls)
    failures = [r for r in results if r[1] != "ok"]
    assert not failures, failures
    for url in pg_urls:
        _assert_migrated_once(url)


def _write_new_head(rt: Runtime) -> str:
    """What the end of a retrain does in worker A (``retrain`` → ``LinearHead.save``, an atomic replace
    of ``theme_head.json``, then ``forget_classifiers``), with the packaged head re-saved at another
    temperature instead of the minute-long training; answers the new head's version."""
    from adlens.adclass.classifiers import ThemeSet
    from adlens.adclass.classifiers.fast import packaged_head

    themes = ThemeSet.default()
    head = packaged_head(themes)
    assert head is not None
    head.temperature *= 1.5
    head.save(head_path(rt.settings), themes.version)
    forget_classifiers(rt)
    return head.version


def test_a_retrain_in_one_worker_is_used_by_the_others(tmp_path: Path) -> None:
    """Two independent runtimes on one home (= two worker processes): worker B, whose classifier is
    already loaded, classifies with the head worker A wrote, and stores results under the new version."""
    a, b = Runtime(Settings(home=tmp_path / "home")), Runtime(Settings(home=tmp_path / "home"))
    try:
        rows = demo.library()["Fizzco"][:6]
        import_ads(repository(a), "Fizzco", demo.to_csv(rows), "fizzco.csv")
        old = load_classifier(b, "fast").version
        assert load_classifier(a, "fast").version == old
        head_version = _write_new_head(a)
        new = load_classifier(a, "fast").version
        assert new != old and load_classifier(a, "fast").head.version == head_version
        clf_b = load_classifier(b, "fast")
        assert clf_b.version == new and clf_b.head.version == head_version  # no restart needed
        run = classify_keyword(b, "Fizzco", include_results=False)
        assert run["classified"] == len(rows)
        with repository(b).engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT DISTINCT classifier_version FROM classifications")).all()
        assert [v[0] for v in stored] == [new]
        assert load_classifier(b, "fast") is clf_b  # unchanged files: the same classifier, not rebuilt
    finally:
        a.close()
        b.close()


def test_an_edited_themes_file_is_used_without_a_restart(tmp_path: Path) -> None:
    """One runtime (a worker) with a configured themes file that is edited while it runs."""
    themes_file = tmp_path / "themes.yaml"
    themes_file.write_text(
        "themes:\n- {name: Offer, description: sells a product}\n"
        "- {name: Unrelated, description: not about the brand}\n",
        encoding="utf-8",
    )
    rt = Runtime(Settings(home=tmp_path / "home", adclass_themes_path=themes_file))
    try:
        assert load_classifier(rt, "fast").themes.names == ["Offer", "Unrelated"]
        themes_file.write_text(
            "themes:\n- {name: Offer, description: sells a product}\n- {name: Story, description: a story}\n"
            "- {name: Unrelated, description: not about the brand}\n",
            encoding="utf-8",
        )
        assert load_classifier(rt, "fast").themes.names == ["Offer", "Story", "Unrelated"]
    finally:
        rt.close()
