"""A store written in the earlier one-collection layout is moved into profiles + photos on first use."""

from __future__ import annotations

from typing import Any

import numpy as np

from adlens.creators.legacy import LEGACY
from adlens.creators.schema import PHOTOS, PROFILES
from adlens.creators.search import get_creator, search_creators
from adlens.store import Record


def _unit(rng: np.random.Generator, d: int) -> np.ndarray:
    v = rng.normal(size=d).astype(np.float32)
    return v / np.linalg.norm(v)


def test_legacy_layout_is_moved_without_loss(fresh_runtime: Any) -> None:
    rt = fresh_runtime
    store = rt.store
    rng = np.random.default_rng(0)
    store.create_collection(LEGACY, {"text": 384, "photo_text": 384, "photo_visual": 1280})
    bios = ["personal trainer and gym workouts", "baking recipes and cakes", "travel vlogs"]
    tv = rt.text_embedder.embed(bios)
    recs = []
    visual = {}
    for i, (bio, vec) in enumerate(zip(bios, tv, strict=True)):
        cid = f"instagram:user{i}"
        meta = {
            "kind": "profile",
            "platform": "instagram",
            "handle": f"user{i}",
            "bio": bio,
            "followers": 10_000 * (i + 1),
            "photo_count": 1,
            "photos": [f"{i:032x}.jpg"],
        }
        recs.append(
            Record(cid, {"text": vec, "photo_text": vec, "photo_visual": _unit(rng, 1280)}, meta, bio)
        )
        visual[cid] = _unit(rng, 1280)
        pmeta = {
            "kind": "photo",
            "platform": "instagram",
            "handle": f"user{i}",
            "followers": 10_000 * (i + 1),
            "creator_id": cid,
            "photo_index": 0,
            "file": f"{i:032x}.jpg",
            "source": "x",
            "concepts": "",
        }
        recs.append(
            Record(
                f"{cid}#photo0",
                {"text": vec, "photo_text": _unit(rng, 384), "photo_visual": visual[cid]},
                pmeta,
            )
        )
    store.upsert(LEGACY, recs)

    got = search_creators(rt, "gym workouts", k=3, mode="text", parse=False)  # first use moves the data
    assert got["results"][0]["id"] == "instagram:user0"
    names = {c.name for c in store.list_collections()}
    assert LEGACY not in names and {PROFILES, PHOTOS} <= names
    assert store.count(PROFILES) == 3 and store.count(PHOTOS) == 3
    (p,) = store.get(PROFILES, ["instagram:user1"])
    assert set(p.vectors) == {"text"} and "kind" not in p.metadata and p.metadata["followers"] == 20_000
    np.testing.assert_allclose(p.vectors["text"], tv[1], atol=1e-6)
    assert get_creator(rt, "instagram:user2")["handle"] == "user2"
    # image -> image through a moved photo finds its creator
    res = search_creators(rt, "", image_id="instagram:user1#photo0", k=1, mode="image")
    assert res["results"][0]["id"] == "instagram:user1"
    # filters still apply to moved photos
    res = search_creators(
        rt, "", image_id="instagram:user1#photo0", k=3, mode="image", filters=None, parse=False
    )
    assert {r["id"] for r in res["results"]} == {f"instagram:user{i}" for i in range(3)}


def test_concurrent_moves_run_once(tmp_path: Any) -> None:
    """Every server worker reaches the move on first use: one moves, the others find it done."""
    import threading

    from adlens.creators.legacy import migrate_legacy
    from adlens.store import EmbeddedStore

    path = tmp_path / "s.sqlite"
    seed = EmbeddedStore(path)
    seed.create_collection(LEGACY, {"text": 384, "photo_text": 384, "photo_visual": 1280})
    rng = np.random.default_rng(1)
    seed.upsert(
        LEGACY,
        [
            Record(
                f"instagram:u{i}",
                {"text": _unit(rng, 384), "photo_text": _unit(rng, 384), "photo_visual": _unit(rng, 1280)},
                {"kind": "profile", "handle": f"u{i}"},
                f"bio {i}",
            )
            for i in range(3000)
        ],
    )
    seed.close()
    stores = [EmbeddedStore(path) for _ in range(3)]
    moved: list[int] = []
    threads = [
        threading.Thread(target=lambda s=s: moved.append(migrate_legacy(s, profiles=PROFILES, photos=PHOTOS)))
        for s in stores
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(moved) == [0, 0, 3000]
    for s in stores:
        assert s.count(PROFILES) == 3000 and LEGACY not in {c.name for c in s.list_collections()}
        s.close()
