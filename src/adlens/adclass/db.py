"""The ad database: the seed's ``keywords`` and ``meta_ads`` tables plus results, labels and a version.

SQLite (WAL) under ``settings.data_dir/adclass/ads.db`` by default; any SQLAlchemy URL otherwise
(``postgresql://…`` is served by the psycopg 3 driver). The schema is created and upgraded by
:func:`migrate`, a short list of forward migrations recorded in ``schema_version``. A database made by
the seed (bare ``keywords`` + ``meta_ads``) is recognised as version 1 and upgraded in place without
losing a row. Several processes (``adlens serve --workers N``, a CLI next to a server) may migrate the
same database at once: :func:`migrate` runs under a cross-process lock (``flock`` on
``<db file>.migrate.lock`` for SQLite, a PostgreSQL advisory lock), so one applies the steps and the
others then find the database current. The first connection to a new SQLite file (which switches it to
WAL) is made under that lock too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from adlens.errors import InvalidInput, Unavailable
from adlens.file_lock import file_lock

SCHEMA_VERSION = 3
DB_URL_ENV = "ADLENS_ADCLASS_DATABASE_URL"
#: PostgreSQL advisory lock key held while migrating (an arbitrary constant: "adclass" in ASCII).
MIGRATION_LOCK_KEY = 0x6164636C617373

metadata = sa.MetaData()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


keywords = sa.Table(
    "keywords",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("keyword", sa.String(200), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), default=utcnow),
    sa.Column("aliases", sa.JSON, nullable=True),
    sa.Column("handles", sa.JSON, nullable=True),
    sa.Column("products", sa.JSON, nullable=True),
    sa.Column("negatives", sa.JSON, nullable=True),
    sa.Column("description", sa.Text, nullable=True),
)

meta_ads = sa.Table(
    "meta_ads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("keyword_id", sa.Integer, sa.ForeignKey("keywords.id"), nullable=False),
    sa.Column("body_text", sa.Text, nullable=True),
    sa.Column("page_name", sa.Text, nullable=True),
    sa.Column("title", sa.Text, nullable=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("external_id", sa.String(200), nullable=True),
    sa.Column("platform", sa.String(200), nullable=True),
    sa.Column("started_at", sa.String(40), nullable=True),
    sa.Column("raw", sa.JSON, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), default=utcnow),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ux_meta_ads_keyword_external", "keyword_id", "external_id", unique=True),
)

classifications = sa.Table(
    "classifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ad_id", sa.Integer, sa.ForeignKey("meta_ads.id", ondelete="CASCADE"), nullable=False),
    sa.Column("keyword_id", sa.Integer, sa.ForeignKey("keywords.id"), nullable=False),
    sa.Column("classifier_version", sa.String(120), nullable=False),
    sa.Column("backend", sa.String(40), nullable=False),
    sa.Column("is_relevant", sa.Boolean, nullable=False),
    sa.Column("theme", sa.String(120), nullable=False),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("relevance_prob", sa.Float, nullable=False),
    sa.Column("theme_probs", sa.JSON, nullable=True),
    sa.Column("evidence", sa.JSON, nullable=True),
    sa.Column("notes", sa.JSON, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), default=utcnow),
    sa.UniqueConstraint("ad_id", "keyword_id", "classifier_version", name="uq_classification"),
    sa.Index("ix_classifications_keyword_version", "keyword_id", "classifier_version"),
)

labels = sa.Table(
    "labels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ad_id", sa.Integer, sa.ForeignKey("meta_ads.id", ondelete="CASCADE"), nullable=False),
    sa.Column("keyword_id", sa.Integer, sa.ForeignKey("keywords.id"), nullable=False),
    sa.Column("is_relevant", sa.Boolean, nullable=True),
    sa.Column("theme", sa.String(120), nullable=True),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), default=utcnow),
    sa.Index("ix_labels_ad_keyword", "ad_id", "keyword_id"),
)

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied_at", sa.DateTime(timezone=True), default=utcnow),
    sa.Column("description", sa.String(200), nullable=True),
)


# --- migrations ----------------------------------------------------------------------------------
def _columns(conn: Connection, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(conn).get_columns(table)}


def _m1_seed_tables(conn: Connection) -> None:
    """The seed's two tables, exactly as bare as it made them."""
    names = set(sa.inspect(conn).get_table_names())
    pg = conn.dialect.name == "postgresql"
    pk = "SERIAL PRIMARY KEY" if pg else "INTEGER PRIMARY KEY"
    ts = "TIMESTAMP WITH TIME ZONE" if pg else "TIMESTAMP"
    if "keywords" not in names:
        conn.execute(
            sa.text(f"CREATE TABLE keywords (id {pk}, keyword VARCHAR(200) NOT NULL UNIQUE, created_at {ts})")
        )
    if "meta_ads" not in names:
        conn.execute(
            sa.text(
                f"CREATE TABLE meta_ads (id {pk}, keyword_id INTEGER NOT NULL"
                " REFERENCES keywords(id), body_text TEXT, page_name TEXT, title TEXT, description TEXT)"
            )
        )


