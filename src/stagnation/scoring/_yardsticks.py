"""Yardsticks for reasons: against what a reason's value is high or low.

A reason says a value ("hunting share is 51% in the last 30 days"); a manager also needs which
way it points and against what. :func:`yardsticks` returns, for a scored population, a function
``(feature, row) -> suffix`` that :func:`~stagnation.scoring.top_reasons` appends to the phrase.
The rules are data, one table per yardstick, so a feature definition can carry its own later:

* **the rep's own past** (:data:`OWN_PAST`): "..., down from 68% in the 9 months before the last
  90 days";
* **base rates from training** (the model's drift reference keeps, per bin and per category,
  the share of positives among the training rows): "(2.1x the average dormant customer's
  comeback rate)": customers in that bin of the feature came back 2.1 times as often. Used
  for every customer feature whose bin came back clearly more often than the average (at least
  1.1 times: "about the average" would point nowhere), and for the categoricals of both models;
* **the peers' median** today (every eligible rep, or every dormant customer scored): "...,
  above the eligible reps' median of 46%", for the rest.

Features that already compare (:data:`SELF_COMPARED`: ratios, slopes, against own past or
peers) get no suffix: their phrase says "fell from 41% to 9%" or "at 0.5x the yearly pace".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from stagnation.features import CUSTOMER_FEATURES, REP_FEATURES
from stagnation.training import bin_codes

Compare = Callable[[str, int], str]

#: A rep feature and the feature holding the same measure over the rep's own past, with words.
OWN_PAST: dict[str, tuple[str, str]] = {
    "hunting_share_30d": ("hunting_share_own_past", "in the 9 months before the last 90 days"),
    "hunting_share_90d": ("hunting_share_own_past", "in the 9 months before"),
}
#: Units whose features compare with something already (their phrase says against what).
SELF_COMPARED_UNITS = frozenset({"ratio"})
#: Features whose phrase already says against what (beyond ratios).
SELF_COMPARED = frozenset({"hunting_share_slope_90d", "hunting_share_vs_own_past"})
#: Who the peers are, and what a positive is, per entity, in words.
PEERS = {"rep": "the eligible reps' median of {}", "customer": "the median dormant customer's {}"}
BASE_RATE = {
    "rep": "the average rep's slide rate",
    "customer": "the average dormant customer's comeback rate",
}
#: Closest-to-one ratio of base rates said as "about as often".
_SAME = 0.1


def _units(entity: Literal["rep", "customer"]) -> dict[str, str]:
    defs = REP_FEATURES if entity == "rep" else CUSTOMER_FEATURES
    return {d.name: d.unit for d in defs}


def format_value(unit: str, x: float) -> str:
    """Return a value in the words of its unit, rounded as the reasons round it.

    Examples
    --------
    >>> format_value("share", 0.456), format_value("days", 610.2), format_value("money", 12345.6)
    ('46%', '610 days', '12,346')
    """
    if unit == "share":
        return f"{round(x * 100)}%"
    if unit == "days":
        n = round(x)
        return f"{n:,} day" if n == 1 else f"{n:,} days"
    if unit == "money":
        return f"{x:,.0f}"
    if unit == "years":
        return f"{x:.1f} years"
    if unit == "ratio":
        return f"{x:.1f}x"
    return f"{round(x):,}" if abs(x) >= 10 or float(x).is_integer() else f"{x:.1f}"


def is_level(words: str) -> bool:
    """Return whether a yardstick's words point nowhere: at the median, about the average.

    Examples
    --------
    >>> is_level(", at the eligible reps' median of 40")
    True
    >>> is_level(" (about the average rep's slide rate)"), is_level(", unchanged from 9%")
    (True, True)
    >>> is_level(", below the eligible reps' median of 40"), is_level(" (2.1x the average ...)")
    (False, False)
    """
    return words.startswith((", at ", f" ({_times(1.0)} ", ", unchanged from "))


def _direction(value: float, yardstick: float, unit: str) -> str:
    shown, other = format_value(unit, value), format_value(unit, yardstick)
    if shown == other:
        return "at"
    return "above" if value > yardstick else "below"


def _times(ratio: float) -> str:
    if abs(ratio - 1.0) < _SAME:
        return "about"
    if abs(ratio - 2.0) < _SAME:
        return "twice"
    return f"{ratio:.1f}x"


def _number(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def yardsticks(
    entity: Literal["rep", "customer"],
    features: pd.DataFrame,
    reference: Mapping[str, Mapping[str, Any]] | None = None,
) -> Compare:
    """Return ``compare(feature, i)``: the yardstick words for row ``i``'s value of a feature.

    Parameters
    ----------
    entity
        ``rep`` or ``customer``: whose peers and which base rate.
    features
        The scored rows (positional ``i``), all of them: the peers' median is theirs.
    reference
        The model's drift reference (``ModelCard.reference``); entries with ``rates`` and
        ``base_rate`` give base-rate comparisons.

    Returns
    -------
    Callable
        ``compare(feature, i) -> str``, ``""`` when no yardstick applies or the value is
        missing.

    Examples
    --------
    >>> rows = pd.DataFrame({"book_customers": [10.0, 40.0, 50.0]})
    >>> yardsticks("rep", rows)("book_customers", 0)
    ", below the eligible reps' median of 40"
    """
    units = _units(entity)
    ref = dict(reference or {})
    medians: dict[str, float | None] = {}
    rates: dict[str, np.ndarray | None] = {}
    arrays: dict[str, np.ndarray] = {}

    def at(name: str, i: int) -> Any:
        if name not in arrays:
            arrays[name] = features[name].to_numpy()
        return arrays[name][i]

    def median(name: str) -> float | None:
        if name not in medians:
            values = pd.to_numeric(features[name], errors="coerce").to_numpy(
                dtype=float, na_value=np.nan
            )
            finite = values[np.isfinite(values)]
            medians[name] = float(np.median(finite)) if len(finite) else None
        return medians[name]

    def ratio(name: str) -> np.ndarray | None:
        """Per row: its bin's (category's) positive rate over the base rate, NaN if unknown."""
        if name not in rates:
            entry = ref.get(name)
            if not entry or "rates" not in entry or not entry.get("base_rate"):
                rates[name] = None
            else:
                table = np.array([np.nan if r is None else r for r in entry["rates"]], dtype=float)
                codes = bin_codes(dict(entry), features[name])
                rates[name] = table[np.minimum(codes, len(table) - 1)] / float(entry["base_rate"])
        return rates[name]

    def compare(name: str, i: int) -> str:
        if name not in features.columns:
            return ""
        unit = units.get(name, "category")
        if entity == "rep" and (unit in SELF_COMPARED_UNITS or name in SELF_COMPARED):
            return ""
        value = _number(at(name, i)) if unit != "category" else None
        if entity == "rep" and name in OWN_PAST and OWN_PAST[name][0] in features.columns:
            past_name, words = OWN_PAST[name]
            past = _number(at(past_name, i))
            if value is not None and past is not None:
                way = _direction(value, past, unit)
                verb = {"above": "up from", "below": "down from", "at": "unchanged from"}[way]
                return f", {verb} {format_value(unit, past)} {words}"
        by_rate = ratio(name)
        if by_rate is not None and (unit == "category" or entity == "customer"):
            r = by_rate[i]
            # a numeric bin is read against the base rate only when it clearly came back more
            # often ("about the average" points nowhere): the others against the median
            if np.isfinite(r) and (r >= 1.0 + _SAME or unit == "category"):
                return f" ({_times(float(r))} {BASE_RATE[entity]})"
        if value is None or unit in ("category", "flag"):
            return ""
        middle = median(name)
        if middle is None:
            return ""
        way = _direction(value, middle, unit)
        return f", {way} {PEERS[entity].format(format_value(unit, middle))}"

    return compare
