"""The examples in the training modules' docstrings run."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from stagnation.training import _drift, _metrics, _split


@pytest.mark.parametrize("module", [_drift, _metrics, _split], ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
