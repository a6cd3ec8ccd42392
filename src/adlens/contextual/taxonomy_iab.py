"""Parsers for the official IAB Tech Lab TSV files shipped in ``data/iab`` (CC BY 3.0).

Content Taxonomy 2.x/3.x: two header lines (a banner, then ``Unique ID, Parent, Name, Tier 1..4,
Extension``), CRLF. In 2.2 the aboutness rows are followed by a blank row and the orthogonal
"vectors" (Content Channel, Type, Source, ...), which are kept apart in ``Taxonomy.vectors``.
For 3.x the vectors come from ``Content Taxonomy 3.0 Descriptive Vectors.tsv``; their descriptions
from IAB's implementation guide are attached in ``extra["description"]``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adlens.contextual.taxonomy import DATA_DIR, Node, Taxonomy

__all__ = [
    "VECTOR_DESCRIPTIONS",
    "load_ad_product_20",
    "load_content_22",
    "load_content_30",
    "load_content_31",
    "parse_content_tsv",
]

IAB_DIR = DATA_DIR / "iab"
_CC = "CC BY 3.0, IAB Tech Lab"
_SOURCE = "github.com/InteractiveAdvertisingBureau/Taxonomies @ b7acdcaa"

# From IAB Tech Lab's implementation guide (implementation.md, "Descriptions of the Vectors").
VECTOR_DESCRIPTIONS: dict[str, str] = {
    "Content Environment": "the surrounding platform (distinct from device)",
    "Email": "content delivered as email",
    "Forum/Community": "content appearing in a forum / community tool, app or page",
    "Marketplace/eCommerce": "content appearing in a marketplace / ecommerce property",
    "Search Engine/Listings": "content appearing in a search engine listing",
    "Social": "content appearing in a social media app or page",
    "Utility/Online Tool": "content appearing in a utility or tool",
    "Voice Activated Channels": "content appearing in voice activated channels",
    "General": "content delivered via the web, free and paid",
    "Content Purpose": "the purpose of the content (the reason the content was created)",
    "Conversational": "interactive exchange of questions and answers: chat, comments",
    "Entertainment": "content built for entertainment purposes",
    "Informational": "content providing information at length, in depth, or background information",
    "Academic/Research": "content supporting specific fields of study and investigation",
    "Educational": "content supporting structured or formal instruction",
    "Instructional": "content describing how to do things or how things work",
    "News": "content providing previously unknown information for the majority of the audience",
    "Opinions and Op Eds": "views or judgements about current events as part of a news publication",
    "Review": "a critical assessment of a movie, book, restaurant, product, company or experience",
    "Commerce": "content facilitating buying and selling goods or services",
    "Content Source": "the origin of the content and the authority of its producer",
    "Professionally Produced": "content produced by professionals with editorial oversight",
    "User Generated": "content produced without editorial oversight",
    "Aggregated/Curated": "content aggregated from third party sources",
    "Content Form Factor": "the data format of the content",
    "Audio": "content based entirely on sound",
    "Podcast": "a digital audio series available for download",
    "Radio": "audio transmitted by radio for broadcast",
    "Images/Galleries": "pictures and visual representations",
    "Mixed": "multiple form factors, none dominant",
    "Textual": "content made up of written words",
    "Video": "content made up of moving visual images",
    "Game": "a game on any delivery platform",
    "VR/AR": "virtual or augmented reality content",
}


def _rows(path: Path, header_lines: int) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    return rows[header_lines:]


@dataclass
class _Row:
    uid: str
    parent: str | None
    name: str
    tiers: tuple[str, ...]
    extra: dict[str, Any]


def _resolve(rows: list[_Row]) -> dict[str, Node]:
    """Nodes with consistent parents and paths.

    IAB's files hold a few rows whose ``Parent`` disagrees with their tier columns (e.g. 3.1
    "Horse Racing": Parent = Sports, tiers = Sports > Equine Sports > Horse Racing; Ad Product 2.0
    1038–1041 point at a sibling). When the tier columns name an existing parent path, that parent
    wins (the original is kept in ``extra["iab_parent"]``); otherwise the ``Parent`` column does. The
    path is then rebuilt from the parent chain, so ``path == parent.path + (name,)`` always holds.
    """
    by_id = {r.uid: r for r in rows}
    by_tiers = {r.tiers: r.uid for r in rows if r.tiers and r.tiers[-1] == r.name}
    parent: dict[str, str | None] = {}
    for r in rows:
        p = r.parent if r.parent in by_id and r.parent != r.uid else None
        if len(r.tiers) > 1 and r.tiers[-1] == r.name:
            cand = by_tiers.get(r.tiers[:-1])
            if cand is not None and cand != p and cand != r.uid:
                r.extra["iab_parent"] = r.parent or ""
                p = cand
        parent[r.uid] = p
    paths: dict[str, tuple[str, ...]] = {}

    def path_of(uid: str, depth: int = 0) -> tuple[str, ...]:
        if uid not in paths:
            p = parent[uid]
            if p is None or depth > 10:  # no cycles expected; guard anyway
                paths[uid] = (by_id[uid].name,)
            else:
                paths[uid] = (*path_of(p, depth + 1), by_id[uid].name)
        return paths[uid]

    out: dict[str, Node] = {}
    for r in rows:
        path_ = path_of(r.uid)
        tiers_path = r.tiers if r.tiers and r.tiers[-1] == r.name else (*r.tiers, r.name)
        if tiers_path != path_:
            r.extra["iab_tiers"] = " > ".join(tiers_path)
        out[r.uid] = Node(r.uid, r.name, len(path_), path_, parent[r.uid], r.extra)
    return out


def parse_content_tsv(
    path: Path, *, tier_cols: int = 4, vectors_after_blank: bool = False
) -> tuple[dict[str, Node], dict[str, Node]]:
    """Aboutness nodes and (2.2: after the blank row) vector nodes of an IAB Content 2.x/3.x TSV."""
    nodes: list[_Row] = []
    vectors: list[_Row] = []
    target = nodes
    for row in _rows(path, 2):
        row = [c.strip() for c in row] + [""] * 8
        uid, parent, name = row[0], row[1], row[2]
        if not uid:
            if nodes and vectors_after_blank:  # 2.2: the blank row before the vectors
                target = vectors
            continue
        tiers = tuple(t for t in row[3 : 3 + tier_cols] if t)
        extension = row[3 + tier_cols]
        extra: dict[str, Any] = {"extension": extension} if extension else {}
        if target is vectors and name in VECTOR_DESCRIPTIONS:
            extra["description"] = VECTOR_DESCRIPTIONS[name]
        target.append(_Row(uid, parent or None, name, tiers, extra))
    return _resolve(nodes), _resolve(vectors)


def _descriptive_vectors() -> dict[str, Node]:
    nodes, _ = parse_content_tsv(IAB_DIR / "content-3.0-descriptive-vectors.tsv")
    return {
        uid: Node(
            n.id, n.name, n.tier, n.path, n.parent_id, {**n.extra, "description": VECTOR_DESCRIPTIONS[n.name]}
        )
        if n.name in VECTOR_DESCRIPTIONS
        else n
        for uid, n in nodes.items()
    }


def _content(version: str, file: str, segtax: int) -> Taxonomy:
    nodes, vectors = parse_content_tsv(IAB_DIR / file, vectors_after_blank=version.startswith("2"))
    if not vectors:
        vectors = _descriptive_vectors()
    return Taxonomy(
        f"iab-{version}",
        f"IAB Tech Lab Content Taxonomy {version}",
        nodes,
        segtax=segtax,
        licence=_CC,
        source=_SOURCE,
        vectors=vectors,
    )


def load_content_31() -> Taxonomy:
    return _content("3.1", "content-3.1.tsv", 7)


def load_content_30() -> Taxonomy:
    return _content("3.0", "content-3.0.tsv", 7)


def load_content_22() -> Taxonomy:
    return _content("2.2", "content-2.2.tsv", 6)


def load_ad_product_20() -> Taxonomy:
    """Ad Product Taxonomy 2.0 (one header line; row 1000 is its own parent → a root)."""
    rows: list[_Row] = []
    for row in _rows(IAB_DIR / "ad-product-2.0.tsv", 1):
        row = [c.strip() for c in row] + [""] * 6
        uid, parent, name = row[0], row[1], row[2]
        if uid:
            rows.append(_Row(uid, parent or None, name, tuple(t for t in row[3:6] if t), {}))
    nodes = _resolve(rows)
    return Taxonomy(
        "iab-ad-product-2.0",
        "IAB Tech Lab Ad Product Taxonomy 2.0",
        nodes,
        segtax=None,
        licence=_CC,
        source=_SOURCE,
    )
