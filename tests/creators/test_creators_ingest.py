"""Importing creators: real files, real store, real embedders; bad input leaves stored profiles intact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adlens.creators.ingest import import_table
from adlens.creators.mapping import ColumnMapping
from adlens.creators.schema import PHOTOS, PROFILES
from adlens.creators.sources import read_bytes, read_path, read_sql
from adlens.errors import InvalidInput


def _snapshot(rt: Any) -> dict[str, Any]:
    return {r.id: (r.metadata, r.text) for name in (PROFILES, PHOTOS) for _, r in rt.store.iter_records(name)}


def test_instagram_import_values_and_upsert(fresh_runtime: Any, shared_data: Path) -> None:
    path = shared_data / "instagram-top-influencers" / "top_insta_influencers_data.csv"
    first = import_table(fresh_runtime, read_path(path))
    assert first["rows"] == 200
    assert first["imported"] + first["rejected"] == 200 and first["updated"] == 0
    assert first["imported"] >= 198
    store = fresh_runtime.store
    (c,) = store.get(PROFILES, ["instagram:cristiano"])
    m = c.metadata
    assert m["followers"] == 475_800_000 and m["posts"] == 3_300 and m["avg_likes"] == 8_700_000
    assert m["total_likes"] == 29_000_000_000 and m["engagement_rate"] == pytest.approx(0.0139)
    assert m["country"] == "Spain"
    (messi,) = store.get(PROFILES, ["instagram:leomessi"])
    assert "country" not in messi.metadata and messi.metadata["posts"] == 890  # "NaN" country, "0.89k" posts
    again = import_table(fresh_runtime, read_path(path))
    assert again["imported"] == 0 and again["updated"] == first["imported"]
    assert store.count(PROFILES) == first["imported"]
    # nothing silently dropped: every rejected row has reasons
    for rej in first["rejected_rows"]:
        assert rej["reasons"] and rej["row"] >= 1


def test_bad_files_leave_store_intact(fresh_runtime: Any) -> None:
    good = b"username,followers,bio\nalice,12k,Yoga teacher\nbob,3.3k,Baker\n"
    import_table(fresh_runtime, read_bytes(good, "a.csv"))
    before = _snapshot(fresh_runtime)
    with pytest.raises(InvalidInput, match="missing required column"):
        import_table(fresh_runtime, read_bytes(b"username,bio\nalice,changed\n", "b.csv"))
    with pytest.raises(InvalidInput):
        import_table(fresh_runtime, read_bytes(b"\xff\xfe\x00\x00garbage\x00" * 10, "c.csv"))
    assert _snapshot(fresh_runtime) == before


def test_rejected_rows_and_duplicates(fresh_runtime: Any) -> None:
    data = (
        b"handle,followers,engagement_rate\n"
        b"carol,10k,2%\n"
        b",5k,1%\n"  # no handle
        b"dave,lots,1%\n"  # bad followers
        b"Carol,20k,3%\n"  # duplicate of carol (case-insensitive)
        b"erin,7k,250%\n"  # impossible rate
        b"frank,8k,\n"
    )
    r = import_table(fresh_runtime, read_bytes(data, "d.csv"))
    assert (r["imported"], r["updated"], r["rejected"]) == (2, 0, 4)
    by_row = {x["row"]: x for x in r["rejected_rows"]}
    assert by_row[2]["reasons"] == ["handle: missing"]
    assert "followers" in by_row[3]["reasons"][0]
    assert "duplicate handle" in by_row[4]["reasons"][0] and "row 1" in by_row[4]["reasons"][0]
    assert "engagement_rate" in by_row[5]["reasons"][0]
    (carol,) = fresh_runtime.store.get(PROFILES, ["instagram:carol"])
    assert carol.metadata["followers"] == 10_000  # the first row wins


def test_photos_by_url_and_path_with_broken_ones(
    fresh_runtime: Any, image_server: str, tmp_path: Path, make_png: Any
) -> None:
    (tmp_path / "local.png").write_bytes(make_png((20, 160, 20)))
    (tmp_path / "fake.png").write_bytes(b"this is not an image")
    rows = (
        "handle,followers,photo_1,photo_2\n"
        f"gina,10k,{image_server}/red.png,{image_server}/missing.png\n"
        f"hank,20k,{image_server}/notimage.png,local.png\n"
        "ivy,30k,fake.png,/nonexistent/x.png\n"
        f"jon,40k,{image_server}/blue.png|{image_server}/red.png,\n"
    )
    path = tmp_path / "p.csv"
    path.write_text(rows)
    r = import_table(fresh_runtime, read_path(path), allow_local_images=True, base_dir=tmp_path)
    assert r["imported"] == 4 and r["rejected"] == 0  # broken photos never reject the row
    assert r["photos"] == 4
    reasons = {(e["handle"], e["source"].rsplit("/", 1)[-1]): e["reason"] for e in r["photo_errors"]}
    assert set(reasons) == {
        ("gina", "missing.png"),
        ("hank", "notimage.png"),
        ("ivy", "fake.png"),
        ("ivy", "x.png"),
    }
    store = fresh_runtime.store
    counts = {
        rec.metadata["handle"]: rec.metadata["photo_count"]
        for rec in store.get(PROFILES, [f"instagram:{h}" for h in ("gina", "hank", "ivy", "jon")])
    }
    assert counts == {"gina": 1, "hank": 1, "ivy": 0, "jon": 2}
    # uploads (allow_local_images=False) never read server files
    r2 = import_table(fresh_runtime, read_bytes(b"handle,followers,photo\nkim,1k,/etc/passwd\n", "u.csv"))
    assert r2["photo_errors"][0]["reason"].startswith("local image paths are not allowed")
    # an update without photos keeps the stored ones; with photos replaces them
    import_table(fresh_runtime, read_bytes(b"handle,followers\njon,41k\n", "v.csv"))
    (jon,) = store.get(PROFILES, ["instagram:jon"])
    assert jon.metadata["photo_count"] == 2 and jon.metadata["followers"] == 41_000
    assert store.count(PHOTOS, where={"creator_id": "instagram:jon", "followers": 41_000}) == 2
    import_table(
        fresh_runtime,
        read_bytes(f"handle,followers,photo\njon,42k,{image_server}/red.png\n".encode(), "w.csv"),
    )
    assert store.count(PHOTOS, where={"creator_id": "instagram:jon"}) == 1


def test_mapping_defaults_and_platform(fresh_runtime: Any) -> None:
    data = b"who,fans\nlea,2k\n"
    r = import_table(
        fresh_runtime,
        read_bytes(data, "m.csv"),
        ColumnMapping(columns={"handle": "who", "followers": "fans"}, defaults={"platform": "TikTok"}),
    )
    assert r["imported"] == 1
    assert fresh_runtime.store.get(PROFILES, ["tiktok:lea"])


def test_postgres_import(fresh_runtime: Any, postgres_url: str) -> None:
    import sqlalchemy as sa

    url = postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("drop table if exists creators_pg"))
        conn.execute(
            sa.text(
                "create table creators_pg (username text, followers text, engagement_rate text, country text)"
            )
        )
        conn.execute(
            sa.text(
                "insert into creators_pg values ('pg_one', '1.5m', '2.4%', 'USA'), ('pg_two', '12,500', NULL, 'brazil')"
            )
        )
    engine.dispose()
    table = read_sql(postgres_url, "creators_pg")
    r = import_table(fresh_runtime, table)
    assert (r["imported"], r["rejected"]) == (2, 0)
    (one,) = fresh_runtime.store.get(PROFILES, ["instagram:pg_one"])
    assert one.metadata["followers"] == 1_500_000 and one.metadata["country"] == "United States"
    with pytest.raises(InvalidInput, match="not found"):
        read_sql(postgres_url, "nope")
    with pytest.raises(InvalidInput, match="cannot read database"):
        read_sql("postgresql://nobody:pw@127.0.0.1:1/db", "t")


def test_quality_refit_only_when_an_import_moves_a_large_population(fresh_runtime: Any) -> None:
    from adlens.creators.ingest import quality_refit_due

    rows = "".join(f"u{i},{1000 + 37 * i},{1 + (i % 7) / 2}%\n" for i in range(200))
    first = import_table(
        fresh_runtime, read_bytes(f"handle,followers,engagement rate\n{rows}".encode(), "a.csv")
    )
    assert first["quality_refit"]  # no statistics yet
    # as if the population were large: 1 changed profile of 200 is under 1 %, 2 are not
    assert not quality_refit_due(fresh_runtime, 1, always_below=0, fraction=0.01)
    assert quality_refit_due(fresh_runtime, 2, always_below=0, fraction=0.01)
    assert quality_refit_due(fresh_runtime, 1)  # small populations always refit
    small = import_table(
        fresh_runtime, read_bytes(b"handle,followers,engagement rate\nu_new,5k,2%\n", "b.csv")
    )
    assert small["quality_refit"] and small["imported"] == 1
