"""The package's ``__all__`` is exactly its public API and every name resolves."""

from __future__ import annotations

import adlens.analytics.experiments as exp


def test_all_names_resolve_and_are_public() -> None:
    assert exp.__all__ == sorted(exp.__all__, key=str)
    for name in exp.__all__:
        assert getattr(exp, name) is not None
    public = {n for n in vars(exp) if not n.startswith("_")} - {"annotations"}
    modules = {n for n in public if type(getattr(exp, n)).__name__ == "module"}
    assert public - modules == set(exp.__all__)
