"""Read creator tables from CSV, XLSX, JSON, a SQLite file or a PostgreSQL URL into raw rows.

Every reader returns a :class:`Table` (headers plus rows of raw values; nothing is parsed here).
Text encodings: UTF-8 (with or without BOM), UTF-16 with BOM, then the best guess of
``charset_normalizer`` among cp1252/latin-1 and friends; undecodable or binary data -> ``InvalidInput``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adlens.errors import InvalidInput, PayloadTooLarge, UnsupportedMedia

__all__ = ["MAX_ROWS", "Table", "decode_text", "is_sql_url", "read_bytes", "read_path", "read_sql"]

MAX_ROWS = 2_000_000
_SQLITE_MAGIC = b"SQLite format 3\x00"
_FALLBACK_ENCODINGS = ("cp1252", "latin-1", "iso-8859-15", "mac-roman", "cp1250", "utf-16")


@dataclass
class Table:
    """Raw rows (``dict`` per row, header -> value) and where they came from."""

    headers: list[str]
    rows: list[dict[str, Any]]
    source: str
    format: str
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)


def decode_text(data: bytes, what: str) -> tuple[str, str]:
    """Decode bytes to text; returns ``(text, encoding)``."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data[:4096]:
        raise UnsupportedMedia(f"{what} looks binary (NUL bytes), not a text table")
    try:
        return data.decode("utf-8-sig"), ("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000], cp_isolation=list(_FALLBACK_ENCODINGS)).best()
    if best is not None:
        try:
            return data.decode(best.encoding), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    raise InvalidInput(
        f"{what}: cannot detect the text encoding (tried UTF-8, UTF-16, cp1252, latin-1); save it as UTF-8"
    )


def _read_csv(data: bytes, name: str) -> Table:
    text, enc = decode_text(data, name)
    sample = text[:20_000]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        headers = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InvalidInput(f"{name} is empty") from None
    if not any(headers):
        raise InvalidInput(f"{name}: the first line (the header) is empty")
    _check_headers(headers, name)
    rows: list[dict[str, Any]] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise PayloadTooLarge(f"{name} has more than {MAX_ROWS:,} rows")
            rows.append({h: (values[i] if i < len(values) else None) for i, h in enumerate(headers)})
    except csv.Error as e:
        raise InvalidInput(f"{name}: malformed CSV near line {reader.line_num}: {e}") from None
    return Table(headers, rows, name, "csv", enc)


def _check_headers(headers: list[str], name: str) -> None:
    seen: set[str] = set()
    for h in headers:
        if h in seen:
            raise InvalidInput(f"{name}: column {h!r} appears twice in the header")
        seen.add(h)


def _read_xlsx(data: bytes, name: str) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0).to_python(skip_empty_area=True)
    except Exception as e:  # calamine raises its own error types for corrupt files
        raise InvalidInput(f"{name} is not a readable Excel workbook: {str(e)[:120]}") from None
    if not sheet:
        raise InvalidInput(f"{name}: the first sheet is empty")
    headers = [str(h).strip() for h in sheet[0]]
    _check_headers(headers, name)
    rows = []
    for values in sheet[1:]:
        if all(v in ("", None) for v in values):
            continue
        rows.append({h: values[i] if i < len(values) else None for i, h in enumerate(headers)})
    if len(rows) > MAX_ROWS:
        raise PayloadTooLarge(f"{name} has more than {MAX_ROWS:,} rows")
    return Table(headers, rows, name, "xlsx")


