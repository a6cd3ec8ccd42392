"""Interaction data for recommendation: users, items, ratings, timestamps and side features.

:class:`InteractionDataset` keeps integer ids (``0..n-1``) for users and items, the raw ids they map
to, one row per interaction (in the order the source listed them, which matters for reproducing
published splits), item features (title text, multi-hot categories, optional image vectors) and
categorical user features. :func:`load_movielens_100k` reads the original GroupLens ``ml-100k`` files.
MovieLens is research-only: read it from where it lies, never copy it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from adlens.errors import InvalidInput, NotFound

AGE_BUCKETS: tuple[int, ...] = (18, 25, 35, 45, 50, 56)
"""Upper-exclusive bucket edges (the MovieLens-1M buckets): <18, 18-24, 25-34, 35-44, 45-49, 50-55, 56+."""


@dataclass(frozen=True)
class IdMap:
    """A bijection between raw ids (as the source spells them) and dense integer ids ``0..n-1``."""

    raw: tuple[str, ...]
    _index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {r: i for i, r in enumerate(self.raw)}
        if len(index) != len(self.raw):
            raise InvalidInput("raw ids must be unique")
        object.__setattr__(self, "_index", index)

    def __len__(self) -> int:
        return len(self.raw)

    def index(self, raw_id: str | int) -> int:
        """Dense id of ``raw_id``; :class:`NotFound` if unknown."""
        try:
            return self._index[str(raw_id)]
        except KeyError:
            raise NotFound(f"unknown id {raw_id!r}") from None

    def indices(self, raw_ids: Sequence[str | int]) -> np.ndarray:
        return np.array([self.index(r) for r in raw_ids], dtype=np.int64)


@dataclass(frozen=True)
class InteractionDataset:
    """Users x items interactions with optional side features (all arrays indexed by dense ids)."""

    user_map: IdMap
    item_map: IdMap
    users: np.ndarray  # (n_inter,) int64
    items: np.ndarray  # (n_inter,) int64
    ratings: np.ndarray  # (n_inter,) float32
    timestamps: np.ndarray  # (n_inter,) int64
    item_titles: tuple[str, ...] = ()
    item_categories: np.ndarray | None = None  # (n_items, n_cat) float32 multi-hot
    category_names: tuple[str, ...] = ()
    item_image_features: np.ndarray | None = None  # (n_items, d) float32
    user_features: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (n_users,) int64 codes
    user_feature_sizes: dict[str, int] = field(default_factory=dict)  # name -> vocabulary size
    name: str = "dataset"

    def __post_init__(self) -> None:
        n = len(self.users)
        for label, arr in (("items", self.items), ("ratings", self.ratings), ("timestamps", self.timestamps)):
            if len(arr) != n:
                raise InvalidInput(f"{label} has {len(arr)} rows, users has {n}")
        if n and (self.users.min() < 0 or self.users.max() >= self.n_users):
            raise InvalidInput("user ids out of range")
        if n and (self.items.min() < 0 or self.items.max() >= self.n_items):
            raise InvalidInput("item ids out of range")
        if self.item_titles and len(self.item_titles) != self.n_items:
            raise InvalidInput(f"{len(self.item_titles)} titles for {self.n_items} items")
        for label, mat in (
            ("item_categories", self.item_categories),
            ("item_image_features", self.item_image_features),
        ):
            if mat is not None and mat.shape[0] != self.n_items:
                raise InvalidInput(f"{label} has {mat.shape[0]} rows for {self.n_items} items")
        for key, codes in self.user_features.items():
            if len(codes) != self.n_users:
                raise InvalidInput(f"user feature {key!r} has {len(codes)} rows for {self.n_users} users")
            if key not in self.user_feature_sizes:
                raise InvalidInput(f"user feature {key!r} has no vocabulary size")

    @property
    def n_users(self) -> int:
        return len(self.user_map)

    @property
    def n_items(self) -> int:
        return len(self.item_map)

    @property
    def n_interactions(self) -> int:
        return len(self.users)

    def subset(self, rows: np.ndarray) -> InteractionDataset:
        """The same users, items and features with only the interactions at ``rows``."""
        rows = np.asarray(rows, dtype=np.int64)
        return replace(
            self,
            users=self.users[rows],
            items=self.items[rows],
            ratings=self.ratings[rows],
            timestamps=self.timestamps[rows],
        )

    def csr(self, rows: np.ndarray | None = None, *, binary: bool = True) -> sp.csr_matrix:
        """Users x items CSR matrix of the interactions at ``rows`` (all when None); 1.0 or the rating."""
        return interaction_matrix(
            self.users if rows is None else self.users[rows],
            self.items if rows is None else self.items[rows],
            (self.n_users, self.n_items),
            None if binary else (self.ratings if rows is None else self.ratings[rows]),
        )


def interaction_matrix(
    users: np.ndarray, items: np.ndarray, shape: tuple[int, int], values: np.ndarray | None = None
) -> sp.csr_matrix:
    """CSR matrix with ``values`` (1.0 when None) at (users, items); duplicate pairs are summed (binary: 1)."""
    data = np.ones(len(users), dtype=np.float32) if values is None else np.asarray(values, dtype=np.float32)
    coo = sp.coo_matrix((data, (users, items)), shape=shape)
    mat = coo.tocsr()
    if values is None:
        mat.data[:] = 1.0  # duplicates were summed
    mat.sort_indices()
    return mat


def age_bucket(age: int) -> int:
    """Index of ``age`` in :data:`AGE_BUCKETS` (0..6)."""
    return int(np.searchsorted(np.array(AGE_BUCKETS), age, side="right"))


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise NotFound(f"MovieLens file not found: {path}")
    return [ln for ln in path.read_text(encoding="latin-1").splitlines() if ln.strip()]


def load_movielens_100k(path: str | Path) -> InteractionDataset:
    """Load GroupLens ``ml-100k`` (``u.data``, ``u.item``, ``u.user``, ``u.genre``) from ``path``.

    ``path`` may be the folder holding the files or its parent (with an ``original/`` or ``ml-100k/``
    sub-folder). Interactions keep the ``u.data`` row order; dense ids follow ascending raw ids.
    """
    root = Path(path)
    for candidate in (root, root / "original", root / "ml-100k"):
        if (candidate / "u.data").is_file():
            root = candidate
            break
    else:
        raise NotFound(f"no MovieLens-100k u.data under {path}")
    try:
        raw = np.loadtxt(root / "u.data", dtype=np.int64, delimiter="\t", ndmin=2)
    except ValueError as exc:
        raise InvalidInput(f"malformed u.data: {exc}") from None
    if raw.shape[1] != 4:
        raise InvalidInput(f"u.data must have 4 columns, found {raw.shape[1]}")
    genres = [ln.split("|")[0] for ln in _read_lines(root / "u.genre")]
    item_rows = [ln.split("|") for ln in _read_lines(root / "u.item")]
    item_rows.sort(key=lambda r: int(r[0]))
    item_map = IdMap(tuple(r[0] for r in item_rows))
    titles = tuple(r[1] for r in item_rows)
    cats = np.array([[float(x) for x in r[5 : 5 + len(genres)]] for r in item_rows], dtype=np.float32)
    if cats.shape != (len(item_rows), len(genres)):
        raise InvalidInput("u.item genre flags do not match u.genre")
    user_rows = [ln.split("|") for ln in _read_lines(root / "u.user")]
    user_rows.sort(key=lambda r: int(r[0]))
    user_map = IdMap(tuple(r[0] for r in user_rows))
    occupations = sorted({r[3] for r in user_rows})
    user_features = {
        "age": np.array([age_bucket(int(r[1])) for r in user_rows], dtype=np.int64),
        "gender": np.array([0 if r[2] == "M" else 1 for r in user_rows], dtype=np.int64),
        "occupation": np.array([occupations.index(r[3]) for r in user_rows], dtype=np.int64),
    }
    sizes = {"age": len(AGE_BUCKETS) + 1, "gender": 2, "occupation": len(occupations)}
    return InteractionDataset(
        user_map=user_map,
        item_map=item_map,
        users=user_map.indices(raw[:, 0].tolist()),
        items=item_map.indices(raw[:, 1].tolist()),
        ratings=raw[:, 2].astype(np.float32),
        timestamps=raw[:, 3],
        item_titles=titles,
        item_categories=cats,
        category_names=tuple(genres),
        user_features=user_features,
        user_feature_sizes=sizes,
        name="movielens-100k",
    )


__all__ = [
    "AGE_BUCKETS",
    "IdMap",
    "InteractionDataset",
    "age_bucket",
    "interaction_matrix",
    "load_movielens_100k",
]
