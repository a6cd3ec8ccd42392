"""Ad-tech output: an analysis as OpenRTB 2.6 ``site.content.data`` segments and as Prebid first-party data.

``segtax`` values (OpenRTB community extension "Segment Taxonomies", whose standard values come from the
AdCOM 1.0 list "Category Taxonomies"):

=====================================  =======  ====================================================
taxonomy                               segtax   note
=====================================  =======  ====================================================
IAB Content Taxonomy 2.2               6        registered in the segtax list
IAB Content Taxonomy 3.0               7        registered in the segtax list
IAB Content Taxonomy 3.1               9        AdCOM cattax value; the segtax list itself stops at 7
IAB Ad Product Taxonomy 2.0            8        AdCOM cattax value
other (Google, Meta lists)             —        no ``segtax``: the IDs are adlens-proprietary
=====================================  =======  ====================================================

For Content Taxonomy 3.1 the first ``data`` entry uses ``segtax`` 7 with the IDs mapped to 3.0 (3.1 is a
non-breaking update of 3.0, so most IDs are identical; the official mapping handles the rest), because
that is the value every exchange understands today; a second entry carries the native 3.1 IDs with
``segtax`` 9 for buyers that read it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

log = logging.getLogger(__name__)

PROVIDER = "adlens"
MIN_SEGMENT_CONFIDENCE = 0.3
FALLBACK_CONFIDENCE = 0.15
MAX_SEGMENTS = 10
SEGTAX: dict[str, int] = {"iab-2.2": 6, "iab-3.0": 7, "iab-3.1": 9, "iab-ad-product-2.0": 8}
CATTAX = SEGTAX  # the same AdCOM enumeration

__all__ = [
    "CATTAX",
    "FALLBACK_CONFIDENCE",
    "MAX_SEGMENTS",
    "MIN_SEGMENT_CONFIDENCE",
    "PROVIDER",
    "SEGTAX",
    "openrtb_site",
    "prebid_config",
    "prebid_snippet",
    "segment_ids",
]


def segment_ids(
    categories: Iterable[Mapping[str, Any]],
    *,
    min_confidence: float = MIN_SEGMENT_CONFIDENCE,
    limit: int = MAX_SEGMENTS,
) -> list[str]:
    """IDs of the categories confident enough to be sent as segments, most confident first, unique.
    When none reaches ``min_confidence``, the best one is still sent if it reaches
    :data:`FALLBACK_CONFIDENCE` (several times the chance level of the 37 IAB tier-1 categories)."""
    ranked = sorted(categories, key=lambda c: -float(c.get("confidence") or 0.0))
    if ranked and float(ranked[0].get("confidence") or 0.0) < min_confidence:
        best = ranked[0]
        return [str(best["id"])] if float(best.get("confidence") or 0.0) >= FALLBACK_CONFIDENCE else []
    out: list[str] = []
    for cat in ranked:
        if float(cat.get("confidence") or 0.0) < min_confidence:
            break
        cid = str(cat["id"])
        if cid not in out:
            out.append(cid)
        if len(out) >= limit:
            break
    return out


def _to_iab30(ids: Sequence[str]) -> list[str]:
    """3.1 IDs mapped to 3.0 with the official mapping; an ID 3.0 also has is kept as is."""
    from adlens.contextual.taxonomy import load_taxonomy, map_node

    try:
        tax30 = load_taxonomy("iab-3.0")
    except Exception:  # the taxonomy is packaged; a failure here is a bug, not bad input
        log.exception("cannot load IAB 3.0 to map segments")
        return []
    out: list[str] = []
    for node_id in ids:
        mapped: list[str] = []
        try:
            mapped = map_node(node_id, "iab-3.1", "iab-3.0")
        except Exception as exc:
            log.debug("no 3.1→3.0 mapping for %s: %s", node_id, exc)
        if not mapped and node_id in tax30:
            mapped = [node_id]
        for m in mapped:
            if m not in out:
                out.append(m)
    return out


def _data_entry(ids: Sequence[str], segtax: int | None, taxonomy: str) -> dict[str, Any] | None:
    if not ids:
        return None
    ext: dict[str, Any] = {"segtax": segtax} if segtax is not None else {"taxonomy": taxonomy}
    return {"name": PROVIDER, "ext": ext, "segment": [{"id": i} for i in ids]}


def openrtb_site(
    result: Mapping[str, Any], *, min_confidence: float = MIN_SEGMENT_CONFIDENCE
) -> dict[str, Any]:
    """The OpenRTB 2.6 ``site`` object fragment for an analysis result (``analyze_url`` output).

    ``site.content.data`` holds the segments; ``site.content.cat``/``cattax`` the same IDs for exchanges that
    read categories; ``site.content.language`` and ``kwarray`` come from the page; brand safety goes under
    ``site.ext.data.adlens`` (first-party data, not a standard field)."""
    taxonomy = str(result.get("taxonomy") or "iab-3.1")
    ids = segment_ids(result.get("categories") or [], min_confidence=min_confidence)
    entries: list[dict[str, Any] | None] = []
    cat: list[str] = ids
    cattax: int | None = SEGTAX.get(taxonomy)
    if taxonomy == "iab-3.1":
        ids30 = _to_iab30(ids)
        entries.append(_data_entry(ids30, SEGTAX["iab-3.0"], "iab-3.0"))
        entries.append(_data_entry(ids, SEGTAX["iab-3.1"], taxonomy))
        cat, cattax = ids30, SEGTAX["iab-3.0"]
    else:
        entries.append(_data_entry(ids, SEGTAX.get(taxonomy), taxonomy))
    content: dict[str, Any] = {"data": [e for e in entries if e is not None]}
    if cattax is not None and cat:
        content["cat"] = list(cat)
        content["cattax"] = cattax
    doc = result.get("document") or {}
    if doc.get("language"):
        content["language"] = doc["language"]
    if doc.get("title"):
        content["title"] = doc["title"]
    keywords = [str(k) for k in (result.get("keywords") or [])][:20]
    if keywords:
        content["kwarray"] = keywords
    site: dict[str, Any] = {"content": content}
    page = result.get("final_url") or result.get("url")
    if page:
        site["page"] = page
    safety = result.get("brand_safety") or {}
    if safety:
        flags = [
            f.get("category")
            for f in safety.get("flags") or []
            if isinstance(f, Mapping) and f.get("risk") not in (None, "none")
        ]
        site["ext"] = {"data": {PROVIDER: {"brand_safety": safety.get("risk_level"), "flags": flags}}}
    return site


def prebid_config(
    result: Mapping[str, Any], *, min_confidence: float = MIN_SEGMENT_CONFIDENCE
) -> dict[str, Any]:
    """The argument of ``pbjs.setConfig(...)``: ``{"ortb2": {"site": ...}}`` (Prebid first-party data)."""
    return {"ortb2": {"site": openrtb_site(result, min_confidence=min_confidence)}}


def prebid_snippet(result: Mapping[str, Any]) -> str:
    """A JavaScript line a publisher can paste: ``pbjs.que.push(() => pbjs.setConfig({...}))``."""
    payload = json.dumps(prebid_config(result), separators=(",", ":"), ensure_ascii=False)
    payload = payload.replace("</", "<\\/")  # safe inside an inline <script>
    return f"pbjs.que.push(function(){{pbjs.setConfig({payload});}});"
