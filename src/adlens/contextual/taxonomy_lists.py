"""Loaders for the non-IAB lists: Meta interests, Google Ads verticals, Google product taxonomy."""

from __future__ import annotations

import json
import re
from pathlib import Path

from adlens.contextual.taxonomy import DATA_DIR, Node, Taxonomy, user_taxonomy_dir
from adlens.errors import InvalidInput, NotFound

__all__ = [
    "GOOGLE_PRODUCT_FILE",
    "load_google_product",
    "load_google_verticals",
    "load_meta_interests",
    "parse_google_product",
]

GOOGLE_PRODUCT_FILE = "google-product-taxonomy.txt"
_LINE = re.compile(r"^\s*(\d+)\s+-\s+(.+?)\s*$")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _two_level(path: Path, version: str, name: str) -> Taxonomy:
    doc = json.loads(path.read_text(encoding="utf-8"))
    nodes: dict[str, Node] = {}
    for parent, children in doc["categories"].items():
        pid = _slug(parent)
        nodes[pid] = Node(pid, parent, 1, (parent,), None)
        for child in children:
            cid = f"{pid}/{_slug(child)}"
            nodes[cid] = Node(cid, child, 2, (parent, child), pid)
    return Taxonomy(version, name, nodes, licence="public category names", source=doc.get("source", ""))


def load_meta_interests() -> Taxonomy:
    return _two_level(DATA_DIR / "seed" / "meta_interests.json", "meta-interests", "Meta interest groups")


def load_google_verticals() -> Taxonomy:
    return _two_level(
        DATA_DIR / "seed" / "google_ads_verticals.json", "google-verticals", "Google Ads verticals"
    )


def parse_google_product(text: str) -> dict[str, Node]:
    """Parse Google's ``taxonomy-with-ids`` format (``ID - A > B > C``); InvalidInput if malformed."""
    by_path: dict[tuple[str, ...], str] = {}
    nodes: dict[str, Node] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            raise InvalidInput(f"google product taxonomy line {lineno} is not 'ID - A > B': {line[:80]!r}")
        uid, path_ = m.group(1), tuple(p.strip() for p in m.group(2).split(">"))
        parent = by_path.get(path_[:-1]) if len(path_) > 1 else None
        by_path[path_] = uid
        nodes[uid] = Node(uid, path_[-1], len(path_), path_, parent)
    if not nodes:
        raise InvalidInput("google product taxonomy file has no categories")
    return nodes


def load_google_product() -> Taxonomy:
    path = user_taxonomy_dir() / GOOGLE_PRODUCT_FILE
    if not path.is_file():
        raise NotFound(
            "the Google product taxonomy is not redistributed with adlens; install Google's "
            "taxonomy-with-ids.en-US.txt with `adlens taxonomy install google-product FILE`"
        )
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0] if text else ""
    version = first.split(":", 1)[1].strip() if first.startswith("#") and ":" in first else "unknown"
    return Taxonomy(
        "google-product",
        f"Google product taxonomy ({version})",
        parse_google_product(text),
        licence="Google's published Merchant Center list; not redistributed by adlens",
        source=str(path),
    )
