"""Synthetic records shared by the store tests."""

from __future__ import annotations

import numpy as np

from adlens.store import Record


def unit(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    x = rng.normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def make_records(rng: np.random.Generator, n: int, dims: dict[str, int], start: int = 0) -> list[Record]:
    vecs = {f: unit(rng, n, d) for f, d in dims.items()}
    words = ["red", "shoes", "blue", "hat", "summer", "sale", "running", "coffee"]
    out = []
    for i in range(n):
        j = start + i
        out.append(
            Record(
                f"r{j}",
                {f: vecs[f][i] for f in dims},
                {
                    "brand": f"b{j % 10}",
                    "views": j,
                    "ratio": (j % 100) / 100,
                    "promo": j % 2 == 0,
                    "tags": [words[j % 8], words[(j * 3) % 8]],
                    **({"logo": "yes"} if j % 7 == 0 else {}),
                },
                f"{words[j % 8]} {words[(j + 1) % 8]} ad number {j}",
            )
        )
    return out
