"""Surface cues of a post's theme that sentence embeddings blur: links, retweets, pronouns, prices, jokes."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

_CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("link", r"\{link\}|https?://|www\.|\.com\b"),
        ("retweet", r"^\s*rt\b|\brt @"),
        ("first_person", r"\b(i|i'm|im|i've|my|me|mine)\b"),
        ("we", r"\b(we|we're|our|us)\b"),
        ("you", r"\b(you|your|you're|u|ur)\b"),
        ("exclaim", r"!"),
        ("question", r"\?"),
        (
            "offer",
            r"[$€£]\s?\d|\d+\s?%|\b(free|save|sale|off|deal|discount|win|giveaway|offer|price|only|order|buy|call|visit|available|introducing|new)\b",
        ),
        ("humour", r"\b(lol|haha\w*|lmao|rofl|jk|kidding)\b|[:;]-?[)pd]\b|#(fail|winning|notwinning)"),
        (
            "praise",
            r"\b(love\w*|awesome|great|best|cool|amazing|brilliant|genius|sweet|wow|excited|can't wait)\b",
        ),
        (
            "news",
            r"\b(announce\w*|launch\w*|report\w*|says|said|according|rumou?r|confirmed|to open|opening|will)\b",
        ),
        ("quote", r"&quot;|\"|“"),
        (
            "mission",
            r"\b(believe|values|together|community|world|future|proud|help|support|donat\w*|children|families)\b",
        ),
    )
)
STYLE_NAMES = (*tuple(name for name, _ in _CUES), "mentions", "hashtags", "length")


def style_features(texts: Sequence[str]) -> np.ndarray:
    """One row of cue indicators (plus mention/hashtag counts and length) per text, values in [0, 1]."""
    rows = []
    for text in texts:
        text = text or ""
        row = [1.0 if pattern.search(text) else 0.0 for _, pattern in _CUES]
        row.append(min(text.count("@"), 3) / 3.0)
        row.append(min(text.count("#"), 5) / 5.0)
        row.append(min(math.log1p(len(text)) / 8.0, 1.0))
        rows.append(row)
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), len(STYLE_NAMES))


__all__ = ["STYLE_NAMES", "style_features"]