def _m2_ad_columns(conn: Connection) -> None:
    """Brand-profile overrides on keywords; external id, platform, start date and raw row on ads."""
    json_type = "JSON"
    ts = "TIMESTAMP WITH TIME ZONE" if conn.dialect.name == "postgresql" else "TIMESTAMP"
    wanted = {
        "keywords": {
            "created_at": ts,
            "aliases": json_type,
            "handles": json_type,
            "products": json_type,
            "negatives": json_type,
            "description": "TEXT",
        },
        "meta_ads": {
            "external_id": "VARCHAR(200)",
            "platform": "VARCHAR(200)",
            "started_at": "VARCHAR(40)",
            "raw": json_type,
            "created_at": ts,
            "updated_at": ts,
        },
    }
    for table, cols in wanted.items():
        have = _columns(conn, table)
        for name, type_ in cols.items():
            if name not in have:
                conn.execute(sa.text(f"ALTER TABLE {table} ADD COLUMN {name} {type_}"))
    # ads the seed stored have no external id: their own row id is the stable one
    conn.execute(
        sa.text("UPDATE meta_ads SET external_id = CAST(id AS VARCHAR(200)) WHERE external_id IS NULL")
    )
    indexes = {i["name"] for i in sa.inspect(conn).get_indexes("meta_ads")}
    if "ux_meta_ads_keyword_external" not in indexes:
        conn.execute(
            sa.text("CREATE UNIQUE INDEX ux_meta_ads_keyword_external ON meta_ads (keyword_id, external_id)")
        )


def _m3_results_and_labels(conn: Connection) -> None:
    metadata.create_all(conn, tables=[classifications, labels], checkfirst=True)


MIGRATIONS: tuple[tuple[int, str, Callable[[Connection], None]], ...] = (
    (1, "seed tables keywords and meta_ads", _m1_seed_tables),
    (2, "brand profile overrides, external ids and raw rows", _m2_ad_columns),
    (3, "classifications and labels", _m3_results_and_labels),
)


def current_version(conn: Connection) -> int:
    """0 for an empty database, 1 for the seed's bare schema, else the recorded version."""
    names = set(sa.inspect(conn).get_table_names())
    if "schema_version" in names:
        found = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
        if found is not None:
            return int(found)
    return 1 if {"keywords", "meta_ads"} <= names else 0


def _sqlite_file(engine: Engine) -> Path | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database.removeprefix("file:").split("?", 1)[0])


@contextlib.contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Held while migrating: one process at a time per database (see the module docstring)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                conn.commit()
        return
    path = _sqlite_file(engine)
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(path.with_name(path.name + ".migrate.lock")):
        yield


def migrate(engine: Engine) -> dict[str, Any]:
    """Bring the database to :data:`SCHEMA_VERSION`; each step runs and is recorded in one transaction.

    Runs under :func:`migration_lock`, so concurrent processes apply each step once.
    """
    with migration_lock(engine):
        return _migrate(engine)


def _migrate(engine: Engine) -> dict[str, Any]:
    with engine.begin() as conn:
        before = current_version(conn)
        if before > SCHEMA_VERSION:
            raise InvalidInput(
                f"the ad database has schema version {before}, newer than this adlens ({SCHEMA_VERSION})"
            )
        schema_version.create(conn, checkfirst=True)
    applied: list[int] = []
    for number, description, step in MIGRATIONS:
        if number <= before:
            continue
        with engine.begin() as conn:
            step(conn)
            conn.execute(sa.insert(schema_version).values(version=number, description=description))
        applied.append(number)
    return {"from": before, "to": SCHEMA_VERSION, "applied": applied}


# --- engines -------------------------------------------------------------------------------------
def database_url(settings: Any) -> str:
    """``settings.adclass_database_url`` / ``ADLENS_ADCLASS_DATABASE_URL``, else the SQLite file."""
    url = getattr(settings, "adclass_database_url", None) or os.environ.get(DB_URL_ENV)
    if url:
        return str(url)
    path = Path(settings.data_dir) / "adclass" / "ads.db"
    return f"sqlite:///{path}"


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` use psycopg 3; SQLite folders are created."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class AdDatabase:
    """One engine, migrated on first use. Thread-safe; ``close()`` disposes the pool."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        try:
            self.engine = sa.create_engine(self.url, pool_pre_ping=True)
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise InvalidInput(f"not a usable database URL: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self._ready = False
        self._lock = threading.Lock()
        self.migration: dict[str, Any] | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> AdDatabase:
        return cls(database_url(settings))

    @property
    def dialect(self) -> str:
        return str(self.engine.dialect.name)

    def ensure(self) -> Engine:
        """The migrated engine; :class:`Unavailable` when the server cannot be reached."""
        if not self._ready:
            with self._lock:
                if not self._ready:
                    try:
                        self.migration = migrate(self.engine)
                    except sa.exc.OperationalError as exc:
                        raise Unavailable(
                            f"ad database unreachable ({self.dialect}): {_short(exc)}"
                        ) from None
                    self._ready = True
        return self.engine

    def ping(self) -> bool:
        try:
            with self.ensure().connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:
            return False

    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()


def _short(exc: BaseException) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]


def get_db(runtime: Any) -> AdDatabase:
    """The runtime's ad database (built once, closed with the runtime)."""
    db: AdDatabase = runtime.shared("adclass.db", lambda: AdDatabase.from_settings(runtime.settings))
    return db


__all__ = [
    "DB_URL_ENV",
    "MIGRATIONS",
    "MIGRATION_LOCK_KEY",
    "SCHEMA_VERSION",
    "AdDatabase",
    "classifications",
    "current_version",
    "database_url",
    "get_db",
    "keywords",
    "labels",
    "meta_ads",
    "metadata",
    "migrate",
    "migration_lock",
    "normalise_url",
    "schema_version",
    "utcnow",
]
