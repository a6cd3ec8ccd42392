"""Contextual targeting: URL → ad categories, brand safety and OpenRTB segments.

Taxonomies (:mod:`adlens.contextual.taxonomy`), zero-shot scoring with calibrated confidences
(:mod:`adlens.contextual.scoring`) and brand safety (:mod:`adlens.contextual.brand_safety`).
"""

from __future__ import annotations

__all__ = ["DEFAULT_VERSION", "TAXONOMIES", "list_taxonomies", "load_taxonomy", "map_node"]

from adlens.contextual.taxonomy import DEFAULT_VERSION, TAXONOMIES, list_taxonomies, load_taxonomy, map_node
