"""Brand safety on handcrafted texts: each of the 12 categories, safe texts, and news context."""

from __future__ import annotations

import pytest

from adlens.contextual.brand_safety import CATEGORIES, RISK_LEVELS, BrandSafety, risk_from_score
from adlens.contextual.taxonomy import load_taxonomy

UNSAFE = {
    "Adult & Explicit Sexual Content": "Watch free hardcore porn videos and xxx sex tapes of nude camgirls. "
    "Explicit adult content, new porn every day.",
    "Arms & Ammunition": "Gun store sale: AR-15 rifles, 9mm handguns, shotguns and bulk ammunition. "
    "Buy ammo and a suppressor online, in stock with free shipping.",
    "Crime & Harmful Acts": "How we pulled off the armed robbery: the gang planned the burglary, the kidnapping "
    "of the manager and laundered the money through fake shops. Extortion pays.",
    "Death, Injury, or Military Conflict": "Graphic footage: mutilated corpses and dead bodies lie in the "
    "street after the massacre; gore and severe injuries shown uncensored.",
    "Illegal Drugs": "Buy cocaine, heroin and crystal meth online. Our drug dealer delivers MDMA and "
    "fentanyl pills discreetly; order now to get high tonight.",
    "Hate Speech & Acts of Aggression": "White power! The master race must stop the invaders; these subhuman "
    "vermin are an inferior race. Join the white supremacist movement.",
    "Obscenity and Profanity": "What the fuck is this shit? You stupid motherfucker, this bullshit "
    "is fucking useless, asshole.",
    "Online Piracy": "Download the full movie free: torrent magnet link, DVDRip and cracked version. "
    "Keygen and serial key included, warez from the pirate bay.",
    "Terrorism": "The jihadist group ISIS claimed the suicide bombing; the terrorists called for more "
    "terror attacks and radicalization of young recruits.",
    "Tobacco & Vaping": "Shop cigarettes, cigars and chewing tobacco. The best vape pens, e-cigarettes and "
    "nicotine e-liquid flavours, buy now.",
    "Spam or Harmful Content": "Congratulations you have won a free iPhone! Click here to claim your prize, "
    "verify your account now. Make money fast with our crypto giveaway, 100% free, act now!",
    "Sensitive Social Issues": "The abortion debate: pro-life and pro-choice activists clash over gun control, "
    "same-sex marriage, the death penalty and illegal immigration.",
}

SAFE = [
    "Our guide to baking sourdough bread: mix flour, water and salt, let the dough rise overnight and bake "
    "in a hot oven until the crust is golden.",
    "The city council approved a new bike lane along the river and will plant two hundred trees in the park.",
    "Tips for choosing running shoes: try them in the afternoon, leave room for your toes and replace them "
    "every 800 kilometres.",
    "The library hosts a children's story hour every Saturday morning and a book club for adults on Tuesdays.",
]


@pytest.fixture(scope="module")
def safety() -> BrandSafety:
    from adlens.config import get_settings
    from adlens.embed import TextEmbedder

    return BrandSafety(TextEmbedder.from_settings(get_settings()))


def test_categories_are_aligned_with_iab_sensitive_topics() -> None:
    assert len(CATEGORIES) == 12
    tax = load_taxonomy("iab-3.1")
    sensitive = {c.id for c in tax.children("v9i3On")}
    for cat in CATEGORIES:
        assert cat.iab_id in sensitive, cat
        assert tax.get(cat.iab_id).name == cat.iab_name
    assert {c.iab_id for c in CATEGORIES} == sensitive  # all 11 IAB nodes covered (drugs+tobacco share one)
    assert set(UNSAFE) == {c.name for c in CATEGORIES}


@pytest.mark.parametrize("category", sorted(UNSAFE))
def test_each_category_is_flagged(safety: BrandSafety, category: str) -> None:
    result = safety.assess_text(UNSAFE[category])
    flags = {f.category: f for f in result["flags"]}
    assert category in flags, [(f.category, f.risk) for f in result["flags"]]
    flag = flags[category]
    assert flag.risk in ("medium", "high"), flag
    assert flag.evidence and all(isinstance(e, str) for e in flag.evidence)
    assert result["risk_level"] in ("medium", "high")
    assert result["iab"][category] in {c.iab_id for c in CATEGORIES}


@pytest.mark.parametrize("text", SAFE)
def test_safe_texts(safety: BrandSafety, text: str) -> None:
    result = safety.assess_text(text)
    assert result["risk_level"] in ("none", "low"), [
        (f.category, f.risk, f.evidence) for f in result["flags"]
    ]
    assert all(f.risk == "low" for f in result["flags"])


def test_news_about_crime_is_lower_risk_than_crime_content(safety: BrandSafety) -> None:
    news = (
        "Police said a man was arrested and charged with armed robbery and kidnapping on Tuesday. "
        "According to prosecutors, the suspect pleaded guilty; the investigation into the burglary "
        "continues, a spokesman told reporters."
    )
    content = UNSAFE["Crime & Harmful Acts"]
    n = {f.category: f for f in safety.assess_text(news)["flags"]}
    c = {f.category: f for f in safety.assess_text(content)["flags"]}
    crime = "Crime & Harmful Acts"
    assert crime in n and crime in c
    assert RISK_LEVELS.index(n[crime].risk) < RISK_LEVELS.index(c[crime].risk)
    assert safety.assess_text(news)["context"] == "news"


def test_commerce_raises_arms_risk(safety: BrandSafety) -> None:
    museum = "The history museum displays an old rifle and a pistol from the 1800s next to soldiers' letters."
    shop = "Rifle and pistol for sale, buy now: add to cart, free shipping on ammunition."
    r = {f.category: f.risk for f in safety.assess_text(museum)["flags"]}
    s = {f.category: f.risk for f in safety.assess_text(shop)["flags"]}
    assert s["Arms & Ammunition"] == "high"
    assert RISK_LEVELS.index(s["Arms & Ammunition"]) > RISK_LEVELS.index(r.get("Arms & Ammunition", "none"))


def test_without_embedder_and_thresholds() -> None:
    lexical_only = BrandSafety(None)
    result = lexical_only.assess_text(UNSAFE["Obscenity and Profanity"])
    assert result["flags"][0].category == "Obscenity and Profanity"
    assert lexical_only.assess_text("")["risk_level"] == "none"
    assert [risk_from_score(s) for s in (0.0, 0.25, 0.5, 0.9)] == ["none", "low", "medium", "high"]


def test_scorer_reports_brand_safety(safety: BrandSafety) -> None:
    from adlens.config import get_settings
    from adlens.contextual.scoring import ContextScorer, Document

    cache = get_settings().cache_dir  # the session's cache: node vectors shared with the scoring tests
    scorer = ContextScorer(load_taxonomy(), safety.embedder, cache_dir=cache, safety=safety)
    res = scorer.classify(Document(url="u", title="Vape shop", text=UNSAFE["Tobacco & Vaping"] * 2))
    assert res.brand_safety["risk_level"] in ("medium", "high")
    assert any(f.category == "Tobacco & Vaping" for f in res.brand_safety["flags"])
    sensitive = [c for c in res.categories if c.evidence.get("source") == "brand_safety"]
    assert [c.id for c in sensitive] == ["pg0WhF"]  # the IAB Sensitive Topics node, for OpenRTB segments
    assert sensitive[0].path[0] == "Sensitive Topics" and sensitive[0].evidence["phrases"]
