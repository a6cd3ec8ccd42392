"""Ad taxonomies shipped with adlens, loaded by version.

``load_taxonomy("iab-3.1")`` returns a :class:`Taxonomy` (nodes with id, name, tier, full path and
parent). The IAB files are the official IAB Tech Lab TSVs (CC BY 3.0, see ``data/NOTICE.md``); the
Google Ads verticals and Meta interest groups are the public category names listed in the seed
design; the Google product taxonomy is not redistributed and is read from
``<data_dir>/taxonomies/google-product-taxonomy.txt`` when a user installs it
(``adlens taxonomy install google-product FILE``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adlens.errors import InvalidInput, NotFound

__all__ = [
    "DEFAULT_VERSION",
    "TAXONOMIES",
    "Node",
    "Taxonomy",
    "TaxonomySpec",
    "list_taxonomies",
    "load_taxonomy",
    "map_node",
    "user_taxonomy_dir",
]

DEFAULT_VERSION = "iab-3.1"
DATA_DIR = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Node:
    """One category: ``path`` runs from the tier-1 ancestor down to this node's own name."""

    id: str
    name: str
    tier: int
    path: tuple[str, ...]
    parent_id: str | None
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def full_path(self) -> str:
        return " > ".join(self.path)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "tier": self.tier,
            "path": list(self.path),
            "parent_id": self.parent_id,
            **({"extra": dict(self.extra)} if self.extra else {}),
        }


class Taxonomy:
    """A versioned tree of :class:`Node` (insertion order = file order)."""

    def __init__(
        self,
        version: str,
        name: str,
        nodes: dict[str, Node],
        *,
        segtax: int | None = None,
        licence: str = "",
        source: str = "",
        vectors: dict[str, Node] | None = None,
    ) -> None:
        self.version = version
        self.name = name
        self.segtax = segtax
        self.licence = licence
        self.source = source
        self.nodes = nodes
        self.vectors = vectors or {}
        self._children: dict[str | None, list[str]] = {}
        for node in nodes.values():
            self._children.setdefault(node.parent_id, []).append(node.id)

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.nodes

    def get(self, node_id: str) -> Node:
        """The node ``node_id``; :class:`~adlens.errors.NotFound` when absent."""
        node = self.nodes.get(str(node_id))
        if node is None:
            raise NotFound(f"no node {node_id!r} in taxonomy {self.version}")
        return node

    def children(self, node_id: str | None) -> list[Node]:
        """Direct children of ``node_id`` (``None`` = the tier-1 roots)."""
        if node_id is not None:
            self.get(node_id)
        return [self.nodes[c] for c in self._children.get(node_id, [])]

    def roots(self) -> list[Node]:
        return self.children(None)

    def descendants(self, node_id: str) -> list[Node]:
        out: list[Node] = []
        stack = [node_id]
        while stack:
            for child in self._children.get(stack.pop(), []):
                out.append(self.nodes[child])
                stack.append(child)
        return out

    def ancestors(self, node_id: str) -> list[Node]:
        """Parents from the direct parent up to the tier-1 root."""
        out: list[Node] = []
        node = self.get(node_id)
        seen = {node.id}
        while node.parent_id is not None and node.parent_id in self.nodes and node.parent_id not in seen:
            node = self.nodes[node.parent_id]
            seen.add(node.id)
            out.append(node)
        return out

    def root_of(self, node_id: str) -> Node:
        chain = self.ancestors(node_id)
        return chain[-1] if chain else self.get(node_id)

    def detail(self, node_id: str) -> dict[str, Any]:
        """A node with its ancestors (root first) and children, JSON-ready."""
        node = self.get(node_id)
        return {
            **node.to_dict(),
            "full_path": node.full_path,
            "ancestors": [a.to_dict() for a in reversed(self.ancestors(node_id))],
            "children": [c.to_dict() for c in self.children(node_id)],
            "descendants": len(self.descendants(node_id)),
        }

    def summary(self) -> dict[str, Any]:
        """Taxonomy info plus its tier-1 nodes with their child counts."""
        return {
            **self.info(),
            "roots": [{**r.to_dict(), "children": len(self._children.get(r.id, []))} for r in self.roots()],
        }

    def info(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "name": self.name,
            "segtax": self.segtax,
            "licence": self.licence,
            "source": self.source,
            "nodes": len(self.nodes),
            "tier1": len(self._children.get(None, [])),
            "max_tier": max((n.tier for n in self.nodes.values()), default=0),
        }


