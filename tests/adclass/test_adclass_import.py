"""Importing ad-library exports: formats, mapping, validation, the rejected-rows report, upserts."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest

from adlens.adclass.db import AdDatabase
from adlens.adclass.importer import MAX_BODY_CHARS, import_ads, parse_mapping
from adlens.adclass.repository import AdRepository
from adlens.errors import InvalidInput, PayloadTooLarge, UnsupportedMedia


@pytest.fixture()
def repo(tmp_path: Path) -> AdRepository:
    return AdRepository(AdDatabase(f"sqlite:///{tmp_path / 'ads.db'}"))


META_CSV = (
    "id,page_name,ad_creative_bodies,ad_creative_link_titles,ad_creative_link_descriptions,"
    "ad_delivery_start_time,publisher_platforms,currency\n"
    '101,Pepsi,"[""Pepsi Zero Sugar: 2 for 1"", ""Pepsi Zero Sugar: 2 for 1""]",Zero sugar,Shop now,2024-03-01,'
    '"[""facebook"",""instagram""]",USD\n'
    "102,Fan Club,I love Pepsi with pizza,,,2024-03-02,facebook,USD\n"
    "103,Other,Not a date here,,,yesterday-ish,facebook,USD\n"
    "101,Pepsi,duplicate id,,,2024-03-03,facebook,USD\n"
    "104,Other,too,many,fields,2024-01-01,facebook,USD,EXTRA\n"
    ",,,,,,,\n"
    "105,Video only,,,,2024-03-04,instagram,USD\n"
)


def test_meta_csv_is_mapped_validated_and_reported(repo: AdRepository) -> None:
    r = import_ads(repo, "Pepsi", META_CSV.encode(), "library.csv")
    assert r["format"] == "csv"
    assert r["mapping"] == {
        "external_id": "id",
        "body_text": "ad_creative_bodies",
        "page_name": "page_name",
        "title": "ad_creative_link_titles",
        "description": "ad_creative_link_descriptions",
        "platform": "publisher_platforms",
        "started_at": "ad_delivery_start_time",
    }
    assert (r["imported"], r["updated"], r["rejected"]) == (3, 0, 3)
    reasons = {row["row"]: row["reason"] for row in r["rejected_rows"]}
    assert "not a date" in reasons[4]
    assert reasons[5] == "duplicate of row 2"
    assert "fields" in reasons[6]
    assert r["rows"] == r["imported"] + r["rejected"]  # nothing dropped silently
    assert any("no body" in w for w in r["warnings"])  # the video-only ad is kept and flagged
    kw = repo.get_keyword("pepsi")
    ads = {a["external_id"]: a for a in repo.results(kw["id"], limit=None)}
    assert ads["101"]["body_text"] == "Pepsi Zero Sugar: 2 for 1"  # list joined, duplicates collapsed
    assert ads["101"]["platform"] == "facebook, instagram"
    assert ads["101"]["started_at"].startswith("2024-03-01")


def test_upsert_updates_changed_rows_and_keeps_the_rest(repo: AdRepository) -> None:
    import_ads(repo, "Pepsi", META_CSV.encode(), "a.csv")
    changed = META_CSV.replace("I love Pepsi with pizza", "I love Pepsi with tacos")
    r = import_ads(repo, "PEPSI", changed.encode(), "a.csv")
    assert (r["imported"], r["updated"], r["unchanged"]) == (0, 1, 2)
    kw = repo.get_keyword("Pepsi")
    assert repo.count_ads(kw["id"]) == 3
    assert len(repo.list_keywords()) == 1  # case-insensitive keyword


def test_json_jsonl_and_meta_api_shape(repo: AdRepository) -> None:
    api_doc = {
        "data": [
            {"id": "9001", "page_name": "Pepsi", "ad_creative_bodies": ["Fresh taste", "Fresh taste"]},
            {"id": "9002", "page_name": "Pepsi", "ad_creative_bodies": {"nested": "object"}},
            "not an object",
        ],
        "paging": {},
    }
    r = import_ads(repo, "Pepsi", json.dumps(api_doc).encode(), "ads.json")
    assert r["imported"] == 1 and r["rejected"] == 2
    assert {row["row"] for row in r["rejected_rows"]} == {2, 3}
    assert any("expected text" in row["reason"] for row in r["rejected_rows"])
    lines = b'{"ad_id": "a1", "text": "Pepsi Max"}\n{"ad_id": "a2", "text": "Cola wars"}\n'
    r = import_ads(repo, "Pepsi", lines, "ads.jsonl")
    assert r["imported"] == 2 and r["mapping"]["body_text"] == "text"


def test_xlsx_with_explicit_mapping(repo: AdRepository, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Library ID", "Advertiser", "Ad text", "Start"])
    sheet.append([123456789012345, "Pepsi", "Pepsi summer tour tickets", None])
    sheet.append([123456789012346, "Someone", "my cat drinks water", None])
    buf = io.BytesIO()
    book.save(buf)
    mapping = parse_mapping("body_text: Ad text\npage_name: Advertiser\nexternal_id: Library ID\n")
    r = import_ads(repo, "Pepsi", buf.getvalue(), "export.xlsx", mapping=mapping)
    assert r["format"] == "xlsx" and r["imported"] == 2 and r["rejected"] == 0
    kw = repo.get_keyword("Pepsi")
    assert {a["external_id"] for a in repo.results(kw["id"], limit=None)} == {
        "123456789012345",
        "123456789012346",
    }


def test_bad_files_get_clear_errors(repo: AdRepository) -> None:
    latin1 = "id,body\n1,Caf\xe9 Pepsi cr\xe8me\n".encode("latin-1")
    with pytest.raises(InvalidInput, match="not valid UTF-8"):
        import_ads(repo, "Pepsi", latin1, "latin.csv")
    r = import_ads(repo, "Pepsi", latin1, "latin.csv", encoding="latin-1")  # with the encoding it works
    assert r["imported"] == 1
    with pytest.raises(InvalidInput, match="no ad text column"):
        import_ads(repo, "Pepsi", b"foo,bar\n1,2\n", "x.csv")
    with pytest.raises(InvalidInput, match="not in the file"):
        import_ads(repo, "Pepsi", b"id,body\n1,x\n", "x.csv", mapping={"body_text": "Ad text"})
    with pytest.raises(InvalidInput, match="unknown mapping field"):
        parse_mapping("bodytext: Ad text")
    with pytest.raises(InvalidInput, match="empty"):
        import_ads(repo, "Pepsi", b"", "x.csv")
    with pytest.raises(InvalidInput, match="no rows"):
        import_ads(repo, "Pepsi", b"id,body\n", "x.csv")
    with pytest.raises(InvalidInput, match="XLSX"):
        import_ads(repo, "Pepsi", b"PK\x03\x04 broken zip", "x.xlsx")
    with pytest.raises(InvalidInput, match="JSON"):
        import_ads(repo, "Pepsi", b"[{bad json", "x.json")
    with pytest.raises(UnsupportedMedia):
        import_ads(repo, "Pepsi", b"\xd0\xcf\x11\xe0", "old.xls")
    with pytest.raises(PayloadTooLarge):
        import_ads(repo, "Pepsi", b"id,body\n" + b"1,x\n" * 100, "big.csv", max_bytes=100)
    with pytest.raises(InvalidInput):
        import_ads(repo, " ", b"id,body\n1,x\n", "x.csv")
    assert repo.count_ads(repo.get_keyword("Pepsi")["id"]) == 1  # failed imports stored nothing


def test_huge_bodies_are_truncated_and_said_so(repo: AdRepository) -> None:
    body = "Pepsi " * (MAX_BODY_CHARS // 4)
    r = import_ads(repo, "Pepsi", f"id,body\n1,{body}\n".encode(), "huge.csv")
    assert r["imported"] == 1 and any("truncated" in w for w in r["warnings"])
    kw = repo.get_keyword("Pepsi")
    assert len(repo.results(kw["id"])[0]["body_text"]) == MAX_BODY_CHARS


def test_rows_without_ids_get_content_ids(repo: AdRepository) -> None:
    csv_bytes = b"page_name,body\nPepsi,Ad one\nPepsi,Ad two\nPepsi,Ad one\n"
    r = import_ads(repo, "Pepsi", csv_bytes, "noids.csv")
    assert r["imported"] == 2 and r["rejected"] == 1 and "duplicate" in r["rejected_rows"][0]["reason"]
    again = import_ads(repo, "Pepsi", csv_bytes, "noids.csv")
    assert again["imported"] == 0 and again["unchanged"] == 2  # stable content-derived ids
