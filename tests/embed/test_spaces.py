from __future__ import annotations

import numpy as np
import pytest

from adlens.embed import TEXT_SPACE, VISUAL_SPACE, Space, check_same_space, clip_space
from adlens.errors import SpaceMismatch


def test_mixing_spaces_raises() -> None:
    with pytest.raises(SpaceMismatch):
        check_same_space(TEXT_SPACE, VISUAL_SPACE)
    with pytest.raises(SpaceMismatch):
        TEXT_SPACE.check(Space("text", 384, "another-model"))
    assert check_same_space(TEXT_SPACE, Space("text", 384, TEXT_SPACE.model_version)) == TEXT_SPACE


def test_vector_dimension_check() -> None:
    assert TEXT_SPACE.check_vectors(np.zeros(384)).shape == (1, 384)
    with pytest.raises(SpaceMismatch) as err:
        TEXT_SPACE.check_vectors(np.zeros((2, 1280)))
    assert err.value.status == 422
    assert clip_space("tiny", 16, "v1").name == "clip:tiny"


def test_space_is_frozen() -> None:
    with pytest.raises(AttributeError):
        TEXT_SPACE.dim = 3  # type: ignore[misc]
