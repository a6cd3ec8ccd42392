"""The labelling loop: store reviewed predictions (who, when), then retrain the theme head on them.

A label is a person's verdict on one ad for one keyword: relevant or not, and optionally its theme.
Labels are append-only (the latest per ad counts), so a correction never erases an earlier one.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from adlens.adclass.db import labels, meta_ads, utcnow
from adlens.adclass.repository import AdRepository
from adlens.adclass.service import forget_classifiers, head_path, repository
from adlens.errors import InvalidInput

MAX_AUTHOR_CHARS = 200


def theme_names(runtime: Any = None) -> list[str]:
    """The configured theme names (the deployment's themes file, else the packaged themes)."""
    from adlens.adclass.deployment import configured_themes

    return list(configured_themes(getattr(runtime, "settings", None)).names)


def parse_bool(value: Any) -> bool | None:
    """``yes/no/true/false/1/0/y/n`` (case-insensitive) → bool; ``None``/"" → None."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text == "":
        return None
    if text in ("y", "yes", "true", "1", "relevant"):
        return True
    if text in ("n", "no", "false", "0", "irrelevant", "not relevant"):
        return False
    raise InvalidInput(f"relevance must be yes or no, not {str(value)[:20]!r}")


def add_label(
    runtime: Any,
    keyword: str,
    ad_id: int,
    *,
    is_relevant: bool | None,
    theme: str | None,
    author: str,
    note: str | None = None,
) -> dict[str, Any]:
    """Store one label; the theme must be one of the configured themes."""
    repo = repository(runtime)
    kw = repo.get_keyword(keyword)
    ad = repo.get_ad(kw["id"], int(ad_id))
    if not isinstance(author, str) or not author.strip():
        raise InvalidInput("author must be a non-empty string")
    if is_relevant is None and not theme:
        raise InvalidInput("a label needs is_relevant, theme or both")
    if theme:
        names = theme_names(runtime)
        if theme not in names:
            raise InvalidInput(f"unknown theme {theme!r}; themes: {', '.join(names)}")
    row = {
        "ad_id": ad["id"],
        "keyword_id": kw["id"],
        "is_relevant": is_relevant,
        "theme": theme or None,
        "author": author.strip()[:MAX_AUTHOR_CHARS],
        "note": (note or "").strip()[:2000] or None,
        "created_at": utcnow(),
    }
    with repo.engine.begin() as conn:
        new_id = conn.execute(sa.insert(labels).values(**row)).inserted_primary_key
    return {"id": int(new_id[0]) if new_id else None, "keyword": kw["keyword"], **row}


def list_labels(runtime: Any, keyword: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    repo = repository(runtime)
    stmt = sa.select(labels).order_by(labels.c.id.desc()).limit(limit)
    if keyword:
        stmt = stmt.where(labels.c.keyword_id == repo.get_keyword(keyword)["id"])
    with repo.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def training_examples(repo: AdRepository, keyword: str | None = None) -> list[tuple[str, str]]:
    """``(ad text, theme)`` from the latest themed label of each (ad, keyword); ``Unrelated`` included."""
    from adlens.adclass.classifiers import Ad, ad_text

    latest = sa.select(sa.func.max(labels.c.id).label("lid")).where(labels.c.theme.is_not(None))
    if keyword:
        latest = latest.where(labels.c.keyword_id == repo.get_keyword(keyword)["id"])
    sub = latest.group_by(labels.c.ad_id, labels.c.keyword_id).subquery()
    stmt = (
        sa.select(labels.c.theme, meta_ads)
        .join(sub, sub.c.lid == labels.c.id)
        .join(meta_ads, meta_ads.c.id == labels.c.ad_id)
        .order_by(labels.c.id)
    )
    out: list[tuple[str, str]] = []
    with repo.engine.connect() as conn:
        for r in conn.execute(stmt):
            ad = Ad(
                ad_id=str(r.id),
                body_text=r.body_text or "",
                page_name=r.page_name or "",
                title=r.title or "",
                description=r.description or "",
            )
            text = ad_text(ad)
            if not text.empty:
                out.append((text.full, str(r.theme)))
    return out


def retrain(runtime: Any, keyword: str | None = None) -> dict[str, Any]:
    """Train the theme head on stored labels (all keywords, or one); the next run uses the new version."""
    from adlens.adclass.classifiers import train_head
    from adlens.adclass.deployment import configured_themes

    repo = repository(runtime)
    examples = training_examples(repo, keyword)
    if not examples:
        raise InvalidInput("no labels with a theme yet: review some predictions first")
    path = head_path(runtime.settings)
    metrics = train_head(examples, runtime, configured_themes(runtime.settings), path)
    forget_classifiers(runtime)
    return {"keyword": keyword, "labels_used": len(examples), "head": str(path), "metrics": metrics}


__all__ = ["add_label", "list_labels", "parse_bool", "retrain", "theme_names", "training_examples"]
