"""From tier-1 probabilities to ranked categories over the whole tree, and Sensitive-Topics entries.

``P(child) = P(parent) * softmax({stay at the parent} + children)`` top-down, so deeper nodes never
sum above their parent; brand-safety flags of medium/high risk add their IAB "Sensitive Topics" node.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from adlens.contextual.calibration import softmax
from adlens.contextual.nodes import NodeIndex
from adlens.contextual.schema import CategoryScore
from adlens.contextual.segments import Prepared
from adlens.contextual.taxonomy import Taxonomy

__all__ = ["children_of", "ranked_categories", "sensitive_categories"]


def children_of(index: NodeIndex) -> dict[int, np.ndarray]:
    """Node position → positions of its children."""
    kids: dict[int, list[int]] = {}
    for i, p in enumerate(index.parent_of):
        if p >= 0:
            kids.setdefault(int(p), []).append(i)
    return {p: np.array(v, dtype=np.int64) for p, v in kids.items()}


def ranked_categories(
    taxonomy: Taxonomy,
    index: NodeIndex,
    children: dict[int, np.ndarray],
    roots: np.ndarray,
    node: np.ndarray,
    t1: np.ndarray,
    probs: np.ndarray,
    pr: Prepared,
    isims: np.ndarray,
    top_k: int,
    child_temperature: float,
) -> list[CategoryScore]:
    """The ``top_k`` nodes by confidence, with their evidence (matched phrases, contributing images)."""
    conf = np.zeros(len(node))
    for j, r in enumerate(roots):
        conf[r] = probs[j]
    order = np.argsort(index.depth, kind="stable")
    for i in order:
        kids = children.get(int(i))
        if kids is None or conf[i] < 1e-4:
            continue
        z = softmax(np.concatenate([[node[i]], node[kids]])[None, :], child_temperature)[0]
        conf[kids] = conf[i] * z[1:]
    top = np.argsort(-conf, kind="stable")[:top_k]
    out = []
    root_score = {int(r): float(t1[j]) for j, r in enumerate(roots)}
    for i in top:
        nid = index.ids[i]
        n = taxonomy.nodes[nid]
        phrases = list(pr.matches.get(int(i), []))
        images = []
        if isims.size:
            images = [pr.image_urls[k] for k in np.flatnonzero(isims[:, i] >= node[i] - 0.02)[:3]]
        score = root_score.get(int(i), float(node[i]))
        out.append(
            CategoryScore(
                nid,
                n.name,
                n.tier,
                list(n.path),
                round(float(conf[i]), 4),
                round(score, 4),
                {"phrases": phrases[:8], "images": images},
            )
        )
    return out


def sensitive_categories(
    taxonomy: Taxonomy, safety: dict[str, Any], present: set[str]
) -> list[CategoryScore]:
    """IAB "Sensitive Topics" nodes for medium/high brand-safety flags (after the ranked list).

    Their ``confidence`` is the brand-safety score (not a calibrated topic probability) and
    ``evidence["source"]`` says so.
    """
    out: list[CategoryScore] = []
    for flag in safety.get("flags", []):
        nid = safety.get("iab", {}).get(flag.category)
        if flag.risk not in ("medium", "high") or not nid or nid in present or nid not in taxonomy:
            continue
        n = taxonomy.nodes[nid]
        present.add(nid)
        out.append(
            CategoryScore(
                nid,
                n.name,
                n.tier,
                list(n.path),
                round(float(flag.score), 4),
                round(float(flag.score), 4),
                {
                    "phrases": list(flag.evidence),
                    "images": [],
                    "source": "brand_safety",
                    "risk": flag.risk,
                },
            )
        )
    return out
