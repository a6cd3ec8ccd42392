"""Controlled vocabularies: platforms, categories, countries and languages with their aliases.

Values are stored canonical (``"United States"``, ``"fitness"``, ``"es"``) so filters are exact
equality tests; unknown countries and categories are kept as written (title/lower case).
"""

from __future__ import annotations

import re

__all__ = [
    "CATEGORIES",
    "COUNTRIES",
    "LANGUAGES",
    "PLATFORMS",
    "canonical_category",
    "canonical_country",
    "canonical_language",
    "canonical_platform",
]

PLATFORMS: dict[str, tuple[str, ...]] = {
    "instagram": ("instagram", "insta", "ig"),
    "tiktok": ("tiktok", "tik tok", "tik-tok"),
    "youtube": ("youtube", "yt", "you tube"),
    "twitter": ("twitter", "x"),
    "twitch": ("twitch",),
    "facebook": ("facebook", "fb"),
    "snapchat": ("snapchat",),
    "pinterest": ("pinterest",),
    "linkedin": ("linkedin",),
}

#: category -> words that mean it (used by the import and the query parser)
CATEGORIES: dict[str, tuple[str, ...]] = {
    "fitness": (
        "fitness",
        "gym",
        "workout",
        "workouts",
        "bodybuilding",
        "crossfit",
        "yoga",
        "pilates",
        "personal trainer",
    ),
    "beauty": (
        "beauty",
        "makeup artist",
        "makeup artists",
        "makeup",
        "make-up",
        "skincare",
        "skin care",
        "cosmetics",
        "nails",
        "hair care",
    ),
    "fashion": ("fashion", "style", "outfits", "streetwear", "clothing", "modeling", "model"),
    "food": ("food", "cooking", "recipes", "chef", "foodie", "baking", "vegan food", "restaurants"),
    "travel": ("travel", "traveling", "travelling", "adventure", "wanderlust", "backpacking"),
    "gaming": ("gaming", "gamer", "gamers", "video games", "esports", "streamer", "streamers"),
    "tech": ("tech", "technology", "gadgets", "software", "coding", "programming", "ai"),
    "music": ("music", "musician", "musicians", "singer", "singers", "rapper", "dj", "band"),
    "sports": (
        "sports",
        "sport",
        "football",
        "soccer",
        "basketball",
        "athlete",
        "athletes",
        "tennis",
        "cricket",
    ),
    "lifestyle": ("lifestyle", "daily life", "vlog", "vlogger", "vlogs"),
    "parenting": ("parenting", "mom", "moms", "mum", "dad", "family", "parents", "kids"),
    "finance": ("finance", "investing", "money", "crypto", "personal finance", "stocks"),
    "comedy": ("comedy", "funny", "humor", "humour", "comedian", "comedians", "memes", "pranks"),
    "education": ("education", "learning", "science", "teacher", "teachers", "study", "history"),
    "art": ("art", "artist", "artists", "drawing", "painting", "illustration", "design"),
    "photography": ("photography", "photographer", "photographers", "photos"),
    "pets": ("pets", "pet", "dogs", "dog", "cats", "cat", "animals"),
    "health": ("health", "wellness", "nutrition", "mental health", "meditation"),
    "entertainment": (
        "entertainment",
        "actor",
        "actress",
        "actors",
        "celebrity",
        "celebrities",
        "movies",
        "tv",
    ),
    "automotive": ("automotive", "cars", "car", "motorsport", "motorcycles"),
    "home": ("home", "interior", "interiors", "diy", "decor", "home decor", "gardening"),
    "business": ("business", "entrepreneur", "entrepreneurs", "marketing", "startup", "brand", "brands"),
}

