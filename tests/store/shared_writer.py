"""Subprocess for the shared-store test: a second process writing to the same store file.

Usage: python shared_writer.py STORE_PATH SEED ROUNDS. Each round upserts a batch of new ids, replaces
some existing ids (written by either process) and deletes one; ids come from a pool shared with the
test process, so both processes replace each other's rows. Prints ``DONE`` at the end.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from adlens.store import EmbeddedStore, Record

DIM = 8
POOL = 400  # ids r0..r399, shared by both writers


def batch(rng: np.random.Generator, tag: str, n: int) -> list[Record]:
    ids = rng.choice(POOL, size=n, replace=False)
    vecs = rng.normal(size=(n, DIM)).astype(np.float32)
    return [
        Record(f"r{i}", {"text": vecs[j]}, {"band": int(i) % 5, "by": tag}, f"shared word{i} {tag}")
        for j, i in enumerate(ids.tolist())
    ]


def main() -> None:
    path, seed, rounds = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(seed)
    store = EmbeddedStore(path, exact_scan_threshold=0)  # every filtered search goes through HNSW
    store.create_collection("ads", {"text": DIM})
    for r in range(rounds):
        store.upsert("ads", batch(rng, f"p{seed}", 12))
        store.delete("ads", [f"r{int(rng.integers(POOL))}"])
        if r % 7 == 0:
            store.search("ads", rng.normal(size=DIM), field="text", k=5, where={"band": 1})
        if r == rounds // 2:
            store.checkpoint()
    store.close()
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
