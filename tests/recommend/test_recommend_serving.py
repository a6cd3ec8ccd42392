"""Serving with the real store and the real text embedder: recommendations, cold start, explanations."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from adlens.errors import Conflict, InvalidInput, NotFound, SpaceMismatch
from adlens.recommend.bundle import load_bundle, save_bundle
from adlens.recommend.content import ContentEncoder
from adlens.recommend.service import RecommendService
from adlens.recommend.serving import collection_name

from .conftest import tiny_config


def _top_genres(cat, user_id: str, n: int = 2) -> set[str]:
    ds = cat.dataset
    u = ds.user_map.index(user_id)
    counts = Counter(g for i in ds.items[ds.users == u] for g in cat.items[i].genres)
    return {g for g, _ in counts.most_common(n)}


def test_known_user_gets_unseen_items_with_reasons_from_history(served) -> None:
    _runtime, svc, _cat, version, _ = served
    doc = svc.recommend_for("user0001", 10)
    assert doc["strategy"] == "user_tower" and doc["model"] == f"v{version:04d}"
    ids = [it["item_id"] for it in doc["items"]]
    assert len(ids) == 10 == len(set(ids))
    history = {it["item_id"] for it in svc.user_history("user0001", limit=1000)["items"]}
    assert doc["history_size"] == len(history)
    assert not set(ids) & history, "seen items must be excluded"
    scores = [it["score"] for it in doc["items"]]
    assert scores == sorted(scores, reverse=True)
    for it in doc["items"]:
        assert 1 <= len(it["because"]) <= 2
        assert {b["item_id"] for b in it["because"]} <= history
        assert all(-1.0 <= b["similarity"] <= 1.0 for b in it["because"])
    with_seen = svc.recommend_for("user0001", 10, exclude_seen=False)
    assert {it["item_id"] for it in with_seen["items"]} & history, "a trained model ranks its history high"


def test_recommendations_follow_the_users_taste(served) -> None:
    """The generated users have peaked genre tastes: the model must match them far better than popularity."""
    _, svc, cat, _, _ = served
    users = [f"user{u:04d}" for u in range(1, 41)]
    model_hits = pop_hits = 0
    pop = svc.recommend_for("user0080", 5)  # a cold user: popularity, the same list for anyone
    assert pop["strategy"] == "popularity"
    for user in users:
        taste = _top_genres(cat, user)
        recs = svc.recommend_for(user, 5, exclude_seen=False)["items"]
        model_hits += sum(bool(taste & set(it["genres"])) for it in recs)
        pop_hits += sum(bool(taste & set(it["genres"])) for it in pop["items"])
    assert model_hits / (5 * len(users)) > 0.8
    assert model_hits > pop_hits + 0.2 * 5 * len(users)


def test_filters_apply_to_recommendations_and_similar_items(served) -> None:
    _, svc, *_ = served
    f = {"genres": {"$contains": "Drama"}, "year": {"$gte": 1990}}
    doc = svc.recommend_for("user0002", 5, filters=f)
    assert doc["items"] and all("Drama" in it["genres"] and it["year"] >= 1990 for it in doc["items"])
    sim = svc.similar_items("m0001", 5, filters={"year": {"$lt": 2000}})
    assert all(it["year"] < 2000 for it in sim["items"])
    pop = svc.recommend_for("user0080", 5, filters={"genres": {"$contains": "Comedy"}})
    assert pop["strategy"] == "popularity" and all("Comedy" in it["genres"] for it in pop["items"])
    with pytest.raises(InvalidInput, match="unknown operator"):
        svc.recommend_for("user0002", 5, filters={"year": {"$near": 3}})


def test_cold_start_users(served) -> None:
    _, svc, _cat, _, _ = served
    empty = svc.recommend_for("user0080", 5)  # listed user without history
    assert empty["strategy"] == "popularity" and "no history" in empty["note"]
    assert empty["history_size"] == 0 and all(it["because"] == [] for it in empty["items"])
    ctx = ["m0001", "m0002"]
    doc = svc.recommend_for("user0080", 5, context_items=ctx)
    assert doc["strategy"] == "context" and not {it["item_id"] for it in doc["items"]} & set(ctx)
    assert all({b["item_id"] for b in it["because"]} <= set(ctx) for it in doc["items"])
    anon = svc.recommend_for(None, 5, context_items=ctx)
    assert anon["strategy"] == "context" and [i["item_id"] for i in anon["items"]] == [
        i["item_id"] for i in doc["items"]
    ]
    new_user = svc.recommend_for("someone-new", 5, context_items=ctx)
    assert new_user["strategy"] == "context" and "unknown user" in new_user["note"]
    with pytest.raises(NotFound, match="unknown user"):
        svc.recommend_for("someone-new", 5)
    with pytest.raises(NotFound, match="unknown item"):
        svc.recommend_for(None, 5, context_items=["no-such-item"])


def test_similar_items_excludes_itself_and_shares_genres(served) -> None:
    _, svc, cat, _, _ = served
    doc = svc.similar_items("m0003", 5)
    ids = [it["item_id"] for it in doc["items"]]
    assert "m0003" not in ids and len(ids) == 5
    genres = set(cat.items[2].genres)
    assert sum(bool(genres & set(it["genres"])) for it in doc["items"]) >= 4
    with pytest.raises(NotFound):
        svc.similar_items("nope", 5)


def test_cold_start_item_through_the_content_tower(served) -> None:
    runtime, svc, *_ = served
    added = svc.add_item(
        "new-horror",
        "The Cursed Woods",
        description="A horror film: teenagers awaken a demon in an abandoned asylum at night.",
        genres=["Horror"],
        year=2026,
    )
    assert added["cold_start"] is True
    rec = svc.recommender()
    stored = runtime.store.get(rec.collection, ["new-horror"])
    assert stored and stored[0].metadata["cold_start"] is True
    sim = svc.similar_items("new-horror", 5)
    assert sum("Horror" in it["genres"] for it in sim["items"]) >= 4, sim
    # the new item reaches users too: as context for an anonymous visitor, and in filtered searches
    ctx = svc.recommend_for(None, 3, context_items=["new-horror"])
    assert ctx["strategy"] == "context" and ctx["items"]
    found = svc.recommend_for("user0003", 5, filters={"cold_start": True})
    assert [it["item_id"] for it in found["items"]] == ["new-horror"]
    with pytest.raises(Conflict):
        svc.add_item("m0001", "Clash")
    with pytest.raises(InvalidInput, match="unknown genre"):
        svc.add_item("new-2", "X", genres=["Western"])
    with pytest.raises(InvalidInput):
        svc.add_item("new-3", "   ")


@pytest.mark.parametrize("k", [0, 501, -3, True, 2.5])
def test_k_out_of_range(served, k) -> None:
    _, svc, *_ = served
    with pytest.raises(InvalidInput, match=r"1\.\.500"):
        svc.recommend_for("user0001", k)
    with pytest.raises(InvalidInput, match=r"1\.\.500"):
        svc.similar_items("m0001", k)


def test_index_persists_and_a_new_service_reuses_it(served) -> None:
    runtime, svc, _, version, _ = served
    first = svc.recommend_for("user0004", 5)
    again = RecommendService(runtime)
    rec = again.recommender()
    assert rec.index_info is None, "the index was complete in the store: no rebuild"
    assert again.recommend_for("user0004", 5)["items"] == first["items"]
    models = svc.models()
    assert models["latest"] == version and models["models"][-1]["indexed"] is True
    assert models["models"][-1]["metrics"]["valid_ndcg@10"] > 0
    assert collection_name(version) == f"recommend_v{version:04d}"


def test_checkpoint_from_another_space_or_config_is_refused(served, tmp_path) -> None:
    runtime, svc, cat, _version, fit = served
    foreign = ContentEncoder(
        fit.encoder.parts,
        {**fit.encoder.text_space, "model_version": "some-other-minilm"},
        fit.encoder.genres,
        fit.encoder.text_dim,
        fit.encoder.pca_mean,
        fit.encoder.pca_axes,
    )
    root = tmp_path / "models"
    save_bundle(root, cat, fit.model, tiny_config(), foreign, fit.content, metrics={})
    other = RecommendService(runtime, root=root)
    with pytest.raises(SpaceMismatch, match="text space"):
        other.recommend_for("user0001", 5)
    with pytest.raises(InvalidInput, match="different config"):
        load_bundle(root, 1, expect_config=tiny_config(dim=64))
    with pytest.raises(NotFound, match="version 7"):
        svc.recommend_for("user0001", 5, version=7)


def test_content_encoder_reproduces_the_catalogue_rows(served) -> None:
    runtime, svc, cat, version, _fit = served
    bundle = load_bundle(svc.root, version)
    text = runtime.text_embedder.embed([it.text for it in cat.items[:5]])
    rows = bundle.encoder.encode(text, bundle.encoder.genre_matrix([it.genres for it in cat.items[:5]]))
    assert np.allclose(rows, bundle.content[:5], atol=1e-4)


def test_numpy_user_tower_matches_the_torch_model(served) -> None:
    import torch

    _, svc, *_ = served
    rec = svc.recommender()
    for u in (0, 5, 17):
        extra = [3, 4]
        items = np.unique(np.concatenate([rec.history(u)[0], extra]))
        with torch.no_grad():
            ref = rec.model.user_vectors(
                torch.tensor([u]),
                torch.as_tensor(rec.history_vectors[items].sum(axis=0, keepdims=True)),
                torch.tensor([float(len(items))]),
            ).numpy()[0]
        assert np.allclose(rec.user_vector(u, extra), ref, atol=1e-5)
