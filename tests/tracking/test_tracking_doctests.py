"""The examples in the tracking modules' docstrings run."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from stagnation.tracking import _pyfunc, _report, _uri


@pytest.mark.parametrize("module", [_pyfunc, _report, _uri], ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
