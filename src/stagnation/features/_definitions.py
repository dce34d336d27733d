"""Feature definitions: a feature's name, what it is, its unit, and how a manager says its value.

Every feature of both families is one :class:`FeatureDef`, written next to the code that computes
it. The definition carries its reason phrase (``says``), so adding a feature is one edit in one
file: the reasons of the action list (:func:`stagnation.scoring.top_reasons`) read the phrases
from the definitions and keep no table of their own.

Most phrases are a :class:`Says` template: the words around the value, which is rendered by the
feature's unit (days as "143 days", counts as integers, shares as whole percentages, money with
thousands separators and no decimals, ratios as "2.3x", years to one decimal, categories with
spaces for underscores). A template has its own words for a missing value (NaN: "never
ordered", never "nan"), for zero, and for exactly one. :class:`Change` says a share then and
now ("hunting share fell from 41% to 9% in 90 days"); any other callable ``(feature, row) ->
str`` may read the whole row, so a phrase may combine two features.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: One row of feature values, by feature name (a phrase may read any of them).
Row = Mapping[str, Any]
#: How a feature's value is said: ``(definition, row) -> phrase``.
Wording = Callable[["FeatureDef", Row], str]


@dataclass(frozen=True)
class FeatureDef:
    """A feature's name, its one-line description and unit, and the phrase of its value.

    ``description`` says what the value is (it is shown in docs and model cards); ``unit`` is one
    of ``days``, ``count``, ``money``, ``share``, ``ratio``, ``flag``, ``years`` or ``category``;
    ``says`` turns a row's value into the words of a reason (:meth:`phrase`).

    Examples
    --------
    >>> d = FeatureDef("orders_90d", "orders placed in the last 90 days", "count",
    ...                Says("ordered {} in the last 90 days", "no order records",
    ...                     none="no order in the last 90 days", times=True))
    >>> d.phrase({"orders_90d": 2.0}), d.phrase({"orders_90d": 0.0})
    ('ordered twice in the last 90 days', 'no order in the last 90 days')
    >>> d.phrase({"orders_90d": float("nan")})
    'no order records'
    """

    name: str
    description: str
    unit: str
    says: Wording = field(compare=False, repr=False)

    def phrase(self, row: Row) -> str:
        """Return the plain-words phrase of this feature's value in ``row``."""
        return self.says(self, row)


def describe(defs: Iterable[FeatureDef]) -> pd.DataFrame:
    """Return feature definitions as a table: name, description, unit."""
    return pd.DataFrame(
        [(d.name, d.description, d.unit) for d in defs], columns=["name", "description", "unit"]
    )


# --------------------------------------------------------------------------- value formatting


def number(value: Any) -> float | None:
    """Return ``value`` as a finite float, or None when it is missing or not a number."""
    if value is None or isinstance(value, str):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def days(x: float) -> str:
    """Return a number of days in words: "1 day", "143 days"."""
    n = round(x)
    return f"{n:,} {'day' if n == 1 else 'days'}"


def pct(x: float) -> str:
    """Return a share as a whole percentage: "41%"."""
    return f"{round(x * 100)}%"


def in_last(days_: int) -> str:
    """Return the words of a trailing window: "in the last 90 days"."""
    return f"in the last {days_} days"


def _times(x: float) -> str:
    n = round(x)
    return {1: "once", 2: "twice"}.get(n, f"{n:,} times")


#: How the value of each unit is written into a template's ``{}``.
UNIT_FORMAT: dict[str, Callable[[float], str]] = {
    "days": days,
    "count": lambda x: f"{round(x):,}",
    "money": lambda x: f"{x:,.0f}",
    "share": pct,
    "ratio": lambda x: f"{x:.1f}x",
    "years": lambda x: f"{x:.1f}",
    "flag": lambda x: "yes" if x >= 0.5 else "no",
}


def _is_missing(value: Any) -> bool:
    if isinstance(value, str):
        return False
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- wordings


@dataclass(frozen=True)
class Says:
    """A phrase template: ``some`` holds ``{}`` for the value, rendered by the feature's unit.

    Parameters
    ----------
    some
        The phrase of a value, with one ``{}`` (or none, for a flag that is set).
    missing
        The phrase when the value is missing (NaN: not computable, e.g. "never ordered").
    none
        The phrase when the value rounds to zero (under one day for ``days``; an unset flag);
        when omitted, zero goes through ``some``.
    one
        The phrase when a count rounds to one (a singular noun: "1 open opportunity").
    times
        Say a count as "once", "twice", "12 times".
    digits
        Write the value with this many decimals instead of the unit's format.

    Examples
    --------
    >>> d = FeatureDef("days_since_last_order", "days since the last order", "days",
    ...                Says("no order for {}", "never ordered", none="ordered within the last day"))
    >>> [d.phrase({d.name: v}) for v in (143.4, 0.3, float("nan"))]
    ['no order for 143 days', 'ordered within the last day', 'never ordered']
    """

    some: str
    missing: str
    none: str | None = None
    one: str | None = None
    times: bool = False
    digits: int | None = None

    def __call__(self, feature: FeatureDef, row: Row) -> str:
        """Return the phrase of ``feature``'s value in ``row``."""
        value = row.get(feature.name)
        if feature.unit == "category":
            return self.missing if _is_missing(value) else self.some.format(_label(value))
        x = number(value)
        if x is None:
            return self.missing
        if self.none is not None and _is_zero(x, feature.unit):
            return self.none
        if self.one is not None and round(x) == 1:
            return self.one
        if self.digits is not None:
            return self.some.format(f"{x:.{self.digits}f}")
        return self.some.format(_times(x) if self.times else UNIT_FORMAT[feature.unit](x))


def _label(value: Any) -> str:
    return str(value).replace("_", " ")


def _is_zero(x: float, unit: str) -> bool:
    if unit == "flag":
        return x < 0.5
    return round(x) < 1 if unit == "days" else round(x) == 0


@dataclass(frozen=True)
class Change:
    """A share then and now: "hunting share fell from 41% to 9% in 90 days".

    ``before`` and ``after`` name the two share features; when either is missing the phrase is
    ``otherwise``'s (the feature's own value said another way).
    """

    before: str
    after: str
    what: str
    span: str
    otherwise: Wording

    def __call__(self, feature: FeatureDef, row: Row) -> str:
        """Return how the share moved, or ``otherwise``'s phrase when it cannot be compared."""
        a, b = number(row.get(self.before)), number(row.get(self.after))
        if a is None or b is None:
            return self.otherwise(feature, row)
        if round(a * 100) == round(b * 100):
            return f"{self.what} unchanged at {pct(b)} {self.span}"
        moved = "fell" if b < a else "rose"
        return f"{self.what} {moved} from {pct(a)} to {pct(b)} {self.span}"
