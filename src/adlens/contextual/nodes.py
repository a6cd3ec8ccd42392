"""Node texts and their embeddings, cached on disk per taxonomy version and embedder version.

A node's text is its name, its full path and, where they exist, descriptive keywords: the names of
its children (for tier-1 and tier-2 nodes, which are otherwise one or two words) and, for IAB 3.x
vectors, IAB's own descriptions. Embeddings go to ``<cache_dir>/contextual/nodes-<version>-<embedder>-<hash>.npz``
where the hash covers the embedder identity and every node text, so a changed taxonomy or model
re-embeds automatically; the write is atomic.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from adlens.contextual.taxonomy import DATA_DIR, Node, Taxonomy

__all__ = [
    "NodeIndex",
    "embedder_id",
    "node_description",
    "node_exemplars",
    "node_index",
    "node_keywords",
    "node_text",
    "node_texts",
    "search_nodes",
]

_TEXT_VERSION = "5"
_MAX_KEYWORDS = 80


def _phrases(name: str) -> list[str]:
    """Split names such as "Illegal Drugs, Tobacco, eCigarettes, Vaping, Alcohol" into phrases."""
    parts = re.split(r"\s*(?:,|/|&|\band\b|\bor\b)\s*", name)
    return [p.strip() for p in parts if len(p.strip()) > 2]


def node_keywords(tax: Taxonomy, node: Node) -> list[str]:
    """Lexical evidence phrases of a node: its name parts and its children's names (lower-case)."""
    words: list[str] = []
    for phrase in [node.name, *_phrases(node.name)]:
        words.append(phrase.lower())
    for child in tax.children(node.id)[:_MAX_KEYWORDS]:
        words.extend(p.lower() for p in [child.name, *_phrases(child.name)])
    desc = node_description(tax, node)
    if desc and not node.extra.get("description"):  # our glosses are keyword lists
        words.extend(
            p.strip().lower() for p in re.split(r",|\band\b|\bsuch as\b", desc) if len(p.strip()) > 2
        )
    seen: set[str] = set()
    return [w for w in words if not (w in seen or seen.add(w))]  # type: ignore[func-returns-value]


@functools.cache
def _exemplars() -> dict[str, list[str]]:
    path = DATA_DIR / "iab" / "exemplars.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): [str(x) for x in v] for k, v in doc.items()}


def node_exemplars(tax: Taxonomy, node: Node) -> list[str]:
    """Example sentences of an IAB content tier-1 node (empty for other nodes and taxonomies)."""
    if tax.version.startswith("iab-") and not tax.version.startswith("iab-ad-") and node.tier == 1:
        return _exemplars().get(node.id, [])
    return []


@functools.cache
def _descriptions() -> dict[str, str]:
    path = DATA_DIR / "iab" / "descriptions.yaml"
    return {str(k): str(v) for k, v in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items()}


def node_description(tax: Taxonomy, node: Node) -> str | None:
    """Our gloss of an IAB tier-1 node, or IAB's own description of a vector; ``None`` otherwise."""
    if node.extra.get("description"):
        return str(node.extra["description"])
    if tax.version.startswith("iab-") and not tax.version.startswith("iab-ad-") and node.tier == 1:
        return _descriptions().get(node.id)
    return None


def node_texts(tax: Taxonomy, node: Node) -> list[str]:
    """The texts embedded for ``node`` (its vector is their normalised mean): the path with the
    children's names as topics, and the description where one exists."""
    text = " > ".join(node.path)
    kids = [c.name for c in tax.children(node.id)][:_MAX_KEYWORDS]
    if kids:
        text += ". Topics: " + ", ".join(kids)
    texts = [text]
    desc = node_description(tax, node)
    if desc:
        texts.append(f"{node.name}: {desc}")
    return texts


def node_text(tax: Taxonomy, node: Node) -> str:
    """All texts of ``node`` joined (for display and search)."""
    return " | ".join(node_texts(tax, node))


def embedder_id(embedder: Any) -> str:
    """A stable identity of the embedder (class, space, model path) for cache keys."""
    space = getattr(embedder, "space", None)
    parts = [type(embedder).__name__, str(getattr(space, "name", "")), str(getattr(space, "dim", ""))]
    onnx = getattr(embedder, "onnx_path", None)
    if onnx is not None:
        parts.append(Path(onnx).name)
    version = getattr(space, "model_version", None)
    if version is not None:
        parts.append(str(version))
    return "|".join(parts)


@dataclass
class NodeIndex:
    """Embedded nodes of one taxonomy: row ``i`` of ``vectors`` is node ``ids[i]``."""

    version: str
    ids: list[str]
    vectors: np.ndarray  # (n, d) float32, L2-normalised
    root_of: np.ndarray  # (n,) index of each node's tier-1 ancestor
    parent_of: np.ndarray  # (n,) index of the parent, -1 for roots
    depth: np.ndarray  # (n,) tier
    keywords: list[list[str]]
    exemplar_vectors: np.ndarray  # (m, d) example sentences of tier-1 nodes
    exemplar_owner: np.ndarray  # (m,) node index of each example

    @property
    def roots(self) -> np.ndarray:
        return np.flatnonzero(self.parent_of < 0)

    def position(self) -> dict[str, int]:
        return {nid: i for i, nid in enumerate(self.ids)}


