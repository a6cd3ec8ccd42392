"""Demo creators generated here: synthetic profiles, template bios and drawn avatars (CC0, see data/README.md).

``seed(runtime)`` writes ``N_DEMO`` creators (two photos each: the same drawn person in two framings)
into a CSV in a temporary folder and imports it through the normal import path; it is idempotent
(skipped when the demo creators are already stored).
"""

from __future__ import annotations

import csv
import math
import random
import tempfile
from pathlib import Path
from typing import Any

from adlens.creators.avatars import draw_avatar, random_look
from adlens.creators.ingest import import_table
from adlens.creators.schema import PROFILES, ensure_collections
from adlens.creators.sources import read_path

__all__ = ["N_DEMO", "demo_rows", "seed"]

N_DEMO = 120
FIRST = [
    "Ana",
    "Leo",
    "Maya",
    "Noah",
    "Sofia",
    "Ravi",
    "Chloe",
    "Mateo",
    "Aisha",
    "Lucas",
    "Emma",
    "Kenji",
    "Zoe",
    "Diego",
    "Priya",
    "Omar",
    "Lina",
    "Jonas",
    "Ines",
    "Tariq",
    "Julia",
    "Marco",
    "Amara",
    "Felix",
]
LAST = [
    "Silva",
    "Reyes",
    "Kim",
    "Patel",
    "Moreau",
    "Rossi",
    "Okafor",
    "Schmidt",
    "Tanaka",
    "Lopez",
    "Nguyen",
    "Costa",
    "Haddad",
    "Larsen",
    "Garcia",
    "Walker",
]
PLACES = [
    ("United States", "Los Angeles", "en"),
    ("United States", "New York", "en"),
    ("United States", "Austin", "en"),
    ("United Kingdom", "London", "en"),
    ("Canada", "Toronto", "en"),
    ("Australia", "Sydney", "en"),
    ("Spain", "Madrid", "es"),
    ("Mexico", "Mexico City", "es"),
    ("Argentina", "Buenos Aires", "es"),
    ("Brazil", "São Paulo", "pt"),
    ("France", "Paris", "fr"),
    ("Germany", "Berlin", "de"),
    ("India", "Mumbai", "en"),
    ("Italy", "Milan", "it"),
]
BIOS = {
    "fitness": [
        "Personal trainer sharing daily workouts, strength training and healthy meal prep.",
        "Gym routines, HIIT and marathon training. Helping you get stronger every week.",
    ],
    "beauty": [
        "Makeup artist: everyday looks, skincare routines and honest product reviews.",
        "Skincare nerd and lipstick addict. Tutorials for every skin tone.",
    ],
    "fashion": [
        "Streetwear and sustainable fashion. Outfit ideas and thrift hauls.",
        "Style diaries, capsule wardrobes and runway recaps.",
    ],
    "food": [
        "Home cook sharing quick recipes, baking and street food finds.",
        "Plant-based recipes and coffee shop reviews.",
    ],
    "travel": [
        "Backpacking the world on a budget: city guides, hikes and hidden beaches.",
        "Slow travel, road trips and airport hacks.",
    ],
    "gaming": [
        "Variety streamer: speedruns, indie games and esports commentary.",
        "Retro games, console reviews and co-op nights.",
    ],
    "tech": [
        "Gadget reviews, smartphone comparisons and coding tips.",
        "Building apps, explaining AI and testing laptops.",
    ],
    "music": [
        "Singer-songwriter: acoustic covers, guitar lessons and new releases.",
        "DJ and producer sharing beats and studio sessions.",
    ],
    "pets": [
        "Life with two rescue dogs: training tips and adventures.",
        "Cat dad. Daily cat videos and pet care advice.",
    ],
    "photography": [
        "Street and portrait photographer: camera gear, editing and light.",
        "Landscape photography and drone shots.",
    ],
    "parenting": [
        "Mom of three sharing family routines, crafts and honest parenting.",
        "Dad life, kids' activities and family travel.",
    ],
    "comedy": ["Sketch comedy and everyday pranks.", "Stand-up clips and funny life stories."],
}
BIOS_ES = {
    "fitness": "Entrenadora personal: rutinas de gimnasio y recetas saludables.",
    "beauty": "Maquilladora: tutoriales de maquillaje y cuidado de la piel.",
    "food": "Recetas caseras fáciles y reseñas de restaurantes.",
    "travel": "Viajes low cost, guías de ciudades y playas escondidas.",
}
BIOS_PT = {
    "fitness": "Treinos diários, musculação e alimentação saudável.",
    "beauty": "Maquiagem do dia a dia e cuidados com a pele.",
    "music": "Cantora e compositora, covers acústicos e novidades.",
}
PLATFORMS = ["instagram", "instagram", "tiktok", "youtube"]


