"""The examples in the training modules' docstrings run."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from stagnation.training import (
    _baselines,
    _calibration,
    _card,
    _compare,
    _drift,
    _metrics,
    _plan,
    _split,
)

MODULES = [_baselines, _calibration, _card, _compare, _drift, _metrics, _plan, _split]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
