"""Feature definitions: each feature's name, its description in plain words and its unit.

The point-in-time window queries the features are built from live in :mod:`stagnation.timeline`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class FeatureDef:
    """A feature's name and its one-line description in plain words.

    ``description`` says what the value is (it is shown in docs and model cards); ``unit`` is one
    of ``days``, ``count``, ``money``, ``share``, ``ratio``, ``flag``, ``years`` or ``category``.
    """

    name: str
    description: str
    unit: str


def describe(defs: Iterable[FeatureDef]) -> pd.DataFrame:
    """Return feature definitions as a table: name, description, unit."""
    return pd.DataFrame(
        [(d.name, d.description, d.unit) for d in defs], columns=["name", "description", "unit"]
    )
