"""The examples in the BG/NBD module's docstring run."""

from __future__ import annotations

import doctest

from stagnation.features import _bgnbd


def test_docstring_examples() -> None:
    result = doctest.testmod(_bgnbd, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
