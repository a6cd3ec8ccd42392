"""Demo ad library for the adclass page: three fictional brands, ads written by us (CC0 by construction).

Each brand gets ads of every theme (promotions, brand campaigns, fan posts, personal posts, memes,
news) plus unrelated posts that share a word with the brand ("fizz", "trail", "glow"). The library is
written as a CSV, imported through the normal importer, and classified with ``fast``. Idempotent: a
second seed re-imports unchanged rows and classifies nothing new.
"""

from __future__ import annotations

import csv
import io
import random
from typing import Any

SEED = 20261123

BRANDS: dict[str, dict[str, Any]] = {
    "Fizzco": {
        "page": "Fizzco",
        "profile": {
            "aliases": ["Fizz Co", "Fizzco Drinks"],
            "handles": ["fizzco"],
            "products": ["Fizzco Zero", "Citrus Spark", "Fizzco Cherry"],
            "description": "Fizzco, a soft drink brand: colas and sparkling sodas such as Fizzco Zero.",
        },
        "product": ["Fizzco Zero", "Citrus Spark", "Fizzco Cherry"],
        "thing": "soda",
        "unrelated": [
            "My aspirin tablets fizz in water, is that normal?",
            "The party lost its fizz after midnight.",
            "Bath bombs that fizz: a DIY guide for kids.",
            "Champagne tasting notes: fine fizz, green apple and brioche.",
        ],
    },
    "Trailhawk": {
        "page": "Trailhawk Bikes",
        "profile": {
            "aliases": ["Trail Hawk", "Trailhawk Bikes"],
            "handles": ["trailhawkbikes"],
            "products": ["Ridgeline 29", "Trailhawk E-Glide", "Summit Pro"],
            "description": "Trailhawk, a maker of mountain bikes and e-bikes such as the Ridgeline 29.",
        },
        "product": ["Ridgeline 29", "Trailhawk E-Glide", "Summit Pro"],
        "thing": "bike",
        "unrelated": [
            "The hawk circled over the hiking trail all morning.",
            "Trail running shoes on sale at the outlet mall.",
            "County reopens the lakeside trail after storm repairs.",
            "Birdwatching club spots a red-tailed hawk near the ridge.",
        ],
    },
    "Lumora": {
        "page": "Lumora Skincare",
        "profile": {
            "aliases": ["Lumora Skin", "Lumora Skincare"],
            "handles": ["lumoraskin"],
            "products": ["Glow Serum", "Lumora Night Cream", "Daily Shield SPF 50"],
            "description": "Lumora, a skincare brand selling serums, night creams and sunscreen.",
        },
        "product": ["Glow Serum", "Lumora Night Cream", "Daily Shield SPF 50"],
        "thing": "serum",
        "unrelated": [
            "Glow sticks for the night run, 50 pack.",
            "Aurora forecast: lights may glow over the north tonight.",
            "Moisturise your leather boots before winter.",
            "Candle making workshop: soft glow, natural wax.",
        ],
    },
}

TEMPLATES: dict[str, list[str]] = {
    "Product Promotion": [
        "New {product} from {brand}: {pct}% off this week only. Shop now, free delivery.",
        "Buy two {product} and get one free. {brand} deals end Sunday - order today.",
        "{product} is back in stock! Grab yours at the {brand} store, limited offer.",
    ],
    "Brand Awareness": [
        "{brand}. Made for the moments that matter. Since 1998.",
        "At {brand} we believe in doing good: every purchase plants a tree.",
        "This is {brand}: a story of people, places and the joy we share.",
    ],
    "Fan Content": [
        "Nothing beats my {product} after a long day, {brand} forever! #{handle}",
        "My collection of {brand} merch keeps growing, who else loves {brand} this much?",
        "Fan art of the {brand} logo I drew this weekend, hope you like it!",
    ],
    "Personal Post": [
        "Had a {thing} from {brand} at lunch with grandma today, lovely afternoon.",
        "Long day at work, just me, my cat and a {brand} {thing}. Goodnight everyone.",
        "Packing for the trip tomorrow, bringing my {product} of course.",
    ],
    "Meme": [
        "me: I'll be healthy this year. also me at 2am: {brand} {thing} #relatable lol",
        "Nobody: Absolutely nobody: Me explaining why {brand} is better than water 😂",
        "When the {product} hits different on a Monday. POV: you are the meme.",
    ],
    "News": [
        "{brand} reports quarterly revenue up {pct}% as {product} sales grow, company says.",
        "{brand} recalls a batch of {product} after a labelling error, regulator confirms.",
        "{brand} to open a new factory next year, creating 300 jobs, officials announced.",
    ],
}


def library(seed: int = SEED) -> dict[str, list[dict[str, str]]]:
    """The generated ads per brand keyword (rows in Meta Ad Library column names)."""
    rng = random.Random(seed)
    out: dict[str, list[dict[str, str]]] = {}
    for brand, spec in BRANDS.items():
        rows: list[dict[str, str]] = []
        n = 0
        for theme, templates in TEMPLATES.items():
            for template in templates:
                n += 1
                text = template.format(
                    brand=brand,
                    product=rng.choice(spec["product"]),
                    pct=rng.choice([10, 15, 20, 25, 30]),
                    thing=spec["thing"],
                    handle=spec["profile"]["handles"][0],
                )
                official = theme in ("Product Promotion", "Brand Awareness")
                rows.append(
                    {
                        "ad_archive_id": f"demo-{brand.lower()}-{n:03d}",
                        "page_name": spec["page"]
                        if official
                        else rng.choice(["Daily Feed", "Sam K.", "Local News 7"]),
                        "ad_creative_bodies": text,
                        "ad_creative_link_titles": spec["page"] if official else "",
                        "ad_delivery_start_time": f"2026-0{rng.randint(1, 9)}-{rng.randint(10, 28)}",
                        "publisher_platforms": "facebook, instagram",
                        "demo_theme": theme,
                    }
                )
        for text in spec["unrelated"]:
            n += 1
            rows.append(
                {
                    "ad_archive_id": f"demo-{brand.lower()}-{n:03d}",
                    "page_name": rng.choice(["Daily Feed", "Outdoor Weekly", "Home & Garden"]),
                    "ad_creative_bodies": text,
                    "ad_creative_link_titles": "",
                    "ad_delivery_start_time": "2026-05-01",
                    "publisher_platforms": "facebook",
                    "demo_theme": "Unrelated",
                }
            )
        out[brand] = rows
    return out


def to_csv(rows: list[dict[str, str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def seed(runtime: Any) -> dict[str, Any]:
    """Import the demo library and classify it with ``fast``; safe to run again."""
    from adlens.adclass.importer import import_ads
    from adlens.adclass.service import classify_keyword, repository

    repo = repository(runtime)
    summary: dict[str, Any] = {}
    for brand, rows in library().items():
        imported = import_ads(
            repo, brand, to_csv(rows), f"demo-{brand.lower()}.csv", profile=BRANDS[brand]["profile"]
        )
        run = classify_keyword(runtime, brand, "fast", include_results=False)
        summary[brand] = {
            "ads": imported["rows"],
            "imported": imported["imported"],
            "classified": run["classified"],
        }
    return {"keywords": list(summary), "brands": summary}


__all__ = ["BRANDS", "library", "seed", "to_csv"]
