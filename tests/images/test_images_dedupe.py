"""The vectorised ``dedupe`` keeps exactly what the pairwise rule keeps, with the same reasons."""

from __future__ import annotations

import numpy as np

from adlens.images.dedupe import DupItem, dedupe, duplicate_reason


def _pairwise(items: list[DupItem]) -> tuple[list[int], dict[int, list[tuple[int, str]]]]:
    kept: list[int] = []
    dropped: dict[int, list[tuple[int, str]]] = {}
    for i, item in enumerate(items):
        for j in kept:
            reason = duplicate_reason(items[j], item)
            if reason:
                dropped.setdefault(j, []).append((i, reason))
                break
        else:
            kept.append(i)
    return kept, dropped


def _random_items(rng: np.random.Generator, n: int) -> list[DupItem]:
    bases = rng.normal(size=(12, 32))
    hashes = [int(x) for x in rng.integers(0, 2**63, size=12)]
    items = []
    for _ in range(n):
        b = int(rng.integers(12))
        vec = bases[b] + rng.normal(scale=float(rng.choice([0.05, 0.6, 2.0])), size=32)
        flips = int(rng.integers(0, 24))
        h = hashes[b]
        for bit in rng.choice(64, size=flips, replace=False):
            h ^= 1 << int(bit)
        items.append(
            DupItem(
                url=f"https://site{b % 3}.example/img/p{b}{rng.choice(['', '-300x200', '@2x', '-v2'])}.jpg",
                content_hash=f"h{b}" if rng.random() < 0.2 else None,
                phash=f"{h:016x}" if rng.random() < 0.9 else None,
                alt=str(rng.choice(["", "red shoe", f"item {b}"])),
                visual=(vec / np.linalg.norm(vec)) if rng.random() < 0.8 else None,
            )
        )
    return items


def test_vectorised_dedupe_equals_the_pairwise_rule() -> None:
    rng = np.random.default_rng(7)
    for n in (0, 1, 2, 30, 300):
        items = _random_items(rng, n)
        assert dedupe(items) == _pairwise(items)
