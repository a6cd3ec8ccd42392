"""Train/validation/test splits that reproduce two published evaluation protocols.

* :func:`msr_stratified_split`: Microsoft Recommenders ``python_stratified_split`` (pandas), used by
  its MovieLens-100k benchmark table with ``ratio=0.75, min_rating=1, filter_by="item", seed=42``.
  Its algorithm: ``np.random.seed(seed)``; one ``np.random.rand`` draw per row in input order; sort by
  (group column, random); rank within the group; a row goes to train when
  ``rank <= round(ratio * count)`` (the ``"round"`` rule of the current code; older releases used
  ``rank / count <= ratio``, selectable with ``rule="fraction"``). ``min_rating=1`` filters nothing.
* :func:`recbole_ratio_split`: RecBole ``order: RO`` + ``split: {RS: [0.8, 0.1, 0.1]}`` +
  ``group_by: user``: one global random permutation (``torch.randperm`` after
  ``torch.manual_seed(2020)``), rows grouped per user in permuted order, and per user
  ``cnt = [int(r * n) for r in ratios]; cnt[0] = n - sum(cnt[1:])`` with RecBole's "no empty part"
  correction (a part whose share is in ``(0, 1)`` gets one row taken from train while train has > 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from adlens.errors import InvalidInput
from adlens.recommend.data import InteractionDataset

PROTOCOLS = ("msr", "recbole")


@dataclass(frozen=True)
class Split:
    """Row indices (into the dataset's interactions) of each part; ``valid`` may be empty."""

    protocol: str
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "valid": len(self.valid), "test": len(self.test)}


def _group_ranks(keys: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows visited in ``order`` (grouped by ``keys``), 1-based rank within the group and group size."""
    sorted_keys = keys[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_keys)) + 1]
    counts = np.diff(np.r_[starts, len(order)])
    group_start = np.repeat(starts, counts)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - group_start + 1
    count = np.empty(len(order), dtype=np.int64)
    count[order] = np.repeat(counts, counts)
    return rank, count


def msr_stratified_split(
    dataset: InteractionDataset,
    ratio: float = 0.75,
    *,
    filter_by: str = "item",
    seed: int = 42,
    rule: str = "round",
) -> Split:
    """Microsoft Recommenders ``python_stratified_split`` (two parts: train, test; ``valid`` empty).

    ``filter_by="item"`` stratifies per item (what the published benchmark notebook passes);
    ``"user"`` stratifies per user (the function's default).
    """
    if filter_by not in ("user", "item"):
        raise InvalidInput("filter_by must be 'user' or 'item'")
    if rule not in ("round", "fraction"):
        raise InvalidInput("rule must be 'round' or 'fraction'")
    if not 0.0 < ratio < 1.0:
        raise InvalidInput(f"ratio must be in (0, 1), got {ratio}")
    keys = dataset.users if filter_by == "user" else dataset.items
    rnd = np.random.RandomState(seed).rand(len(keys))  # == np.random.seed(seed); np.random.rand(n)
    order = np.lexsort((rnd, keys))
    rank, count = _group_ranks(keys, order)
    is_train = rank <= np.round(ratio * count) if rule == "round" else rank / count <= ratio
    return Split("msr", np.flatnonzero(is_train), np.empty(0, dtype=np.int64), np.flatnonzero(~is_train))


def recbole_split_counts(total: int, ratios: Sequence[float]) -> list[int]:
    """RecBole ``Dataset._calcu_split_ids`` as part sizes (not cumulative ids)."""
    tot_ratio = sum(ratios)
    ratios = [r / tot_ratio for r in ratios]
    cnt = [int(ratios[i] * total) for i in range(len(ratios))]
    cnt[0] = total - sum(cnt[1:])
    for i in range(1, len(ratios)):
        if cnt[0] <= 1:
            break
        if 0 < ratios[-i] * total < 1:
            cnt[-i] += 1
            cnt[0] -= 1
    return cnt


def recbole_permutation(n: int, seed: int = 2020) -> np.ndarray:
    """``torch.randperm(n)`` right after ``torch.manual_seed(seed)`` (RecBole's ``shuffle()`` for ``RO``)."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    return torch.randperm(n, generator=gen).numpy().astype(np.int64)


def recbole_ratio_split(
    dataset: InteractionDataset, ratios: Sequence[float] = (0.8, 0.1, 0.1), *, seed: int = 2020
) -> Split:
    """RecBole ``RO`` ordering + per-user ``RS`` ratio split (train, valid, test)."""
    if len(ratios) != 3 or min(ratios) < 0 or sum(ratios) <= 0:
        raise InvalidInput("ratios must be three non-negative numbers")
    perm = recbole_permutation(dataset.n_interactions, seed)
    # stable sort of the permuted rows by user keeps the permuted order inside each user's group
    order = perm[np.argsort(dataset.users[perm], kind="stable")]
    rank, count = _group_ranks(dataset.users, order)
    part = np.zeros(dataset.n_interactions, dtype=np.int8)
    bounds = {n: np.cumsum(recbole_split_counts(n, ratios)) for n in np.unique(count)}
    first_end = np.array([bounds[c][0] for c in count])
    second_end = np.array([bounds[c][1] for c in count])
    part[rank > first_end] = 1
    part[rank > second_end] = 2
    return Split("recbole", np.flatnonzero(part == 0), np.flatnonzero(part == 1), np.flatnonzero(part == 2))


def carve_validation(
    dataset: InteractionDataset, split: Split, ratio: float = 0.1, *, seed: int = 7
) -> Split:
    """Move a per-user random ``ratio`` of the train rows into ``valid`` (users with >= 3 train rows).

    Used to tune on a split that never touches ``test`` (for the two-part MSR protocol).
    """
    if not 0.0 < ratio < 0.5:
        raise InvalidInput(f"validation ratio must be in (0, 0.5), got {ratio}")
    rows = split.train
    rnd = np.random.default_rng(seed).random(len(rows))
    users = dataset.users[rows]
    order = np.lexsort((rnd, users))
    rank, count = _group_ranks(users, order)
    n_valid = np.where(count >= 3, np.maximum(1, np.floor(ratio * count)), 0)
    to_valid = rank <= n_valid
    return replace(split, train=np.sort(rows[~to_valid]), valid=np.sort(rows[to_valid]))


def make_split(dataset: InteractionDataset, protocol: str) -> Split:
    """The published split for ``protocol`` (``msr`` or ``recbole``) with its published parameters."""
    if protocol == "msr":
        return msr_stratified_split(dataset, 0.75, filter_by="item", seed=42)
    if protocol == "recbole":
        return recbole_ratio_split(dataset, (0.8, 0.1, 0.1), seed=2020)
    raise InvalidInput(f"unknown protocol {protocol!r}; expected one of {', '.join(PROTOCOLS)}")


__all__ = [
    "PROTOCOLS",
    "Split",
    "carve_validation",
    "make_split",
    "msr_stratified_split",
    "recbole_permutation",
    "recbole_ratio_split",
    "recbole_split_counts",
]
