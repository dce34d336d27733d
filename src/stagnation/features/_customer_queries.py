"""Point-in-time building blocks of the customer feature family.

A :class:`Queries` holds the population as integer customer codes and ``as_of`` timestamps,
sorted by (customer, as_of) so that the binary searches of :class:`EventIndex` walk the index
in order (an order of magnitude faster than random queries on millions of events).

The row helpers turn a per-event quantity into a "latest such event up to this one" array, so a
question such as "when did the customer last get an outbound touch" is one
:meth:`EventIndex.last` query with ``end = as_of`` followed by a lookup, never a comparison of
raw timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stagnation.timeline import EventIndex, days_between, window_start

#: The earliest representable moment: a window starting here covers an entity's whole history.
BEGINNING = np.datetime64(np.iinfo(np.int64).min + 1, "ns")


@dataclass(frozen=True)
class Queries:
    """The population as sorted (customer code, ``as_of``) pairs.

    Attributes
    ----------
    customer
        Customer codes (positions in ``FeatureContext.customers``).
    at
        ``as_of`` of each query (``datetime64[ns]``).
    """

    customer: np.ndarray
    at: np.ndarray

    def __len__(self) -> int:
        return len(self.customer)

    def since(self, days: int) -> np.ndarray:
        """Return the start of the trailing window of ``days`` days, ``as_of - days``."""
        return window_start(self.at, days)

    def lifetime(self) -> np.ndarray:
        """Return a window start that covers the whole history."""
        return np.full(len(self), BEGINNING)

    def nan(self) -> np.ndarray:
        """Return an all-NaN feature column."""
        return np.full(len(self), np.nan)


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Return ``numerator / denominator``, NaN where the denominator is 0 or NaN."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    ok = np.isfinite(den) & (den != 0)
    out = np.full(len(num), np.nan)
    np.divide(num, den, out=out, where=ok)
    return out


def days_since_row(idx: EventIndex, row: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Return days from the event at ``row`` (as from :meth:`EventIndex.last`) to ``at``."""
    return days_between(at, idx.time_at(row))


def last_flagged(
    idx: EventIndex, flag: np.ndarray, customer: np.ndarray, at: np.ndarray
) -> np.ndarray:
    """Return the row of each entity's last flagged event strictly before ``at`` (or -1).

    ``flag`` marks events in index (entity, time) order. Rows are sorted by (entity, time), so
    the answer is the last flagged row at or before the entity's last event before ``at``, if
    that row is still the entity's own: one search among the flagged rows per query. Only the
    flagged rows' positions are built, no array as long as the events.

    Examples
    --------
    >>> t = np.array(["2024-01-01", "2024-01-05", "2024-01-09", "2024-01-02"], "datetime64[ns]")
    >>> idx = EventIndex(np.array([0, 0, 0, 1]), t, 2)
    >>> flag = np.array([True, False, False, False])  # entity 0's first event only
    >>> at = np.full(2, np.datetime64("2024-01-08", "ns"))
    >>> last_flagged(idx, flag, np.array([0, 1]), at).tolist()
    [0, -1]
    """
    row = idx.last(customer, at)
    flagged = np.flatnonzero(flag)
    if not len(flagged):
        return np.full(len(row), -1, dtype=np.int64)
    j = np.searchsorted(flagged, row, side="right") - 1
    found = flagged[np.maximum(j, 0)]
    ok = (row >= 0) & (j >= 0) & (found >= idx.start[customer])
    return np.where(ok, found, -1)


def previous_gap_days(idx: EventIndex) -> np.ndarray:
    """Return, per indexed event, the days since the entity's previous event (NaN for its first)."""
    t = idx.time
    gap = np.full(len(t), np.nan)
    if len(t) > 1:
        same = idx.entity[1:] == idx.entity[:-1]
        gap[1:] = np.where(same, (t[1:] - t[:-1]) / 86_400e9, np.nan)
    return gap
