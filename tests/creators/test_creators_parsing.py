"""Human-formatted numbers, column mapping and the file readers."""

from __future__ import annotations

import csv
import json
import math
import sqlite3
from pathlib import Path

import pytest

from adlens.creators.mapping import ColumnMapping, detect_mapping, load_mapping_file
from adlens.creators.parsing import parse_count, parse_number, parse_rate
from adlens.creators.sources import read_bytes, read_path
from adlens.errors import InvalidInput, UnsupportedMedia


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("475.8m", 475_800_000),
        ("3.3k", 3_300),
        ("29.0b", 29_000_000_000),
        ("0.89k", 890),
        ("1,234,567", 1_234_567),
        ("1.234.567", 1_234_567),
        ("12 345", 12_345),
        ("50K", 50_000),
        ("2.5 million", 2_500_000),
        ("7", 7),
        (1200, 1200),
        (3.0, 3),
        ("  42k ", 42_000),
        ("1.2M+", 1_200_000),
    ],
)
def test_counts(raw: object, expected: int) -> None:
    assert parse_count(raw) == expected


@pytest.mark.parametrize("raw", ["", "NaN", "nan", "N/A", None, float("nan"), "-", "NaN%"])
def test_missing_values_are_none(raw: object) -> None:
    assert parse_count(raw) is None
    assert parse_rate(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1.39%", 0.0139), ("0.0139", 0.0139), ("1.39", 0.0139), ("12,5%", 0.125), (0.05, 0.05)],
)
def test_rates(raw: object, expected: float) -> None:
    assert parse_rate(raw) == pytest.approx(expected)


@pytest.mark.parametrize("raw", ["abc", "12x", "1.2.3k%", "--5", "150%"])
def test_bad_values_raise(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_rate(raw) if raw.endswith("%") else parse_count(raw)


def test_negative_count_rejected() -> None:
    with pytest.raises(ValueError):
        parse_count("-5")
    assert parse_number("-5") == -5


def test_instagram_csv_parses_like_the_raw_text(shared_data: Path) -> None:
    path = shared_data / "instagram-top-influencers" / "top_insta_influencers_data.csv"
    table = read_path(path)
    assert table.encoding == "utf-8-sig" and table.headers[0] == "rank" and len(table.rows) == 200
    mapping = detect_mapping(table.headers)
    assert mapping.columns["handle"] == "channel_info"
    assert mapping.columns["engagement_rate"] == "60d_eng_rate"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        raw = list(csv.DictReader(fh))
    mult = {"k": 1e3, "m": 1e6, "b": 1e9}
    for row in raw:  # an independent reading of the raw text
        for col in ("followers", "avg_likes", "posts", "total_likes"):
            text = row[col]
            want = float(text[:-1]) * mult[text[-1]] if text[-1] in mult else float(text)
            assert parse_count(text) == round(want), (col, text)
        er = row["60d_eng_rate"]
        if er.endswith("%") and er[:-1] not in ("NaN", ""):
            assert math.isclose(parse_rate(er) or -1, float(er[:-1]) / 100)
    assert parse_count(raw[0]["followers"]) == 475_800_000  # cristiano


def test_mapping_yaml_and_detection(tmp_path: Path) -> None:
    m = tmp_path / "m.yaml"
    m.write_text(
        "columns:\n  handle: who\n  followers: fans_total\nimages: [pic_a, pic_b]\ndefaults:\n  platform: tiktok\n"
    )
    override = load_mapping_file(m)
    got = detect_mapping(["who", "fans_total", "pic_a", "pic_b", "Bio"], override)
    assert got.columns["handle"] == "who" and got.columns["bio"] == "Bio"
    assert got.images == ["pic_a", "pic_b"] and got.defaults == {"platform": "tiktok"}
    with pytest.raises(InvalidInput, match="not in the file"):
        detect_mapping(["a", "b"], ColumnMapping(columns={"handle": "zzz"}))
    m.write_text("columns: [1, 2]\n")
    with pytest.raises(InvalidInput):
        load_mapping_file(m)
    m.write_text("columns:\n  nonsense_field: a\n")
    with pytest.raises(InvalidInput, match="unknown fields"):
        load_mapping_file(m)


def test_encodings() -> None:
    text = "handle,followers,location\ncafé_jose,1.2k,Málaga\n"
    for enc in ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"):
        data = text.encode(enc)
        if enc == "utf-8-sig":
            data = b"\xef\xbb\xbf" + text.encode("utf-8")
        table = read_bytes(data, "x.csv")
        assert table.rows[0]["location"] == "Málaga", enc
        assert table.rows[0]["handle"] == "café_jose"


def test_binary_and_unknown_files_are_clear_errors() -> None:
    with pytest.raises(UnsupportedMedia):
        read_bytes(b"\x00\x01\x02binary" * 50, "x.csv")
    with pytest.raises(UnsupportedMedia):
        read_bytes(b"hello", "x.pdf")
    with pytest.raises(InvalidInput):
        read_bytes(b"", "x.csv")
    with pytest.raises(InvalidInput, match="twice"):
        read_bytes(b"handle,handle\na,b\n", "x.csv")
    with pytest.raises(InvalidInput):
        read_bytes(b"PK\x03\x04garbage", "x.xlsx")


def test_json_xlsx_and_sqlite(tmp_path: Path) -> None:
    doc = {
        "creators": [
            {"username": "a", "followers": "1k", "photos": ["x.png", "y.png"]},
            {"username": "b", "followers": 5},
        ]
    }
    t = read_bytes(json.dumps(doc).encode(), "c.json")
    assert t.headers == ["username", "followers", "photos"] and t.rows[0]["photos"] == ["x.png", "y.png"]
    lines = b'{"username": "a", "followers": 3}\n{"username": "b", "followers": 4}\n'
    assert len(read_bytes(lines, "c.jsonl").rows) == 2
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["username", "followers", "engagement rate"])
    ws.append(["xl_one", "12.5k", "2.1%"])
    ws.append(["xl_two", 40000, 0.031])
    wb.save(tmp_path / "c.xlsx")
    t = read_path(tmp_path / "c.xlsx")
    assert t.format == "xlsx" and t.rows[1]["followers"] == 40000
    db = tmp_path / "c.sqlite"
    con = sqlite3.connect(db)
    con.execute("create table creators (handle text, followers text)")
    con.execute("create table other (x int)")
    con.execute("insert into creators values ('sq', '3.3k')")
    con.commit()
    con.close()
    with pytest.raises(InvalidInput, match="--table"):
        read_path(db)
    t = read_path(db, table="creators")
    assert t.rows == [{"handle": "sq", "followers": "3.3k"}]
    with pytest.raises(InvalidInput, match="not found"):
        read_path(db, table="nope")
    assert read_path(f"sqlite:///{db}", table="creators").rows[0]["handle"] == "sq"
