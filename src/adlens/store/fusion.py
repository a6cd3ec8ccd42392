"""Fusion of vector and keyword results for ``hybrid_search`` (exact rules in :mod:`.base`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from adlens.errors import InvalidInput
from adlens.store.base import RRF_K, Hit

FUSION_DEPTH = 50

Key = tuple[str, str]


def fusion_depth(k: int) -> int:
    """How many candidates each list contributes."""
    return max(k, FUSION_DEPTH)


def check_method(method: str, alpha: float) -> None:
    if method not in ("rrf", "weighted"):
        raise InvalidInput(f"unknown fusion method {method!r}: use 'rrf' or 'weighted'")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0.0 <= alpha <= 1.0:
        raise InvalidInput("alpha must be a number in [0, 1]")


def fuse(
    vector_hits: Sequence[Hit],
    keyword_hits: Sequence[Hit],
    k: int,
    *,
    method: str,
    alpha: float,
    cosine_of: Callable[[list[Key]], dict[Key, float]],
) -> list[Hit]:
    """Fuse two ranked lists; ``cosine_of`` gives exact cosines for keyword-only candidates."""
    check_method(method, alpha)
    vec = {(h.namespace, h.id): (r, h) for r, h in enumerate(vector_hits, start=1)}
    kw = {(h.namespace, h.id): (r, h) for r, h in enumerate(keyword_hits, start=1)}
    keys = list(dict.fromkeys([*vec, *kw]))
    out: list[Hit] = []
    if method == "rrf":
        for key in keys:
            comp: dict[str, float] = {}
            score = 0.0
            if key in vec:
                r, h = vec[key]
                score += 1.0 / (RRF_K + r)
                comp["vector"], comp["vector_rank"] = h.score, float(r)
            if key in kw:
                r, h = kw[key]
                score += 1.0 / (RRF_K + r)
                comp["keyword"], comp["keyword_rank"] = h.score, float(r)
            src = vec[key][1] if key in vec else kw[key][1]
            out.append(Hit(src.id, score, src.metadata, src.text, comp, src.namespace))
    else:
        missing = [key for key in keys if key not in vec]
        cos = cosine_of(missing) if missing else {}
        best = max((h.score for h in keyword_hits), default=0.0)
        for key in keys:
            src = vec[key][1] if key in vec else kw[key][1]
            c = vec[key][1].score if key in vec else cos.get(key, -1.0)
            b = kw[key][1].score if key in kw else 0.0
            vn = (c + 1.0) / 2.0
            bn = b / best if best > 0 else 0.0
            score = alpha * vn + (1.0 - alpha) * bn
            comp = {"vector": c, "keyword": b, "vector_norm": vn, "keyword_norm": bn}
            out.append(Hit(src.id, score, src.metadata, src.text, comp, src.namespace))
    out.sort(key=lambda h: (-h.score, h.namespace, h.id))
    return out[:k]


__all__ = ["FUSION_DEPTH", "check_method", "fuse", "fusion_depth"]