def demo_rows(n: int = N_DEMO, seed: int = 7) -> list[dict[str, Any]]:
    """Deterministic synthetic creators (without photos); ``look`` is the avatar description."""
    rng = random.Random(seed)
    rows = []
    cats = list(BIOS)
    for i in range(n):
        cat = cats[i % len(cats)]
        country, city, lang = rng.choice(PLACES)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        bio = rng.choice(BIOS[cat])
        if lang == "es" and cat in BIOS_ES:
            bio = BIOS_ES[cat]
        elif lang == "pt" and cat in BIOS_PT:
            bio = BIOS_PT[cat]
        followers = int(math.exp(rng.uniform(math.log(2_000), math.log(5_000_000))))
        rate = 0.08 * (followers / 10_000) ** -0.18 * math.exp(rng.gauss(0, 0.35))
        if i % 23 == 5:
            rate *= 6  # engagement pods: the quality indicator should flag them
        if i % 29 == 7:
            rate *= 0.12  # bought followers
        rate = min(rate, 0.9)
        rows.append(
            {
                "handle": f"{first.lower()}.{last.lower()}.{cat}{i}",
                "name": f"{first} {last}",
                "platform": PLATFORMS[i % len(PLATFORMS)],
                "category": cat,
                "bio": bio,
                "country": country,
                "location": f"{city}, {country}",
                "followers": f"{followers / 1000:.1f}k"
                if followers < 1_000_000
                else f"{followers / 1e6:.2f}m",
                "engagement_rate": f"{rate * 100:.2f}%",
                "avg_likes": str(int(followers * rate * 0.95)),
                "posts": str(rng.randrange(40, 3000)),
                "look": random_look(rng, cat),
            }
        )
    return rows


def _write(folder: Path, rows: list[dict[str, Any]]) -> Path:
    path = folder / "demo_creators.csv"
    fields = [k for k in rows[0] if k != "look"] + ["photo_1", "photo_2"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for i, r in enumerate(rows):
            for v in (0, 1):
                (folder / f"{r['handle']}-{v}.png").write_bytes(draw_avatar(r["look"], variant=v, seed=i))
            out = {k: v for k, v in r.items() if k != "look"}
            out["photo_1"], out["photo_2"] = f"{r['handle']}-0.png", f"{r['handle']}-1.png"
            w.writerow(out)
    return path


def seed(runtime: Any, n: int = N_DEMO) -> dict[str, Any]:
    """Import the demo creators once; returns the import summary (or ``{"skipped": ...}``)."""
    rows = demo_rows(n)
    ensure_collections(runtime.store)
    last = rows[-1]
    if runtime.store.get(PROFILES, [f"{last['platform']}:{last['handle']}"]):
        return {"skipped": "demo creators already stored", "creators": n}
    with tempfile.TemporaryDirectory(prefix="adlens-demo-creators-") as d:
        path = _write(Path(d), rows)
        result = import_table(runtime, read_path(path), allow_local_images=True, base_dir=Path(d))
    return {k: result[k] for k in ("imported", "updated", "rejected", "photos")}