COUNTRIES: dict[str, tuple[str, ...]] = {
    "United States": (
        "us",
        "usa",
        "u.s.",
        "u.s.a.",
        "united states",
        "united states of america",
        "america",
        "american",
    ),
    "United Kingdom": (
        "uk",
        "u.k.",
        "gb",
        "great britain",
        "britain",
        "united kingdom",
        "england",
        "british",
    ),
    "Canada": ("ca", "canada", "canadian"),
    "Australia": ("au", "australia", "australian"),
    "India": ("in", "india", "indian"),
    "Brazil": ("br", "brazil", "brasil", "brazilian"),
    "Mexico": ("mx", "mexico", "méxico", "mexican"),
    "Spain": ("es", "spain", "españa", "spanish"),
    "France": ("fr", "france", "french"),
    "Germany": ("de", "germany", "deutschland", "german"),
    "Italy": ("it", "italy", "italia", "italian"),
    "Indonesia": ("id", "indonesia", "indonesian"),
    "Japan": ("jp", "japan", "japanese"),
    "South Korea": ("kr", "korea", "south korea", "korean"),
    "China": ("cn", "china", "chinese"),
    "Argentina": ("ar", "argentina", "argentinian"),
    "Colombia": ("co", "colombia", "colombian"),
    "Chile": ("cl", "chile", "chilean"),
    "Netherlands": ("nl", "netherlands", "holland", "dutch"),
    "Portugal": ("pt", "portugal", "portuguese"),
    "Turkey": ("tr", "turkey", "türkiye", "turkish"),
    "Russia": ("ru", "russia", "russian"),
    "Nigeria": ("ng", "nigeria", "nigerian"),
    "South Africa": ("za", "south africa", "south african"),
    "Philippines": ("ph", "philippines", "filipino"),
    "Thailand": ("th", "thailand", "thai"),
    "Egypt": ("eg", "egypt", "egyptian"),
    "Puerto Rico": ("pr", "puerto rico"),
    "Côte d'Ivoire": ("ci", "côte d'ivoire", "cote d'ivoire", "ivory coast", "cã´te d'ivoire"),
    "United Arab Emirates": ("ae", "uae", "united arab emirates", "emirates"),
    "Sweden": ("se", "sweden", "swedish"),
    "Poland": ("pl", "poland", "polish"),
    "Ireland": ("ie", "ireland", "irish"),
    "New Zealand": ("nz", "new zealand"),
}

LANGUAGES: dict[str, tuple[str, ...]] = {
    "en": ("en", "english"),
    "es": ("es", "spanish", "español", "espanol", "castellano"),
    "pt": ("pt", "portuguese", "português"),
    "fr": ("fr", "french", "français"),
    "de": ("de", "german", "deutsch"),
    "it": ("it", "italian", "italiano"),
    "hi": ("hi", "hindi"),
    "id": ("id", "indonesian", "bahasa"),
    "ja": ("ja", "japanese"),
    "ko": ("ko", "korean"),
    "zh": ("zh", "chinese", "mandarin"),
    "ar": ("ar", "arabic"),
    "ru": ("ru", "russian"),
    "tr": ("tr", "turkish"),
    "nl": ("nl", "dutch"),
}


def _index(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for canon, aliases in table.items():
        out[canon.lower()] = canon
        for a in aliases:
            out.setdefault(a.lower(), canon)
    return out


_PLATFORM_IX = _index(PLATFORMS)
_CATEGORY_IX = _index(CATEGORIES)
_COUNTRY_IX = _index(COUNTRIES)
_LANGUAGE_IX = _index(LANGUAGES)


def _key(value: str) -> str:
    return re.sub(r"\s+", " ", value.strip().lower())


def canonical_platform(value: str) -> str:
    k = _key(value)
    return _PLATFORM_IX.get(k, re.sub(r"[^a-z0-9]+", "", k) or k)


def canonical_category(value: str) -> str:
    k = _key(value)
    return _CATEGORY_IX.get(k, k)


def canonical_country(value: str) -> str:
    k = _key(value)
    if k in _COUNTRY_IX:
        return _COUNTRY_IX[k]
    return value.strip().title() if value.strip().islower() else value.strip()


def canonical_language(value: str) -> str:
    k = _key(value)
    if k in _LANGUAGE_IX:
        return _LANGUAGE_IX[k]
    return k.split("-")[0].split("_")[0][:8]
