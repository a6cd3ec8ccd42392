"""Which rows of an embedded collection a filter selects: a cached :class:`Selection`.

Two ways, chosen per filter and state version:

* **narrowed** — the filter is an AND with at least one categorical leaf (equality, ``$in``,
  ``$contains``) that selects at most 1/8 of the rows. Start from that leaf's positions (cached per
  leaf: ``category = "chess"`` is 1 % of the rows) and keep those that pass every other condition,
  reading each column only at those positions. Nothing touches all 1M rows, and the 1M-row mask is
  built only if a plan asks for it (the HNSW bitmap).
* **mask** — otherwise: the whole-column boolean mask (alive, namespace, every leaf), from the
  cached leaf masks.

Both give the same rows (tests compare them with :func:`adlens.store.filters.matches`).
"""

from __future__ import annotations

import numpy as np

from adlens.store import filters
from adlens.store.maskcache import CachedColumns, Selection
from adlens.store.memstate import CollectionState

__all__ = ["select"]

_RANGES = ("gt", "gte", "lt", "lte")
_ANCHORS = ("eq", "in", "contains")
NARROW_FRACTION = 8  # narrow when the anchor leaf selects at most 1/8 of the rows


def _flat_and(node: filters.Node) -> list[filters.Node]:
    if isinstance(node, filters.And):
        return [leaf for item in node.items for leaf in _flat_and(item)]
    return [node]


def _is_range(node: filters.Node) -> bool:
    return isinstance(node, filters.Cmp) and node.op in _RANGES


def _leaf_selection(st: CollectionState, cols: CachedColumns, leaf: filters.Node) -> Selection:
    """A categorical leaf's rows (dead ones included); count and positions cached with its mask."""
    key = ("leafsel", repr(leaf))
    return Selection(st.leaf_masks, st.version, key, st.n, mask=filters.to_mask(leaf, cols))


def _narrowed(
    st: CollectionState,
    namespace: str | None,
    items: list[filters.Node],
    anchor: int,
    start: np.ndarray,
    cols: CachedColumns,
) -> np.ndarray:
    pos = start[st.alive[start]] if st.dead else start
    if namespace is not None:
        code = st.ns_vocab.get(namespace)
        pos = pos[st.ns[pos] == code] if code is not None else pos[:0]
    rest = [item for i, item in enumerate(items) if i != anchor]
    rest.sort(key=_is_range)  # cached categorical masks first: they usually cut the most, cheapest
    for item in rest:
        if pos.shape[0] == 0:
            break
        if _is_range(item):
            assert isinstance(item, filters.Cmp)
            pos = pos[st.columns.compare_at(item.key, item.op, float(item.value), pos)]
        else:
            pos = pos[filters.to_mask(item, cols)[pos]]
    return pos.astype(np.int64, copy=False)


def select(st: CollectionState, namespace: str | None, node: filters.Node | None) -> Selection:
    """Rows matching (alive, namespace, filter); the caller holds the store's read or write lock."""
    key = ("where", namespace, repr(node))
    cols = CachedColumns(st.columns, st.leaf_masks, st.version, ranges=st.masks)
    if node is not None:
        items = _flat_and(node)
        best: tuple[int, int, Selection] | None = None  # (count, item index, leaf selection)
        for i, item in enumerate(items):
            if isinstance(item, filters.Cmp) and item.op in _ANCHORS:
                leaf = _leaf_selection(st, cols, item)
                if best is None or leaf.count < best[0]:
                    best = (leaf.count, i, leaf)
        if best is not None and best[0] * NARROW_FRACTION <= st.n:
            _, anchor, leaf = best
            pos = st.masks.get(
                st.version,
                ("narrowed", *key),
                lambda: _narrowed(st, namespace, items, anchor, leaf.positions(), cols),
            )
            return Selection(st.masks, st.version, key, st.n, positions=pos)

    def compute() -> np.ndarray:
        base = st.masks.get(st.version, ("base", namespace), lambda: st.base_mask(namespace))
        return base if node is None else base & filters.to_mask(node, cols)

    return Selection(st.masks, st.version, key, st.n, mask=st.masks.get(st.version, key, compute))