def _read_json(data: bytes, name: str) -> Table:
    text, enc = decode_text(data, name)
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError:
        try:  # JSON lines
            doc = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as e:
            raise InvalidInput(f"{name} is not valid JSON or JSON lines: {e.msg} (line {e.lineno})") from None
    if isinstance(doc, dict):
        lists = [v for v in doc.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise InvalidInput(
                f"{name}: expected a list of creator objects (or one object holding such a list)"
            )
        doc = lists[0]
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise InvalidInput(f"{name}: expected a list of objects, one per creator")
    if len(doc) > MAX_ROWS:
        raise PayloadTooLarge(f"{name} has more than {MAX_ROWS:,} rows")
    headers: list[str] = []
    seen: set[str] = set()
    for r in doc:
        for k in r:
            if k not in seen:
                seen.add(k)
                headers.append(str(k))
    rows = [{h: _json_cell(r.get(h)) for h in headers} for r in doc]
    return Table(headers, rows, name, "json", enc)


def _json_cell(v: Any) -> Any:
    if isinstance(v, list):
        return [str(x) for x in v]  # e.g. several image URLs
    if isinstance(v, dict):
        return json.dumps(v)
    return v


def is_sql_url(source: str) -> bool:
    return source.split(":", 1)[0].lower() in {"postgresql", "postgres", "postgresql+psycopg", "sqlite"}


def read_sql(url_or_path: str, table: str | None = None) -> Table:
    """Rows of ``table`` from a SQLite file/URL or PostgreSQL URL (only table needed when there is one)."""
    import sqlalchemy as sa

    url = url_or_path
    if not is_sql_url(url):
        url = f"sqlite:///{Path(url).resolve()}"
    scheme, rest = url.split(":", 1)
    if scheme.lower() in {"postgresql", "postgres"}:
        url = "postgresql+psycopg:" + rest
    shown = url.split("@")[-1]  # never echo credentials
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 10} if "psycopg" in url else {})
    except (sa.exc.ArgumentError, ImportError) as e:
        raise InvalidInput(f"not a usable database URL: {str(e)[:100]}") from None
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            if table is None:
                if len(names) != 1:
                    raise InvalidInput(f"database {shown} has tables {names}: choose one with --table")
                table = names[0]
            if table not in names:
                raise InvalidInput(f"table {table!r} not found in {shown}; tables: {names}")
            t = sa.Table(table, sa.MetaData(), autoload_with=conn)
            result = conn.execute(sa.select(t).limit(MAX_ROWS + 1))
            headers = list(result.keys())
            rows = [dict(zip(headers, r, strict=True)) for r in result]
    except sa.exc.OperationalError as e:
        raise InvalidInput(f"cannot read database {shown}: {str(e.orig)[:160].strip()}") from None
    except sa.exc.DatabaseError as e:
        raise InvalidInput(f"cannot read database {shown}: {str(e.orig)[:160].strip()}") from None
    finally:
        engine.dispose()
    if len(rows) > MAX_ROWS:
        raise PayloadTooLarge(f"table {table} has more than {MAX_ROWS:,} rows")
    return Table(headers, rows, f"{shown}#{table}", "sql")


def read_bytes(data: bytes, name: str, *, table: str | None = None) -> Table:
    """Read an uploaded or local file by its extension (or content for SQLite)."""
    if not data:
        raise InvalidInput(f"{name} is empty")
    lower = name.lower()
    if data.startswith(_SQLITE_MAGIC):
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "upload.sqlite"
            p.write_bytes(data)
            return read_sql(str(p), table)
    if lower.endswith((".xlsx", ".xlsm", ".xls", ".ods")) or data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, name)
    if lower.endswith((".json", ".jsonl", ".ndjson")) or data.lstrip()[:1] in (b"[", b"{"):
        return _read_json(data, name)
    if lower.endswith((".csv", ".tsv", ".txt")) or "." not in lower:
        return _read_csv(data, name)
    raise UnsupportedMedia(f"{name}: unsupported file type (use CSV, XLSX, JSON or a SQLite file)")


def read_path(path: str | Path, *, table: str | None = None, max_bytes: int | None = None) -> Table:
    """Read a local file (CSV/XLSX/JSON/SQLite) or a SQL URL."""
    if isinstance(path, str) and is_sql_url(path):
        return read_sql(path, table)
    p = Path(path)
    if not p.is_file():
        raise InvalidInput(f"file not found: {p}")
    if max_bytes is not None and p.stat().st_size > max_bytes:
        raise PayloadTooLarge(f"{p.name} is larger than the limit of {max_bytes:,} bytes")
    with p.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(_SQLITE_MAGIC):
        return read_sql(str(p), table)
    return read_bytes(p.read_bytes(), p.name, table=table)
