"""The memoised query parser of the search path returns the parser's answer, as independent copies."""

from __future__ import annotations

from adlens.creators.query import parse_query
from adlens.creators.search import _parse


def test_memoised_parse_equals_parser_and_copies() -> None:
    q = "fitness creators in the US with over 50K followers"
    a, b = _parse(q), _parse(q)
    ref = parse_query(q)
    assert a.as_dict() == b.as_dict() == ref.as_dict()
    assert a.filters.min_followers == 50_000 and a.filters.country
    a.filters.country.append("Mars")  # a caller changing its copy does not change the next answer
    a.matched.clear()
    assert _parse(q).as_dict() == ref.as_dict()
