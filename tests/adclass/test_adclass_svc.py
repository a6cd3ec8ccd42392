"""Classification runs with the real ``fast`` classifier: idempotence, resume after a failed batch, labels."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from adlens.adclass import demo
from adlens.adclass.classifiers import Ad, profile_for
from adlens.adclass.db import classifications
from adlens.adclass.importer import import_ads
from adlens.adclass.labels import add_label, retrain, training_examples
from adlens.adclass.service import (
    ClassificationFailed,
    classify_keyword,
    load_classifier,
    profile_overrides,
    repository,
    stats,
)
from adlens.config import Settings
from adlens.errors import InvalidInput, NotFound, Unavailable
from adlens.runtime import Runtime


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    rt = Runtime(Settings(home=tmp_path_factory.mktemp("adclass-svc")))
    try:
        yield rt
    finally:
        rt.close()


def _import(rt: Runtime, brand: str, keyword: str | None = None) -> dict[str, Any]:
    rows = demo.library()[brand]
    return import_ads(
        repository(rt),
        keyword or brand,
        demo.to_csv(rows),
        f"{brand}.csv",
        profile=demo.BRANDS[brand]["profile"],
    )


class FailingBatch:
    """Test harness around the REAL classifier: batch number ``fail_on`` raises, the others pass through."""

    def __init__(self, inner: Any, fail_on: int, corrupt: bool = False) -> None:
        self.inner, self.fail_on, self.corrupt = inner, fail_on, corrupt
        self.name, self.version = inner.name, inner.version
        self.calls = 0

    def classify(
        self, keyword: str, ads: Sequence[Any], brand: Any = None, progress: Any = None
    ) -> list[Any]:
        self.calls += 1
        predictions = self.inner.classify(keyword, ads, brand)
        if self.calls == self.fail_on:
            if not self.corrupt:
                raise RuntimeError("simulated crash in the middle of a run")
            predictions[-1].ad_id = "999999"  # no such ad: the batch's insert violates the foreign key
        return predictions


def _rows(rt: Runtime, keyword_id: int) -> list[tuple[int, int, str]]:
    with repository(rt).engine.connect() as conn:
        stmt = sa.select(classifications.c.id, classifications.c.ad_id, classifications.c.theme).where(
            classifications.c.keyword_id == keyword_id
        )
        return sorted(tuple(r) for r in conn.execute(stmt))  # type: ignore[misc]


def test_classify_is_idempotent_and_matches_the_seed_shape(runtime: Runtime) -> None:
    summary = _import(runtime, "Fizzco")
    n = summary["imported"]
    assert n == len(demo.library()["Fizzco"]) and summary["rejected"] == 0

    first = classify_keyword(runtime, "fizzco", batch_size=8)
    assert first["classified"] == n and first["skipped"] == 0 and first["batches"] == -(-n // 8)
    assert {"ad_id", "is_relevant", "theme", "confidence"} <= set(first["results"][0])
    assert len(first["results"]) == n
    kw_id = repository(runtime).get_keyword("Fizzco")["id"]
    stored = _rows(runtime, kw_id)

    second = classify_keyword(runtime, "Fizzco", batch_size=8)
    assert second["classified"] == 0 and second["skipped"] == n and second["batches"] == 0
    assert _rows(runtime, kw_id) == stored  # nothing classified twice, nothing rewritten
    assert [r["theme"] for r in second["results"]] == [r["theme"] for r in first["results"]]

    # quality on our own generated ads: brand posts are relevant, look-alike posts are not
    truth = {r["ad_archive_id"]: r["demo_theme"] for r in demo.library()["Fizzco"]}
    by_ext = {r["external_id"]: r for r in first["results"]}
    unrelated_ok = sum(not by_ext[e]["is_relevant"] for e, t in truth.items() if t == "Unrelated")
    related_ok = sum(by_ext[e]["is_relevant"] for e, t in truth.items() if t != "Unrelated")
    assert unrelated_ok >= 3 and related_ok >= 14, (unrelated_ok, related_ok)

    s = stats(runtime, "FIZZCO")
    assert s["ads"] == n and s["classified"] == n and s["unclassified"] == 0
    assert sum(s["themes"].values()) == n
    assert s["relevance_rate"] == pytest.approx(s["relevant"] / n)
    assert s["by_version"][0]["classifier_version"] == first["classifier_version"]
    assert first["classifier_version"].startswith(load_classifier(runtime).version)


def test_interrupted_run_resumes_where_it_stopped(runtime: Runtime) -> None:
    _import(runtime, "Trailhawk")
    repo = repository(runtime)
    kw_id = repo.get_keyword("Trailhawk")["id"]
    n = repo.count_ads(kw_id)
    real = load_classifier(runtime, "fast")

    with pytest.raises(ClassificationFailed, match="batch 2 failed"):
        classify_keyword(runtime, "Trailhawk", classifier=FailingBatch(real, fail_on=2), batch_size=5)
    after_crash = _rows(runtime, kw_id)
    assert len(after_crash) == 5  # batch 1 stored, batch 2 not at all

    # a failure while storing: the whole batch is rolled back, earlier batches stay
    with pytest.raises(ClassificationFailed, match="could not be stored"):
        classify_keyword(
            runtime, "Trailhawk", classifier=FailingBatch(real, fail_on=2, corrupt=True), batch_size=5
        )
    after_bad_store = _rows(runtime, kw_id)
    assert len(after_bad_store) == 10 and after_bad_store[:5] == after_crash

    resumed = classify_keyword(runtime, "Trailhawk", batch_size=5)
    assert resumed["skipped"] == 10 and resumed["classified"] == n - 10 and resumed["remaining"] == 0
    final = _rows(runtime, kw_id)
    assert len(final) == n and len({ad for _, ad, _ in final}) == n
    assert final[:10] == after_bad_store  # the stored batches were not touched

    # the resumed results are what an uninterrupted run gives
    ads = repo.results(kw_id, limit=None)
    brand = profile_for("Trailhawk", runtime, profile_overrides(repo.get_keyword("Trailhawk")))
    direct = real.classify(
        "Trailhawk",
        [Ad(str(a["ad_id"]), a["body_text"], a["page_name"], a["title"] or "") for a in ads],
        brand,
    )
    assert [p.theme for p in direct] == [a["theme"] for a in ads]
    assert [p.is_relevant for p in direct] == [a["is_relevant"] for a in ads]


def test_limit_progress_and_empty_ads(runtime: Runtime) -> None:
    csv_bytes = (
        b"id,page_name,ad_creative_bodies\n"
        b"e1,,\n"  # no text at all
        b"e2,Lumora Skincare,Glow Serum 20% off today\n"
        b"e3,Daily Feed," + b"very long text " * 2000 + b"\n"
    )
    summary = import_ads(repository(runtime), "Lumora", csv_bytes, "edge.csv")
    assert summary["imported"] == 3 and any("no body" in w for w in summary["warnings"])

    class Ctx:
        def __init__(self) -> None:
            self.events: list[tuple[Any, Any]] = []
            self.checkpoints: list[dict[str, Any]] = []

        def progress(self, done: Any = None, total: Any = None, message: Any = None, **counters: Any) -> None:
            self.events.append((done, total))

        def check_cancelled(self) -> None:
            pass

        def checkpoint(self, state: dict[str, Any]) -> None:
            self.checkpoints.append(state)

    ctx = Ctx()
    part = classify_keyword(runtime, "Lumora", limit=2, ctx=ctx, batch_size=1)
    assert part["classified"] == 2 and part["remaining"] == 1
    assert ctx.events[0] == (0, 2) and ctx.events[-1] == (2, 2)
    assert ctx.checkpoints[-1]["last_ad_id"] > 0
    rest = classify_keyword(runtime, "Lumora")
    assert rest["classified"] == 1 and rest["remaining"] == 0
    notes = {r["external_id"]: r["notes"] for r in rest["results"]}
    assert any("no text" in n for n in notes["e1"])
    assert any("truncated" in n for n in notes["e3"])
    empty = next(r for r in rest["results"] if r["external_id"] == "e1")
    assert empty["is_relevant"] is False


def test_unknown_keyword_and_bad_arguments(runtime: Runtime) -> None:
    with pytest.raises(NotFound) as err:
        classify_keyword(runtime, "NoSuchBrand")
    assert "NoSuchBrand" in err.value.message and "Fizzco" not in err.value.message
    with pytest.raises(InvalidInput):
        classify_keyword(runtime, "Fizzco", backend="gpt-9")
    with pytest.raises(InvalidInput):
        classify_keyword(runtime, "Fizzco", limit=0)
    with pytest.raises(InvalidInput):
        classify_keyword(runtime, "   ")


def test_labels_and_retrain_change_the_version(runtime: Runtime, tmp_path: Path) -> None:
    _import(runtime, "Fizzco")
    classify_keyword(runtime, "Fizzco")
    repo = repository(runtime)
    kw_id = repo.get_keyword("Fizzco")["id"]
    truth = {r["ad_archive_id"]: r["demo_theme"] for r in demo.library()["Fizzco"]}
    rows = repo.results(kw_id, limit=None)
    for r in rows:
        add_label(
            runtime,
            "Fizzco",
            r["ad_id"],
            is_relevant=truth[r["external_id"]] != "Unrelated",
            theme=truth[r["external_id"]],
            author="tester",
        )
    with pytest.raises(InvalidInput, match="unknown theme"):
        add_label(runtime, "Fizzco", rows[0]["ad_id"], is_relevant=True, theme="Spam", author="x")
    with pytest.raises(NotFound):
        add_label(runtime, "Fizzco", 424242, is_relevant=True, theme=None, author="x")
    with pytest.raises(InvalidInput):
        add_label(runtime, "Fizzco", rows[0]["ad_id"], is_relevant=True, theme=None, author=" ")
    assert len(training_examples(repo, "Fizzco")) == len(rows)
    old_version = load_classifier(runtime).version
    result = retrain(runtime, "Fizzco")
    assert result["labels_used"] == len(rows) and result["metrics"]["n_examples"] >= 1
    assert Path(result["head"]).is_file()
    new_version = load_classifier(runtime).version
    assert new_version != old_version
    again = classify_keyword(runtime, "Fizzco")
    assert again["classified"] == len(rows)  # a new version classifies everything once more
    assert repository(runtime).results(kw_id, limit=1)[0]["label"]["author"] == "tester"


def test_a_model_that_fails_to_load_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "models").write_text("a file where the model cache should be")
    rt = Runtime(Settings(home=tmp_path / "home"))
    rt.settings.model_dir = tmp_path / "models"
    try:
        import_ads(repository(rt), "Fizzco", b"id,body\n1,Fizzco Zero now 2 for 1\n", "a.csv")
        with pytest.raises(Unavailable, match="model"):
            classify_keyword(rt, "Fizzco")
        assert stats(rt, "Fizzco")["classified"] == 0  # nothing stored, nothing corrupted
    finally:
        rt.close()
