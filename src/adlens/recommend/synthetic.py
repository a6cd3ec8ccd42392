"""A generated catalogue with generated users: the demo and test data of the recommend app.

Everything here is produced by adlens from word lists and a seeded random generator (CC0 by
construction); no third-party data is involved. Items get a title and a description built from
genre-specific templates (so their text embeddings carry the genre), one or two genres and a year.
Users get a latent taste (a peaked Dirichlet over genres, a liking for recent or older titles) and
interact with items with probability ``softmax(beta * taste . item_genres + popularity + era)``; a few
users are left without history to exercise the cold-start path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from adlens.errors import InvalidInput
from adlens.recommend.catalogue import Catalogue, ItemInfo, build_catalogue

GENRES: tuple[str, ...] = (
    "Action",
    "Comedy",
    "Drama",
    "Sci-Fi",
    "Romance",
    "Thriller",
    "Documentary",
    "Animation",
    "Horror",
    "Fantasy",
)

_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # genre: (title adjectives, title nouns, description plots)
    "Action": (
        ("Iron", "Final", "Burning", "Rogue", "Silent"),
        ("Strike", "Pursuit", "Vendetta", "Extraction", "Showdown"),
        ("a former soldier fights through a city of mercenaries", "a getaway driver races a ticking bomb"),
    ),
    "Comedy": (
        ("Awkward", "Accidental", "Lucky", "Clumsy", "Cheerful"),
        ("Wedding", "Roommates", "Road Trip", "Reunion", "Bakery"),
        ("two mismatched friends bungle a family party", "a hapless clerk fakes a lottery win"),
    ),
    "Drama": (
        ("Quiet", "Broken", "Distant", "Long", "Fragile"),
        ("Harbour", "Inheritance", "Winter", "Letters", "Orchard"),
        ("a family confronts an old secret after a funeral", "a teacher rebuilds her life in a mill town"),
    ),
    "Sci-Fi": (
        ("Quantum", "Orbital", "Synthetic", "Stellar", "Hidden"),
        ("Frontier", "Signal", "Colony", "Machine", "Horizon"),
        ("a starship crew decodes an alien transmission", "an android questions its programming on Mars"),
    ),
    "Romance": (
        ("Sweet", "Summer", "Secret", "Paper", "Golden"),
        ("Hearts", "Promise", "Kiss", "Serenade", "Rendezvous"),
        ("two strangers fall in love on a night train", "a florist and a violinist meet every Sunday"),
    ),
    "Thriller": (
        ("Dark", "Hidden", "Cold", "Twisted", "Deadly"),
        ("Witness", "Conspiracy", "Alibi", "Cipher", "Trap"),
        ("a journalist uncovers a deadly conspiracy", "a detective hunts a killer who leaves riddles"),
    ),
    "Documentary": (
        ("Wild", "True", "Untold", "Living", "Deep"),
        ("Oceans", "Planet", "Story", "Archive", "Frontlines"),
        ("filmmakers follow whales across three oceans", "archive footage retells the history of jazz"),
    ),
    "Animation": (
        ("Little", "Magic", "Brave", "Tiny", "Colourful"),
        ("Robot", "Dragon", "Kingdom", "Friends", "Balloon"),
        ("a small robot searches for its family", "talking animals save their forest from a flood"),
    ),
    "Horror": (
        ("Haunted", "Cursed", "Bloody", "Hollow", "Night"),
        ("House", "Ritual", "Asylum", "Woods", "Whispers"),
        ("teenagers awaken a demon in an abandoned asylum", "a family hears whispers in their new house"),
    ),
    "Fantasy": (
        ("Enchanted", "Ancient", "Shadow", "Crystal", "Forgotten"),
        ("Sword", "Realm", "Sorcerer", "Prophecy", "Crown"),
        ("a young mage seeks a stolen crown", "an exiled prince allies with dragons to reclaim his realm"),
    ),
}
_SETTINGS = ("in Lisbon", "on a remote island", "in a near future", "in the 1970s", "across Europe", "at sea")


@dataclass(frozen=True)
class SyntheticSpec:
    """Sizes and strength of the taste signal (defaults: the demo, ~25k interactions)."""

    n_items: int = 300
    n_users: int = 400
    min_history: int = 15
    max_history: int = 90
    cold_users: int = 5
    taste_strength: float = 4.0
    seed: int = 20261123

    def __post_init__(self) -> None:
        if self.n_items < 10 or self.n_users < 2 or self.min_history < 1:
            raise InvalidInput("a synthetic catalogue needs >= 10 items, >= 2 users and min_history >= 1")
        if self.max_history < self.min_history or self.max_history > self.n_items // 2:
            raise InvalidInput("max_history must be in [min_history, n_items / 2]")
        if not 0 <= self.cold_users < self.n_users:
            raise InvalidInput("cold_users must be in [0, n_users)")


def _article(genre: str) -> str:
    word = genre.lower()
    return f"{'An' if word[0] in 'aeiou' else 'A'} {word}"


def _items(spec: SyntheticSpec, rng: np.random.Generator) -> tuple[list[ItemInfo], np.ndarray]:
    g = len(GENRES)
    multi = np.zeros((spec.n_items, g), dtype=np.float32)
    infos: list[ItemInfo] = []
    seen_titles: set[str] = set()
    for i in range(spec.n_items):
        main = int(rng.integers(g))
        genres = [main]
        if rng.random() < 0.35:
            genres.append(int((main + rng.integers(1, g)) % g))
        multi[i, genres] = 1.0
        adjs, nouns, plots = _WORDS[GENRES[main]]
        title = f"The {adjs[rng.integers(len(adjs))]} {nouns[rng.integers(len(nouns))]}"
        n = 2
        base = title
        while title in seen_titles:
            title, n = f"{base} {n}", n + 1
        seen_titles.add(title)
        plot = plots[rng.integers(len(plots))]
        extra = ""
        if len(genres) > 1:
            extra = f" {_article(GENRES[genres[1]])} twist: {_WORDS[GENRES[genres[1]]][2][0]}."
        year = int(rng.integers(1970, 2026))
        desc = f"{_article(GENRES[main])} film: {plot} {_SETTINGS[rng.integers(len(_SETTINGS))]}.{extra}"
        infos.append(ItemInfo(f"m{i + 1:04d}", title, desc, tuple(GENRES[j] for j in genres), year))
    return infos, multi


def generate(spec: SyntheticSpec | None = None) -> Catalogue:
    """Generate the catalogue, users and interactions described by ``spec`` (deterministic)."""
    spec = spec or SyntheticSpec()
    rng = np.random.default_rng(spec.seed)
    infos, multi = _items(spec, rng)
    years = np.array([it.year for it in infos], dtype=np.float64)
    era = (years - years.mean()) / years.std()
    popularity = rng.normal(0.0, 1.0, spec.n_items)  # some titles are simply more popular
    rows_u: list[int] = []
    rows_i: list[int] = []
    rows_t: list[int] = []
    rows_r: list[float] = []
    ages = rng.integers(0, 7, spec.n_users)
    t = 1_700_000_000
    for u in range(spec.n_users - spec.cold_users):
        taste = rng.dirichlet(np.full(len(GENRES), 0.25))
        era_pref = rng.normal(0.0, 0.6)
        logits = spec.taste_strength * (multi @ taste) * len(GENRES) / 2 + 0.6 * popularity + era_pref * era
        p = np.exp(logits - logits.max())
        p /= p.sum()
        n = int(rng.integers(spec.min_history, spec.max_history + 1))
        chosen = rng.choice(spec.n_items, size=n, replace=False, p=p)
        for item in chosen:
            t += int(rng.integers(60, 7200))
            rows_u.append(u)
            rows_i.append(int(item))
            rows_t.append(t)
            rows_r.append(
                float(np.clip(np.round(3.0 + 2.0 * (multi[item] @ taste) + rng.normal(0, 0.7)), 1, 5))
            )
    return build_catalogue(
        items=infos,
        user_ids=[f"user{u + 1:04d}" for u in range(spec.n_users)],
        users=np.array(rows_u, dtype=np.int64),
        items_idx=np.array(rows_i, dtype=np.int64),
        ratings=np.array(rows_r, dtype=np.float32),
        timestamps=np.array(rows_t, dtype=np.int64),
        user_features={"age": ages.astype(np.int64)},
        user_feature_sizes={"age": 7},
        name="synthetic",
    )


__all__ = ["GENRES", "SyntheticSpec", "generate"]
