"""Reads and writes of the ad database: keywords, ads, stored classifications and statistics.

Every write is one transaction. Classifications are inserted with "on conflict do nothing" on
``(ad_id, keyword_id, classifier_version)``, so storing a batch twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from adlens.adclass.db import AdDatabase, classifications, keywords, labels, meta_ads, utcnow
from adlens.errors import InvalidInput, NotFound

AD_FIELDS = ("external_id", "body_text", "page_name", "title", "description", "platform", "started_at")
TEXT_FIELDS = ("body_text", "page_name", "title", "description")
PROFILE_FIELDS = ("aliases", "handles", "products", "negatives", "description")
MAX_KEYWORD_CHARS = 100
_CHUNK = 500


def clean_keyword(keyword: Any) -> str:
    """A keyword as stored: stripped, non-empty, at most 200 characters."""
    if not isinstance(keyword, str) or not keyword.strip():
        raise InvalidInput("keyword must be a non-empty string")
    keyword = " ".join(keyword.split())
    if len(keyword) > MAX_KEYWORD_CHARS:
        raise InvalidInput(f"keyword is longer than {MAX_KEYWORD_CHARS} characters")
    return keyword


def _insert_ignore(conn: Connection, table: sa.Table, rows: list[dict[str, Any]], keys: list[str]) -> int:
    """Insert rows, skipping those that collide with the unique ``keys``; returns rows inserted."""
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(table).on_conflict_do_nothing(index_elements=keys)
    elif conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table).on_conflict_do_nothing(index_elements=keys)
    else:  # portable fallback: one savepoint per row
        inserted = 0
        for row in rows:
            try:
                with conn.begin_nested():
                    conn.execute(sa.insert(table), row)
                inserted += 1
            except sa.exc.IntegrityError:
                pass
        return inserted
    result = conn.execute(stmt, rows)
    return max(int(result.rowcount or 0), 0)


class AdRepository:
    """All queries of the adclass application, over one :class:`AdDatabase`."""

    def __init__(self, db: AdDatabase) -> None:
        self.db = db

    @property
    def engine(self) -> Engine:
        return self.db.ensure()

    # --- keywords --------------------------------------------------------------------------------
    def find_keyword(self, keyword: str) -> dict[str, Any] | None:
        keyword = clean_keyword(keyword)
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(keywords).where(sa.func.lower(keywords.c.keyword) == keyword.lower())
            ).first()
        return _keyword_dict(row._mapping) if row is not None else None

    def get_keyword(self, keyword: str) -> dict[str, Any]:
        """The stored keyword (case-insensitive); :class:`NotFound` names only the keyword asked for."""
        found = self.find_keyword(keyword)
        if found is None:
            raise NotFound(f"unknown keyword {clean_keyword(keyword)!r}: import its ads first")
        return found

    def ensure_keyword(self, keyword: str, profile: dict[str, Any] | None = None) -> dict[str, Any]:
        """The keyword's row, created if needed; ``profile`` overrides (aliases, handles…) are stored."""
        keyword = clean_keyword(keyword)
        found = self.find_keyword(keyword)
        if found is None:
            try:
                with self.engine.begin() as conn:
                    conn.execute(sa.insert(keywords).values(keyword=keyword, created_at=utcnow()))
            except sa.exc.IntegrityError:  # created concurrently
                pass
            found = self.get_keyword(keyword)
        if profile:
            found = self.set_profile(found["keyword"], profile)
        return found

    def set_profile(self, keyword: str, profile: dict[str, Any]) -> dict[str, Any]:
        row = self.get_keyword(keyword)
        values: dict[str, Any] = {}
        for name in PROFILE_FIELDS:
            if name not in profile or profile[name] is None:
                continue
            value = profile[name]
            if name == "description":
                if not isinstance(value, str):
                    raise InvalidInput("description must be a string")
                values[name] = value.strip()[:2000]
            else:
                if isinstance(value, str):
                    value = [v for v in (p.strip() for p in value.split(",")) if v]
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise InvalidInput(f"{name} must be a list of strings")
                values[name] = [v.strip()[:200] for v in value if v.strip()][:200]
        if values:
            with self.engine.begin() as conn:
                conn.execute(sa.update(keywords).where(keywords.c.id == row["id"]).values(**values))
        return self.get_keyword(keyword)

    def list_keywords(self) -> list[dict[str, Any]]:
        ads = (
            sa.select(meta_ads.c.keyword_id, sa.func.count().label("n"))
            .group_by(meta_ads.c.keyword_id)
            .subquery()
        )
        stmt = (
            sa.select(keywords, sa.func.coalesce(ads.c.n, 0).label("ads"))
            .outerjoin(ads, ads.c.keyword_id == keywords.c.id)
            .order_by(keywords.c.keyword)
        )
        with self.engine.connect() as conn:
            return [{**_keyword_dict(r._mapping), "ads": int(r.ads)} for r in conn.execute(stmt)]

    # --- ads -------------------------------------------------------------------------------------
    def upsert_ads(self, keyword_id: int, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
        """Insert new ads, update changed ones (their stale classifications are dropped), in one transaction."""
        counts = {"imported": 0, "updated": 0, "unchanged": 0}
        now = utcnow()
        with self.engine.begin() as conn:
            for start in range(0, len(rows), _CHUNK):
                chunk = rows[start : start + _CHUNK]
                ids = [r["external_id"] for r in chunk]
                existing = {
                    r.external_id: r
                    for r in conn.execute(
                        sa.select(meta_ads).where(
                            meta_ads.c.keyword_id == keyword_id, meta_ads.c.external_id.in_(ids)
                        )
                    )
                }
                inserts = []
                for row in chunk:
                    values = {k: row.get(k) for k in AD_FIELDS} | {"raw": row.get("raw")}
                    old = existing.get(row["external_id"])
                    if old is None:
                        inserts.append({**values, "keyword_id": keyword_id, "created_at": now})
                        continue
                    if all((getattr(old, k) or None) == (values[k] or None) for k in AD_FIELDS):
                        counts["unchanged"] += 1
                        continue
                    conn.execute(
                        sa.update(meta_ads).where(meta_ads.c.id == old.id).values(**values, updated_at=now)
                    )
                    if any((getattr(old, k) or None) != (values[k] or None) for k in TEXT_FIELDS):
                        conn.execute(sa.delete(classifications).where(classifications.c.ad_id == old.id))
                    counts["updated"] += 1
                if inserts:
                    conn.execute(sa.insert(meta_ads), inserts)
                    counts["imported"] += len(inserts)
        return counts

    def count_ads(self, keyword_id: int) -> int:
        with self.engine.connect() as conn:
            stmt = sa.select(sa.func.count()).select_from(meta_ads).where(meta_ads.c.keyword_id == keyword_id)
            return int(conn.execute(stmt).scalar() or 0)

    def get_ad(self, keyword_id: int, ad_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(meta_ads).where(meta_ads.c.id == ad_id, meta_ads.c.keyword_id == keyword_id)
            ).first()
        if row is None:
            raise NotFound(f"no ad {ad_id} for this keyword")
        return _ad_dict(row._mapping)

    def _classified(self, keyword_id: int, version: str) -> Any:
        return sa.exists().where(
            classifications.c.ad_id == meta_ads.c.id,
            classifications.c.keyword_id == keyword_id,
            classifications.c.classifier_version == version,
        )

    def pending_ads(
        self, keyword_id: int, version: str, limit: int, after_id: int = 0
    ) -> list[dict[str, Any]]:
        """Ads of the keyword with no result for ``version`` yet, in id order after ``after_id``."""
        stmt = (
            sa.select(meta_ads)
            .where(meta_ads.c.keyword_id == keyword_id, meta_ads.c.id > after_id)
            .where(~self._classified(keyword_id, version))
            .order_by(meta_ads.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_ad_dict(r._mapping) for r in conn.execute(stmt)]

    def count_classified(self, keyword_id: int, version: str) -> int:
        stmt = (
            sa.select(sa.func.count())
            .select_from(classifications)
            .where(
                classifications.c.keyword_id == keyword_id, classifications.c.classifier_version == version
            )
        )
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar() or 0)

    def store_predictions(
        self, keyword_id: int, version: str, backend: str, predictions: Iterable[Any]
    ) -> int:
        """Store one batch of predictions in one transaction; already stored ones are left as they are."""
        now = utcnow()
        rows = [
            {
                "ad_id": int(p.ad_id),
                "keyword_id": keyword_id,
                "classifier_version": version,
                "backend": p.backend or backend,
                "is_relevant": bool(p.is_relevant),
                "theme": str(p.theme),
                "confidence": float(p.confidence),
                "relevance_prob": float(p.relevance_prob),
                "theme_probs": {str(k): float(v) for k, v in (p.theme_probs or {}).items()},
                "evidence": [str(e) for e in (p.evidence or [])][:20],
                "notes": [str(n) for n in (p.notes or [])][:20],
                "created_at": now,
            }
            for p in predictions
        ]
        with self.engine.begin() as conn:
            return _insert_ignore(conn, classifications, rows, ["ad_id", "keyword_id", "classifier_version"])

    # --- results and statistics ------------------------------------------------------------------
    def _latest(self, keyword_id: int, version: str | None) -> Any:
        """Per ad, the id of its latest classification (of ``version`` when given)."""
        stmt = sa.select(sa.func.max(classifications.c.id).label("cid")).where(
            classifications.c.keyword_id == keyword_id
        )
        if version:
            stmt = stmt.where(classifications.c.classifier_version == version)
        return stmt.group_by(classifications.c.ad_id).subquery()

    def _latest_label(self, keyword_id: int) -> Any:
        return (
            sa.select(sa.func.max(labels.c.id).label("lid"))
            .where(labels.c.keyword_id == keyword_id)
            .group_by(labels.c.ad_id)
            .subquery()
        )

    def results(
        self,
        keyword_id: int,
        *,
        version: str | None = None,
        theme: str | None = None,
        relevant: bool | None = None,
        min_confidence: float | None = None,
        max_confidence: float | None = None,
        classified_only: bool = False,
        after_id: int = 0,
        limit: int | None = 100,
    ) -> list[dict[str, Any]]:
        """Ads with their latest classification and latest label, in ad id order (keyset paging)."""
        latest = self._latest(keyword_id, version)
        c = sa.select(classifications).join(latest, latest.c.cid == classifications.c.id).subquery("c")
        last_label = self._latest_label(keyword_id)
        lab = sa.select(labels).join(last_label, last_label.c.lid == labels.c.id).subquery("l")
        stmt = (
            sa.select(
                meta_ads,
                c.c.is_relevant,
                c.c.theme,
                c.c.confidence,
                c.c.relevance_prob,
                c.c.theme_probs,
                c.c.backend,
                c.c.classifier_version,
                c.c.evidence,
                c.c.notes,
                c.c.created_at.label("classified_at"),
                lab.c.is_relevant.label("label_relevant"),
                lab.c.theme.label("label_theme"),
                lab.c.author.label("label_author"),
                lab.c.created_at.label("label_at"),
            )
            .select_from(meta_ads)
            .outerjoin(c, c.c.ad_id == meta_ads.c.id)
            .outerjoin(lab, lab.c.ad_id == meta_ads.c.id)
            .where(meta_ads.c.keyword_id == keyword_id, meta_ads.c.id > after_id)
            .order_by(meta_ads.c.id)
        )
        if classified_only or theme is not None or relevant is not None or min_confidence is not None:
            stmt = stmt.where(c.c.id.is_not(None))
        if theme is not None:
            stmt = stmt.where(c.c.theme == theme)
        if relevant is not None:
            stmt = stmt.where(c.c.is_relevant == relevant)
        if min_confidence is not None:
            stmt = stmt.where(c.c.confidence >= min_confidence)
        if max_confidence is not None:
            stmt = stmt.where(c.c.confidence <= max_confidence)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            return [_result_dict(r._mapping) for r in conn.execute(stmt)]

    def stats(self, keyword_id: int) -> dict[str, Any]:
        latest = self._latest(keyword_id, None)
        c = sa.select(classifications).join(latest, latest.c.cid == classifications.c.id).subquery("c")
        with self.engine.connect() as conn:
            themes = {
                r.theme: int(r.n)
                for r in conn.execute(sa.select(c.c.theme, sa.func.count().label("n")).group_by(c.c.theme))
            }
            relevant = conn.execute(
                sa.select(sa.func.count()).select_from(c).where(c.c.is_relevant.is_(True))
            ).scalar()
            mean_conf = conn.execute(sa.select(sa.func.avg(c.c.confidence))).scalar()
            by_version = [
                {
                    "backend": r.backend,
                    "classifier_version": r.classifier_version,
                    "classified": int(r.n),
                    "relevant": int(r.rel or 0),
                    "relevance_rate": (int(r.rel or 0) / int(r.n)) if r.n else None,
                    "mean_confidence": float(r.conf) if r.conf is not None else None,
                    "last_classified_at": r.last,
                }
                for r in conn.execute(
                    sa.select(
                        classifications.c.backend,
                        classifications.c.classifier_version,
                        sa.func.count().label("n"),
                        sa.func.sum(sa.case((classifications.c.is_relevant.is_(True), 1), else_=0)).label(
                            "rel"
                        ),
                        sa.func.avg(classifications.c.confidence).label("conf"),
                        sa.func.max(classifications.c.created_at).label("last"),
                    )
                    .where(classifications.c.keyword_id == keyword_id)
                    .group_by(classifications.c.backend, classifications.c.classifier_version)
                    .order_by(sa.func.max(classifications.c.created_at).desc())
                )
            ]
            n_labels = conn.execute(
                sa.select(sa.func.count()).select_from(labels).where(labels.c.keyword_id == keyword_id)
            ).scalar()
        total_ads = self.count_ads(keyword_id)
        classified = sum(themes.values())
        return {
            "ads": total_ads,
            "classified": classified,
            "unclassified": total_ads - classified,
            "relevant": int(relevant or 0),
            "relevance_rate": (int(relevant or 0) / classified) if classified else None,
            "mean_confidence": float(mean_conf) if mean_conf is not None else None,
            "themes": dict(sorted(themes.items(), key=lambda kv: (-kv[1], kv[0]))),
            "by_version": by_version,
            "labels": int(n_labels or 0),
        }


def _keyword_dict(m: Any) -> dict[str, Any]:
    return {
        "id": int(m["id"]),
        "keyword": m["keyword"],
        "aliases": list(m.get("aliases") or []),
        "handles": list(m.get("handles") or []),
        "products": list(m.get("products") or []),
        "negatives": list(m.get("negatives") or []),
        "description": m.get("description") or "",
        "created_at": m.get("created_at"),
    }


def _ad_dict(m: Any) -> dict[str, Any]:
    return {"id": int(m["id"]), "keyword_id": int(m["keyword_id"]), **{k: m.get(k) for k in AD_FIELDS}}


def _result_dict(m: Any) -> dict[str, Any]:
    out = _ad_dict(m)
    out["ad_id"] = out.pop("id")
    for key in ("is_relevant", "theme", "confidence", "relevance_prob", "theme_probs", "backend"):
        out[key] = m.get(key)
    out["classifier_version"] = m.get("classifier_version")
    out["evidence"] = m.get("evidence") or []
    out["notes"] = m.get("notes") or []
    out["classified_at"] = m.get("classified_at")
    out["label"] = (
        None
        if m.get("label_author") is None
        else {
            "is_relevant": m.get("label_relevant"),
            "theme": m.get("label_theme"),
            "author": m.get("label_author"),
            "created_at": m.get("label_at"),
        }
    )
    return out


__all__ = ["AD_FIELDS", "TEXT_FIELDS", "AdRepository", "clean_keyword"]
