"""Lexical features for the theme head: TF-IDF over words (1-2 grams) and character 3-5 grams.

Sentence embeddings blur the cues that separate themes in short posts ("win", "via", "lol", "#fail",
"$", "RT"); a small TF-IDF view next to the embedding recovers them. The vocabulary and IDF are fitted
on the head's training texts and saved with the head, so inference needs nothing else.
"""

from __future__ import annotations

import base64
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

_WORD = re.compile(r"(?u)\b\w\w+\b|[$%!?#@]")
SCALE = 0.7  # weight of each lexical block next to the (unit-norm) embedding


def _words(text: str) -> list[str]:
    toks = _WORD.findall(text.lower())
    return toks + [f"{a} {b}" for a, b in pairwise(toks)]


def _chars(text: str) -> list[str]:
    grams: list[str] = []
    for word in text.lower().split():
        padded = f" {word} "
        for n in (3, 4, 5):
            if len(padded) < n:
                break
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


def _terms(text: str) -> tuple[list[str], list[str]]:
    return [f"w:{t}" for t in _words(text)], [f"c:{t}" for t in _chars(text)]


def encode_floats(values: np.ndarray) -> str:
    return base64.b64encode(np.asarray(values, dtype="<f4").tobytes()).decode("ascii")


def decode_floats(text: str, shape: tuple[int, ...]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4").reshape(shape).astype(np.float32)


class Lexical:
    """A fitted TF-IDF vocabulary (sublinear term frequency, smooth IDF, L2 per block)."""

    def __init__(self, vocab: Sequence[str], idf: np.ndarray) -> None:
        self.vocab = list(vocab)
        self.index = {t: i for i, t in enumerate(self.vocab)}
        self.idf = np.asarray(idf, dtype=np.float32)

    @property
    def size(self) -> int:
        return len(self.vocab)

    @classmethod
    def fit(cls, texts: Iterable[str], min_df: int = 2) -> Lexical:
        docs = [str(t) for t in texts]
        df: Counter[str] = Counter()
        for text in docs:
            words, chars = _terms(text)
            df.update(set(words) | set(chars))
        vocab = sorted(t for t, n in df.items() if n >= min_df)
        n = len(docs)
        idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in vocab], dtype=np.float32)
        return cls(vocab, idf)

    def transform(self, texts: Sequence[str]) -> csr_matrix:
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        for r, text in enumerate(texts):
            for block in _terms(str(text or "")):
                counts = Counter(self.index[t] for t in block if t in self.index)
                if not counts:
                    continue
                idx = np.fromiter(counts.keys(), dtype=np.int64)
                w = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * self.idf[idx]
                w = w / max(float(np.linalg.norm(w)), 1e-12) * SCALE
                rows.extend([r] * len(idx))
                cols.extend(idx.tolist())
                vals.extend(w.tolist())
        return csr_matrix((vals, (rows, cols)), shape=(len(texts), self.size), dtype=np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"vocab": self.vocab, "idf": encode_floats(self.idf)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lexical:
        vocab = list(data["vocab"])
        return cls(vocab, decode_floats(data["idf"], (len(vocab),)))


__all__ = ["SCALE", "Lexical", "decode_floats", "encode_floats"]
