"""Reasons in plain words: the features that pushed a row's score up, rendered with their values.

A scored row's reasons are the ``k`` features with the largest positive LightGBM contributions
(``pred_contrib``), one per topic (:func:`reason_topic`: the 30- and 90-day hunting shares would
say the same thing twice), each turned into the phrase a sales manager would say, with the value:
"no outbound touch for 143 days", "ordered 12 times in the last 365 days", "hunting share fell
from 41% to 9% in 90 days".

The phrases are not kept here: each :class:`~stagnation.features.FeatureDef` carries its own
(``says``), next to the code that computes the feature, and :data:`PHRASES` reads them from
:data:`~stagnation.features.REP_FEATURES`, :data:`~stagnation.features.CUSTOMER_FEATURES` and
their categoricals whenever they are asked for. A name both families define (``orders_90d``: a
rep's credited orders, or a customer's own) is said as the family of the row says it. This
module only turns contributions into sentences.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from stagnation import features as feature_definitions
from stagnation.features import FeatureDef

Row = Mapping[str, Any]
Phrase = Callable[[Row], str]

#: Separator between the reasons of one row.
SEPARATOR = "; "
#: Window and comparison suffixes that make variants of one topic (``orders_90d``, ``_365d``, ...).
_VARIANT_SUFFIX = re.compile(r"_(?:\d+d|lifetime|prev|prior|vs_own_past|own_past|vs_peers|ratio)$")


def reason_topic(feature: str) -> str:
    """Return the topic of a feature: its name without window and comparison suffixes.

    Reasons show at most one feature per topic.

    Examples
    --------
    >>> reason_topic("hunting_share_ratio_30d_90d"), reason_topic("orders_lifetime")
    ('hunting_share', 'orders')
    >>> reason_topic("days_since_last_order")
    'days_since_last_order'
    """
    topic = feature
    while (shorter := _VARIANT_SUFFIX.sub("", topic)) != topic:
        topic = shorter
    return topic


# --------------------------------------------------------------------------- the phrase book


def _sources() -> tuple[tuple[FeatureDef, ...], ...]:
    """Return the definition tables of the features package, as it holds them now."""
    return (
        feature_definitions.REP_FEATURES,
        feature_definitions.REP_CATEGORICALS,
        feature_definitions.CUSTOMER_FEATURES,
        feature_definitions.CUSTOMER_CATEGORICALS,
    )


def _of_the_row_family(owners: list[tuple[frozenset[str], FeatureDef]]) -> Phrase:
    """Return the phrase of a name several families define, said as the row's family says it.

    The row's family is the first whose own features (the names no other family has) the row
    holds; the last family's definition speaks when the row holds none of them.
    """

    def phrase(row: Row) -> str:
        for distinctive, definition in owners[:-1]:
            if not distinctive.isdisjoint(row):
                return definition.phrase(row)
        return owners[-1][1].phrase(row)

    return phrase


def _phrase_book(families: tuple[tuple[FeatureDef, ...], ...]) -> dict[str, Phrase]:
    """Return one phrase per feature name of the families."""
    names = [{d.name for d in defs} for defs in families]
    owners: dict[str, list[tuple[frozenset[str], FeatureDef]]] = {}
    for i, defs in enumerate(families):
        others = set().union(*(n for j, n in enumerate(names) if j != i))
        distinctive = frozenset(names[i] - others)
        for d in defs:
            owners.setdefault(d.name, []).append((distinctive, d))
    book: dict[str, Phrase] = {}
    for name, found in owners.items():
        only = found[0][1]
        book[name] = partial(only.says, only) if len(found) == 1 else _of_the_row_family(found)
    return book


#: The last book built, with the definition tables it was built from.
_built: list[tuple[tuple[tuple[FeatureDef, ...], ...], Mapping[str, Phrase]]] = []


def phrases() -> Mapping[str, Phrase]:
    """Return one phrase builder per feature name, read from the feature definitions.

    The book is rebuilt whenever the definitions change (a feature added to a family shows in
    the reasons with its phrase; nothing here names a feature).

    Examples
    --------
    >>> phrases()["orders_365d"]({"orders_365d": 12.0})
    'ordered 12 times in the last 365 days'
    """
    sources = _sources()
    if not _built or any(a is not b for a, b in zip(_built[0][0], sources, strict=True)):
        rep, rep_categoricals, customer, customer_categoricals = sources
        families = ((*rep, *rep_categoricals), (*customer, *customer_categoricals))
        _built[:] = [(sources, MappingProxyType(_phrase_book(families)))]
    return _built[0][1]


class _Phrases(Mapping[str, Phrase]):
    """A read-only view of :func:`phrases`, always as current as the feature definitions."""

    def __getitem__(self, feature: str) -> Phrase:
        return phrases()[feature]

    def __iter__(self) -> Iterator[str]:
        return iter(phrases())

    def __len__(self) -> int:
        return len(phrases())


#: One phrase builder per feature name (rep and customer features, plus the categoricals).
PHRASES: Mapping[str, Phrase] = _Phrases()


# --------------------------------------------------------------------------- API


def describe_reason(feature: str, row: Mapping[str, Any]) -> str:
    """Return the plain-words phrase for one feature of one scored row, with its value.

    Parameters
    ----------
    feature
        A feature name of :data:`~stagnation.features.REP_FEATURES`,
        :data:`~stagnation.features.CUSTOMER_FEATURES` or a categorical of either family.
    row
        Every feature name of that row mapped to its value, so a phrase may combine two features
        (e.g. "hunting share fell from 41% to 9% in 90 days").

    Returns
    -------
    str
        The phrase; never an internal name, never "nan".

    Raises
    ------
    KeyError
        When ``feature`` has no phrase.

    Examples
    --------
    >>> describe_reason("days_since_last_outbound_touch", {"days_since_last_outbound_touch": 143.2})
    'no outbound touch for 143 days'
    >>> describe_reason("days_since_last_order", {"days_since_last_order": float("nan")})
    'never ordered'
    """
    try:
        phrase = phrases()[feature]
    except KeyError:
        raise KeyError(
            f"no plain-words phrase for feature {feature!r}; give its FeatureDef a phrase"
        ) from None
    return phrase(row)


class _RowView(Mapping[str, Any]):
    """A read-only view of one row over per-column arrays (no per-row dict or Series)."""

    __slots__ = ("_columns", "_i")

    def __init__(self, columns: dict[str, np.ndarray], i: int) -> None:
        self._columns = columns
        self._i = i

    def __getitem__(self, key: str) -> Any:
        return self._columns[key][self._i]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def __contains__(self, key: object) -> bool:
        return key in self._columns


def top_reasons(
    contributions: pd.DataFrame,
    features: pd.DataFrame,
    k: int = 3,
    compare: Callable[[str, int], str] | None = None,
    level: Callable[[str], bool] | None = None,
) -> pd.Series:
    """Return, per row, the ``k`` features that pushed the score up most, in plain words.

    Parameters
    ----------
    contributions
        Rows x features: LightGBM ``pred_contrib`` without the bias column, columns named as
        the model's features.
    features
        The same rows' feature values (same index; it may hold more columns).
    k
        How many reasons per row at most.
    compare
        ``compare(feature, i)`` returns the words that follow row ``i``'s phrase: the yardstick
        its value is read against (:func:`stagnation.scoring.yardsticks`); none when omitted.
    level
        ``level(words)`` says that ``compare``'s words point nowhere (the value sits at the
        median, its bin comes back about as often as average, see
        :func:`stagnation.scoring.is_level`): such a reason is given only when a row has no
        other positive one, so every reason a manager reads says which way it points.

    Returns
    -------
    pandas.Series
        Named ``reasons``, indexed like ``contributions``: the phrases of the features with the
        largest positive contributions, largest first (ties by feature name), at most one per
        :func:`reason_topic`, joined with ``"; "``; fewer than ``k`` when fewer are positive,
        ``""`` when none is.

    Raises
    ------
    ValueError
        When ``k`` is negative or rows of ``contributions`` are missing from ``features``.
    KeyError
        When a contributing feature has no phrase.
    """
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")
    if not contributions.index.equals(features.index):
        missing = contributions.index.difference(features.index)
        if len(missing) or not contributions.index.is_unique:
            raise ValueError(
                f"features: {len(missing)} row(s) of contributions missing, e.g. "
                f"{list(missing[:5])}; pass the features of the scored rows"
            )
        features = features.loc[contributions.index]
    names = np.array(sorted(map(str, contributions.columns)), dtype=object)
    book = phrases()
    unknown = [n for n in names if n not in book]
    if unknown:
        raise KeyError(
            f"no plain-words phrase for feature(s) {unknown}; give their FeatureDefs a phrase"
        )
    values = contributions[list(names)].to_numpy(dtype=np.float64)
    values = np.where(np.isnan(values), -np.inf, values)
    # stable sort of the negated values: largest first, ties in name order
    order = np.argsort(-values, axis=1, kind="stable")
    topics = [reason_topic(n) for n in names]

    columns = {str(c): features[c].to_numpy() for c in features.columns}
    said_by = [book[n] for n in names]
    out: list[str] = []
    for i in range(len(values)):
        row = _RowView(columns, i)
        said: list[str] = []
        flat: list[str] = []
        seen: set[str] = set()
        for j in order[i]:
            if len(said) == k or values[i, j] <= 0:
                break
            if topics[j] in seen:
                continue
            seen.add(topics[j])
            words = compare(names[j], i) if compare else ""
            phrase = said_by[j](row) + words
            (flat if level is not None and level(words) else said).append(phrase)
        out.append(SEPARATOR.join(said or flat[:k]))
    return pd.Series(out, index=contributions.index, name="reasons", dtype=object)
