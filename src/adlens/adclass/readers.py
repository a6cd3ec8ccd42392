"""Read ad-library export files (CSV/TSV, JSON or JSON Lines, XLSX) into numbered records.

Each row becomes ``(row number, record dict)`` or ``(row number, reason it cannot be read)``, so the
importer can report every rejected row; encodings are detected (UTF-8 with or without BOM, UTF-16) or
given; unsupported spreadsheet formats get a clear error.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from adlens.errors import InvalidInput, PayloadTooLarge, UnsupportedMedia

__all__ = ["MAX_ROWS", "read_records"]

MAX_ROWS = 500_000


def _decode(data: bytes, encoding: str | None) -> str:
    if encoding:
        try:
            return data.decode(encoding)
        except LookupError:
            raise InvalidInput(f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"file is not valid {encoding} (byte {exc.start})") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "re-save it as UTF-8 or give its encoding (--encoding cp1252)"
        ) from None


def _detect_format(data: bytes, filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    if suffix in (".json", ".jsonl", ".ndjson"):
        return "json"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".xls", ".ods", ".parquet"):
        raise UnsupportedMedia(f"{suffix} files are not supported: export as CSV, JSON or XLSX")
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return "json" if head.startswith((b"[", b"{")) else "csv"


def _read_csv(text: str) -> tuple[list[str], list[tuple[int, Any]]]:
    sample = text[:20_000]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))  # huge bodies are truncated later
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("the file is empty") from None
    except csv.Error as exc:
        raise InvalidInput(f"not a readable CSV file: {exc}") from None
    columns = [c.strip() for c in header]
    if not any(columns):
        raise InvalidInput("the CSV header row is empty")
    rows: list[tuple[int, Any]] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            number = reader.line_num
            if len(record) > len(columns):
                rows.append((number, f"row has {len(record)} fields, the header has {len(columns)}"))
                continue
            rows.append((number, dict(zip(columns, record, strict=False))))
    except csv.Error as exc:
        raise InvalidInput(f"CSV is malformed near line {reader.line_num}: {exc}") from None
    return columns, rows


def _read_json(text: str) -> tuple[list[str], list[tuple[int, Any]]]:
    items: list[Any]
    try:
        doc = json.loads(text)
        if isinstance(doc, dict):
            found = next(
                (doc[k] for k in ("data", "ads", "results", "rows") if isinstance(doc.get(k), list)), None
            )
            items = found if found is not None else [doc]
        elif isinstance(doc, list):
            items = doc
        else:
            raise InvalidInput("JSON must be a list of ads or an object with a 'data' list")
    except json.JSONDecodeError as first:
        items = []
        for i, line in enumerate(text.splitlines(), 1):  # JSON Lines
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError:
                raise InvalidInput(f"not valid JSON: {first.msg} (line {first.lineno})") from None
            if i > MAX_ROWS + 1:
                break
    columns: dict[str, None] = {}
    rows: list[tuple[int, Any]] = []
    for i, item in enumerate(items, 1):
        if isinstance(item, dict):
            columns.update(dict.fromkeys(str(k) for k in item))
            rows.append((i, {str(k): v for k, v in item.items()}))
        else:
            rows.append((i, f"item is a JSON {type(item).__name__}, not an object"))
    return list(columns), rows


def _read_xlsx(data: bytes) -> tuple[list[str], list[tuple[int, Any]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise InvalidInput("not a readable XLSX workbook") from None
    try:
        sheet = book.worksheets[0]
        it = sheet.iter_rows(values_only=True)
        columns: list[str] = []
        header_row = 0
        for values in it:
            header_row += 1
            if any(v not in (None, "") for v in values):
                columns = ["" if v is None else str(v).strip() for v in values]
                break
        if not columns:
            raise InvalidInput("the workbook's first sheet is empty")
        rows: list[tuple[int, Any]] = []
        for number, values in enumerate(it, header_row + 1):
            if all(v in (None, "") for v in values):
                continue
            extra = [v for v in values[len(columns) :] if v not in (None, "")]
            if extra:
                rows.append((number, f"row has values beyond the {len(columns)} header columns"))
                continue
            rows.append((number, {c: v for c, v in zip(columns, values, strict=False) if c}))
            if len(rows) > MAX_ROWS:
                break
    finally:
        book.close()
    return [c for c in columns if c], rows


def read_records(
    data: bytes, filename: str, encoding: str | None = None
) -> tuple[str, list[str], list[tuple[int, Any]]]:
    """``(format, columns, [(row number, record dict | rejection reason)])`` of an export file."""
    if not data.strip():
        raise InvalidInput("the file is empty")
    fmt = _detect_format(data, filename)
    if fmt == "xlsx":
        columns, rows = _read_xlsx(data)
    elif fmt == "json":
        columns, rows = _read_json(_decode(data, encoding))
    else:
        columns, rows = _read_csv(_decode(data, encoding))
    if not rows:
        raise InvalidInput("the file has a header but no rows")
    if len(rows) > MAX_ROWS:
        raise PayloadTooLarge(f"the file has more than {MAX_ROWS:,} rows; split it")
    return fmt, columns, rows
