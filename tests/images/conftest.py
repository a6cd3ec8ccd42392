"""Fixtures of the images tests: the fixture website served on 127.0.0.1 (see images_site.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from images_site import SiteServer, serve_site


@pytest.fixture(scope="session")
def images_site() -> Iterator[SiteServer]:
    """The ≥30-page fixture site (two origins on 127.0.0.1); call ``reset_hits()`` before counting."""
    with serve_site() as site:
        yield site