def _atomic_save(path: Path, **arrays: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.npz")
    os.close(fd)
    try:
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def node_index(tax: Taxonomy, embedder: Any, cache_dir: Path | None) -> NodeIndex:
    """Embed every node of ``tax`` (or load the cached vectors)."""
    nodes = list(tax)
    ids = [n.id for n in nodes]
    per_node = [node_texts(tax, n) for n in nodes]
    examples = [(i, t) for i, n in enumerate(nodes) for t in node_exemplars(tax, n)]
    texts = [t for ts in per_node for t in ts]
    n_node_texts = len(texts)
    texts += [t for _, t in examples]
    ex_owner = np.array([i for i, _ in examples], dtype=np.int64)
    pos = {nid: i for i, nid in enumerate(ids)}
    root_of = np.array([pos[tax.root_of(n.id).id] for n in nodes], dtype=np.int64)
    parent_of = np.array([pos.get(n.parent_id or "", -1) for n in nodes], dtype=np.int64)
    depth = np.array([n.tier for n in nodes], dtype=np.int64)
    keywords = [node_keywords(tax, n) for n in nodes]
    digest = hashlib.sha256(
        "\n".join([_TEXT_VERSION, embedder_id(embedder), *texts]).encode("utf-8")
    ).hexdigest()[:16]
    vectors: np.ndarray | None = None
    ex_vectors = np.zeros((0, 1), dtype=np.float32)
    emb_tag = hashlib.sha256(embedder_id(embedder).encode("utf-8")).hexdigest()[:8]
    prefix = f"nodes-{tax.version}-{emb_tag}-"
    path = cache_dir / "contextual" / f"{prefix}{digest}.npz" if cache_dir else None
    if path is not None and path.is_file():
        try:
            with np.load(path) as data:
                loaded = np.asarray(data["vectors"], dtype=np.float32)
                loaded_ex = np.asarray(data["exemplars"], dtype=np.float32)
            if loaded.shape[0] == len(ids) and loaded_ex.shape[0] == len(examples):
                vectors, ex_vectors = loaded, loaded_ex
        except (OSError, ValueError, KeyError):
            vectors = None  # corrupt: re-embed
    if vectors is None:
        all_vecs = np.asarray(embedder.embed(texts), dtype=np.float32)
        flat, ex_vectors = all_vecs[:n_node_texts], all_vecs[n_node_texts:]
        owner = np.repeat(np.arange(len(nodes)), [len(ts) for ts in per_node])
        summed = np.zeros((len(nodes), flat.shape[1]), dtype=np.float32)
        np.add.at(summed, owner, flat)
        vectors = summed / np.maximum(np.linalg.norm(summed, axis=1, keepdims=True), 1e-9)
        if path is not None:
            _atomic_save(path, vectors=vectors, exemplars=ex_vectors)
            for stale in path.parent.glob(f"{prefix}*.npz"):  # older texts of this version + embedder
                if stale != path:
                    stale.unlink(missing_ok=True)
    if not examples:
        ex_vectors = np.zeros((0, vectors.shape[1]), dtype=np.float32)
    return NodeIndex(tax.version, ids, vectors, root_of, parent_of, depth, keywords, ex_vectors, ex_owner)


def search_nodes(
    tax: Taxonomy,
    query: str,
    *,
    embedder: Any = None,
    cache_dir: Path | None = None,
    k: int = 10,
) -> list[dict[str, Any]]:
    """Nodes matching ``query``: literal matches on name/path first, then embedding similarity.

    Each hit: the node's fields plus ``score`` (cosine similarity, or 1.0 for an exact name match)
    and ``match`` ("name", "path" or "semantic").
    """
    from adlens.errors import InvalidInput

    q = (query or "").strip()
    if not q:
        raise InvalidInput("search query is empty")
    if len(q) > 500:
        raise InvalidInput("search query is longer than 500 characters")
    if k < 1 or k > 200:
        raise InvalidInput("k must be between 1 and 200")
    ql = q.lower()
    scores: dict[str, tuple[float, str]] = {}
    for n in tax:
        if n.name.lower() == ql:
            scores[n.id] = (1.0 + 1.0 / n.tier, "name")
        elif ql in n.name.lower():
            scores[n.id] = (0.9 + 0.5 / n.tier, "name")
        elif ql in " > ".join(n.path).lower():
            scores[n.id] = (0.8, "path")
    if embedder is not None:
        index = node_index(tax, embedder, cache_dir)
        qv = np.asarray(embedder.embed([q]), dtype=np.float32)[0]
        sims = index.vectors @ qv
        for i in np.argsort(-sims)[: k * 2]:
            nid = index.ids[int(i)]
            s = float(sims[i])
            if nid in scores:
                scores[nid] = (max(scores[nid][0], s), scores[nid][1])
            else:
                scores[nid] = (s, "semantic")
    ranked = sorted(scores.items(), key=lambda kv: -kv[1][0])[:k]
    return [
        {**tax.nodes[nid].to_dict(), "score": round(score, 4), "match": how} for nid, (score, how) in ranked
    ]
