"""Mappings between IAB Content Taxonomy versions (legacy 1.0, 2.2, 3.0, 3.1).

IAB Tech Lab keeps its "relational IDs" stable from 2.x to 3.x: a node present in both versions
keeps its ID (sometimes with a shorter name, e.g. 2.2 ``331`` "Crime and Mystery Movies" is 3.0
``331`` "Mystery"). IAB ships no 2.2↔3.x table; its implementation guide describes 3.0 as removing
parent categories (News and Politics, Movies/Television genres, radio and event sub-types).
:func:`map_node` therefore maps:

1. the same ID when it exists in the target (IAB's relational ID system);
2. otherwise a target node whose name equals the source name with a removed qualifier
   (" Movies", " Events", " Radio", " TV", " Books", " Literature") or the whole name;
3. otherwise the nearest ancestor that exists in the target;
4. otherwise (a removed tier-1 such as 2.2 "News and Politics") its children that exist in the target,
   and for a child of such a removed node, what its parent maps to.

Legacy Content 1.0 codes (``IAB1-1``) go through IAB's official ``Content 1.0 to Content 2.0``
crosswalk (shipped as ``data/iab/content-1.0-to-2.0.tsv``) and then as above.
"""

from __future__ import annotations

import csv
import functools
import re

from adlens.contextual.taxonomy import DATA_DIR, Taxonomy, load_taxonomy
from adlens.errors import InvalidInput, NotFound

__all__ = ["CONTENT_VERSIONS", "content_10_to_20", "map_node"]

CONTENT_VERSIONS = ("iab-1.0", "iab-2.2", "iab-3.0", "iab-3.1")
_QUALIFIERS = re.compile(r"\s+(Movies|Events|Event|Radio|TV|Books|Literature|Venues and Events)$")


def _norm_version(v: str) -> str:
    key = (v or "").strip().lower()
    if not key.startswith("iab-"):
        key = f"iab-{key}"
    if key not in CONTENT_VERSIONS:
        raise InvalidInput(
            f"no IAB content mapping for {v!r}; mappable versions: {', '.join(CONTENT_VERSIONS)}"
        )
    return key


@functools.cache
def content_10_to_20() -> dict[str, list[str]]:
    """IAB's official Content 1.0 → 2.0 crosswalk: ``IAB1-1`` → ``["42"]`` (unmapped codes → [])."""
    out: dict[str, list[str]] = {}
    with (DATA_DIR / "iab" / "content-1.0-to-2.0.tsv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))[1:]
    for row in rows:
        if not row or not row[0].strip():
            continue
        code, target = row[0].strip(), row[3].strip() if len(row) > 3 else ""
        out.setdefault(code, [])
        if target and target not in out[code]:
            out[code].append(target)
    return out


def _by_name(tax: Taxonomy) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for n in tax:
        names.setdefault(n.name.lower(), []).append(n.id)
    return names


def _map_content(node_id: str, src: Taxonomy, dst: Taxonomy) -> list[str]:
    if node_id in dst:
        return [node_id]
    node = src.get(node_id)
    names = _by_name(dst)
    for candidate in (_QUALIFIERS.sub("", node.name), node.name):
        ids = names.get(candidate.lower())
        if ids:
            return ids[:1]
    for anc in src.ancestors(node_id):
        if anc.id in dst:
            return [anc.id]
    kids = [c.id for c in src.children(node_id) if c.id in dst]
    if kids:
        return kids
    if node.parent_id is not None and node.parent_id in src:
        return _map_content(node.parent_id, src, dst)  # e.g. International News -> News and Politics
    return []


def map_node(node_id: str, source: str, target: str) -> list[str]:
    """IDs in ``target`` corresponding to ``node_id`` in ``source`` (content versions only)."""
    src_v, dst_v = _norm_version(source), _norm_version(target)
    if dst_v == "iab-1.0":
        raise InvalidInput("mapping into the deprecated Content 1.0 is not supported")
    dst = load_taxonomy(dst_v)
    if src_v == "iab-1.0":
        table = content_10_to_20()
        if node_id not in table:
            raise NotFound(f"no Content 1.0 code {node_id!r}")
        via = load_taxonomy("iab-2.2")
        out: list[str] = []
        for mid in table[node_id]:
            if mid not in via:  # 2.0 content vectors (e.g. 1014) are not aboutness nodes
                continue
            for t in _map_content(mid, via, dst) if dst_v != "iab-2.2" else [mid]:
                if t not in out:
                    out.append(t)
        return out
    src = load_taxonomy(src_v)
    src.get(node_id)  # NotFound for unknown ids
    if src_v == dst_v:
        return [node_id]
    return _map_content(node_id, src, dst)
