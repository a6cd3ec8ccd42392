"""Subprocess for the crash test: upserts batches forever, printing each acknowledged batch.

Usage: python crash_writer.py STORE_PATH. Prints ``ACK first last`` after ``upsert`` returns and
``DEL id`` after a delete returns; checkpoints the index once early so reopening exercises the
"persisted index + catch-up" path. Killed with SIGKILL by the test.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from adlens.store import EmbeddedStore, Record

DIM = 16
BATCH = 50


def main() -> None:
    store = EmbeddedStore(Path(sys.argv[1]), exact_scan_threshold=0)
    store.create_collection("ads", {"text": DIM})
    rng = np.random.default_rng(0)
    i = 0
    while True:
        vecs = rng.normal(size=(BATCH, DIM)).astype(np.float32)
        recs = [
            Record(f"r{i + j}", {"text": vecs[j]}, {"n": i + j}, f"crash word{i + j}") for j in range(BATCH)
        ]
        store.upsert("ads", recs)
        print(f"ACK {i} {i + BATCH - 1}", flush=True)
        if i == 4 * BATCH:
            store.search("ads", vecs[0], field="text", k=1)  # builds the HNSW index
            store.checkpoint()
            print("CHECKPOINT", flush=True)
        if i and i % (3 * BATCH) == 0:
            store.delete("ads", [f"r{i - 1}"])
            print(f"DEL r{i - 1}", flush=True)
        i += BATCH


if __name__ == "__main__":
    main()