@dataclass(frozen=True)
class TaxonomySpec:
    version: str
    name: str
    loader: Callable[[], Taxonomy]
    segtax: int | None
    licence: str
    aliases: tuple[str, ...] = ()


def user_taxonomy_dir() -> Path:
    """Where user-installed taxonomy files live (``<data_dir>/taxonomies``)."""
    from adlens.config import get_settings

    return Path(get_settings().data_dir) / "taxonomies"


def _specs() -> dict[str, TaxonomySpec]:
    from adlens.contextual import taxonomy_iab as iab
    from adlens.contextual import taxonomy_lists as lists

    cc = "CC BY 3.0, IAB Tech Lab"
    specs = [
        TaxonomySpec("iab-3.1", "IAB Tech Lab Content Taxonomy 3.1", iab.load_content_31, 7, cc, ("3.1",)),
        TaxonomySpec("iab-3.0", "IAB Tech Lab Content Taxonomy 3.0", iab.load_content_30, 7, cc, ("3.0",)),
        TaxonomySpec("iab-2.2", "IAB Tech Lab Content Taxonomy 2.2", iab.load_content_22, 6, cc, ("2.2",)),
        TaxonomySpec(
            "iab-ad-product-2.0", "IAB Tech Lab Ad Product Taxonomy 2.0", iab.load_ad_product_20, None, cc
        ),
        TaxonomySpec(
            "google-product",
            "Google product taxonomy (user-installed)",
            lists.load_google_product,
            None,
            "Google's published Merchant Center list; not redistributed by adlens",
        ),
        TaxonomySpec(
            "meta-interests",
            "Meta interest groups (seed design list)",
            lists.load_meta_interests,
            None,
            "public category names",
        ),
        TaxonomySpec(
            "google-verticals",
            "Google Ads verticals (seed design list)",
            lists.load_google_verticals,
            None,
            "public category names",
            ("google-ads",),
        ),
    ]
    return {s.version: s for s in specs}


TAXONOMIES: tuple[str, ...] = (
    "iab-3.1",
    "iab-3.0",
    "iab-2.2",
    "iab-ad-product-2.0",
    "google-product",
    "meta-interests",
    "google-verticals",
)

_LOCK = threading.Lock()
_LOADED: dict[str, Taxonomy] = {}


def _resolve(version: str) -> TaxonomySpec:
    specs = _specs()
    key = (version or "").strip().lower()
    if key in specs:
        return specs[key]
    for spec in specs.values():
        if key in spec.aliases:
            return spec
    raise InvalidInput(f"unknown taxonomy {version!r}; known: {', '.join(TAXONOMIES)}")


def load_taxonomy(version: str = DEFAULT_VERSION) -> Taxonomy:
    """Load (once per process) the taxonomy ``version``; InvalidInput for unknown versions."""
    spec = _resolve(version)
    with _LOCK:
        tax = _LOADED.get(spec.version)
        if tax is None:
            tax = spec.loader()
            if spec.version != "google-product":  # user-installed: re-read if installed later
                _LOADED[spec.version] = tax
    return tax


def list_taxonomies() -> list[dict[str, Any]]:
    """One entry per known version: name, segtax, licence, availability and node count."""
    out: list[dict[str, Any]] = []
    for spec in _specs().values():
        entry: dict[str, Any] = {
            "version": spec.version,
            "name": spec.name,
            "segtax": spec.segtax,
            "licence": spec.licence,
            "default": spec.version == DEFAULT_VERSION,
        }
        try:
            tax = load_taxonomy(spec.version)
            entry.update(available=True, nodes=len(tax), tier1=len(tax.roots()))
        except NotFound as exc:
            entry.update(available=False, nodes=0, tier1=0, reason=exc.message)
        out.append(entry)
    return out


def map_node(node_id: str, source: str, target: str) -> list[str]:
    """IDs in ``target`` that correspond to ``node_id`` of ``source`` (IAB content 2.2/3.0/3.1)."""
    from adlens.contextual.mappings import map_node as _map

    return _map(node_id, source, target)
