"""The ad database on SQLite and PostgreSQL: creation, migration from the seed's bare schema, a full run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from adlens.adclass import demo
from adlens.adclass.db import SCHEMA_VERSION, AdDatabase, current_version, database_url, normalise_url
from adlens.adclass.importer import import_ads
from adlens.adclass.labels import add_label
from adlens.adclass.repository import AdRepository
from adlens.adclass.service import classify_keyword, stats
from adlens.config import Settings
from adlens.runtime import Runtime

SEED_SQLITE = [
    "CREATE TABLE keywords (id INTEGER PRIMARY KEY AUTOINCREMENT, keyword TEXT UNIQUE NOT NULL,"
    " created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)",
    "CREATE TABLE meta_ads (id INTEGER PRIMARY KEY AUTOINCREMENT, keyword_id INTEGER, body_text TEXT,"
    " page_name TEXT, title TEXT, description TEXT, FOREIGN KEY (keyword_id) REFERENCES keywords(id))",
]
SEED_PG = [
    "CREATE TABLE keywords (id SERIAL PRIMARY KEY, keyword TEXT UNIQUE NOT NULL, created_at TIMESTAMP DEFAULT now())",
    "CREATE TABLE meta_ads (id SERIAL PRIMARY KEY, keyword_id INTEGER REFERENCES keywords(id), body_text TEXT,"
    " page_name TEXT, title TEXT, description TEXT)",
]
SEED_ROWS = [
    "INSERT INTO keywords (keyword) VALUES ('Pepsi')",
    "INSERT INTO meta_ads (keyword_id, body_text, page_name, title, description) VALUES"
    " (1, 'Pepsi Zero Sugar, now 2 for 1 at your store', 'Pepsi', 'Zero sugar', ''),"
    " (1, 'Watching the game with a cold pepsi #pepsi', 'Sam', NULL, NULL),"
    " (1, NULL, NULL, NULL, NULL)",
]


@pytest.fixture()
def pg_url(postgres_url: str) -> Iterator[str]:
    """A fresh database on the session's throwaway PostgreSQL server."""
    name = f"adclass_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(normalise_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    rt = Runtime(Settings(home=tmp_path_factory.mktemp("adclass-db")))
    try:
        yield rt
    finally:
        rt.close()


def _use_db(rt: Runtime, db: AdDatabase) -> None:
    old = rt._objects.pop("adclass.db", None)
    if old is not None:
        old.close()
    rt._objects["adclass.db"] = db


def test_default_url_is_sqlite_under_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ADLENS_ADCLASS_DATABASE_URL", raising=False)
    settings = Settings(home=tmp_path)
    assert database_url(settings) == f"sqlite:///{tmp_path / 'data' / 'adclass' / 'ads.db'}"
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    db = AdDatabase.from_settings(settings)
    assert db.ping() and db.migration == {"from": 0, "to": SCHEMA_VERSION, "applied": [1, 2, 3]}
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        tables = set(sa.inspect(conn).get_table_names())
    assert {"keywords", "meta_ads", "classifications", "labels", "schema_version"} <= tables
    again = AdDatabase.from_settings(settings)
    assert again.ping() and again.migration is not None and again.migration["applied"] == []
    db.close()
    again.close()


def _seed(url: str, ddl: list[str]) -> None:
    engine = sa.create_engine(normalise_url(url))
    with engine.begin() as conn:
        for stmt in [*ddl, *SEED_ROWS]:
            conn.execute(sa.text(stmt))
    engine.dispose()


def _check_upgrade_and_run(rt: Runtime, url: str) -> None:
    db = AdDatabase(url)
    with db.engine.connect() as conn:
        assert current_version(conn) == 1  # recognised as the seed's schema
    _use_db(rt, db)
    repo = AdRepository(db)
    kw = repo.get_keyword("pepsi")
    ads = repo.results(kw["id"], limit=None)
    assert [a["external_id"] for a in ads] == ["1", "2", "3"]  # seed rows kept, ids backfilled
    with db.engine.connect() as conn:
        assert current_version(conn) == SCHEMA_VERSION

    run = classify_keyword(rt, "Pepsi")
    assert run["classified"] == 3
    by_id = {r["ad_id"]: r for r in run["results"]}
    assert by_id[1]["is_relevant"] is True and by_id[2]["is_relevant"] is True
    assert by_id[3]["notes"]  # the seed's empty ad is answered with a note
    assert classify_keyword(rt, "Pepsi")["classified"] == 0

    # the seed's keyword now also takes imports, upserting by external id
    r = import_ads(repo, "Pepsi", demo.to_csv(demo.library()["Fizzco"][:4]), "more.csv")
    assert r["imported"] == 4
    add_label(rt, "Pepsi", 1, is_relevant=True, theme="Product Promotion", author="db-test")
    s = stats(rt, "Pepsi")
    assert s["ads"] == 7 and s["classified"] == 3 and s["labels"] == 1
    assert classify_keyword(rt, "Pepsi", batch_size=2)["classified"] == 4


def test_upgrade_seed_sqlite_database(runtime: Runtime, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    _seed(url, SEED_SQLITE)
    _check_upgrade_and_run(runtime, url)


def test_upgrade_seed_postgres_database(runtime: Runtime, pg_url: str) -> None:
    _seed(pg_url, SEED_PG)
    _check_upgrade_and_run(runtime, pg_url)


def test_fresh_postgres_database(runtime: Runtime, pg_url: str) -> None:
    db = AdDatabase(pg_url)
    assert db.dialect == "postgresql" and db.ping()
    _use_db(runtime, db)
    repo = AdRepository(db)
    rows = demo.library()["Lumora"]
    first = import_ads(repo, "Lumora", demo.to_csv(rows), "l.csv", profile=demo.BRANDS["Lumora"]["profile"])
    assert first["imported"] == len(rows)
    assert repo.get_keyword("lumora")["products"] == demo.BRANDS["Lumora"]["profile"]["products"]
    assert import_ads(repo, "Lumora", demo.to_csv(rows), "l.csv")["unchanged"] == len(rows)
    run = classify_keyword(runtime, "Lumora", batch_size=7)
    assert run["classified"] == len(rows) and "+profile-" in run["classifier_version"]
    assert classify_keyword(runtime, "Lumora")["classified"] == 0
    kw = repo.get_keyword("Lumora")
    relevant = repo.results(kw["id"], relevant=True, limit=None)
    assert relevant and all(r["is_relevant"] for r in relevant)
    news = repo.results(kw["id"], theme="News", limit=None)
    assert all(r["theme"] == "News" for r in news)


def test_unreachable_database_is_unavailable(runtime: Runtime) -> None:
    from adlens.errors import Unavailable

    db = AdDatabase("postgresql://nobody@127.0.0.1:1/none")
    assert db.ping() is False
    with pytest.raises(Unavailable, match="unreachable"):
        db.ensure()
