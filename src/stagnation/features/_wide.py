"""The extract-wide inputs of the features, for runs over a part of the extract.

Almost every customer feature reads only the customer's own events. Three groups read more:

* the **owner's signals** (``owner_hunting_share_*``, ``owner_activities_90d``,
  ``owner_book_size``) count the owner's activities and book over *all* its customers;
* **BG/NBD** (``p_alive``, ``expected_orders_90d``) fits four parameters per ``as_of`` on every
  buyer of the extract;
* ``online_order_share`` is NaN unless *some* order of the extract carries a channel.

The rep features compare a rep's book and revenue with the median of its peers (every rep's
:data:`REP_TOTALS`). On one machine :class:`~stagnation.features.FeatureContext` holds the
whole extract and all of these are computed from it. An engine that runs the unchanged code
per partition (Spark's ``applyInPandas``) computes them first, as sums over partitions of the
customers (:func:`owner_totals`, :func:`~stagnation.features.rep_totals`) and one fit on the
driver (:func:`buyer_history` per partition, gathered), and hands them in as an
:class:`ExtractWide` (``dataclasses.replace(ctx, wide=...)``); the features then read them
instead of the partition's own events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from stagnation.features._context import FeatureContext
from stagnation.features._customer_queries import BEGINNING
from stagnation.timeline import days_between, to_ns

#: Owner totals per (rep, as_of), the sums the owner signals are ratios of.
OWNER_TOTALS = (
    "hunting_90d",
    "activities_90d",
    "hunting_365d",
    "activities_365d",
    "gained",
    "lost",
)


#: Rep totals the rep features compare against peers, per (rep, as_of).
REP_TOTALS = ("book_customers", "book_revenue_365d")


@dataclass(frozen=True)
class ExtractWide:
    """Extract-wide inputs of the features, computed once and shared by the partitions.

    Attributes
    ----------
    online_orders
        Whether any order of the extract carries a channel (else ``online_order_share`` is NaN).
    bgnbd
        The fitted BG/NBD parameters ``(r, alpha, a, b)`` per ``as_of`` (``datetime64[ns]`` as
        int64 nanoseconds), ``None`` where too few repeat buyers allowed a fit.
    totals
        The :data:`OWNER_TOTALS` (and, for rep features, :data:`REP_TOTALS`) of every rep at
        every ``as_of``: a frame indexed by (``rep_id``, ``as_of`` in int64 nanoseconds); a
        missing pair counts zero.
    peer_medians
        Per ``as_of`` (int64 nanoseconds, the index), the median of each :data:`REP_TOTALS`
        column over the employed reps with a positive value (the rep features' peers).
    customer_sources
        Whether any customer of the extract has a ``source`` (else the rep features'
        ``referral_revenue_share_365d`` is NaN).
    """

    online_orders: bool
    bgnbd: dict[int, np.ndarray | None] = field(default_factory=dict)
    totals: pd.DataFrame | None = None
    peer_medians: pd.DataFrame | None = None
    customer_sources: bool = False

    def lookup(
        self, rep_id: np.ndarray, at: np.ndarray, names: tuple[str, ...] = OWNER_TOTALS
    ) -> dict[str, np.ndarray]:
        """Return the totals ``names`` of each (``rep_id``, ``at``) pair (0 when absent)."""
        if self.totals is None:
            return {name: np.zeros(len(rep_id)) for name in names}
        keys = pd.MultiIndex.from_arrays([pd.Index(rep_id, dtype=str), to_ns(at).view(np.int64)])
        rows = self.totals.index.get_indexer(keys)
        found = rows >= 0
        out = {}
        for name in names:
            values = np.zeros(len(rep_id))
            values[found] = self.totals[name].to_numpy(dtype=float)[rows[found]]
            out[name] = values
        return out

    def peer_median(self, name: str, dates: np.ndarray) -> np.ndarray:
        """Return the peers' median of total ``name`` at each of ``dates`` (NaN when unknown)."""
        if self.peer_medians is None or name not in self.peer_medians.columns:
            return np.full(len(dates), np.nan)
        medians = self.peer_medians[name].reindex(to_ns(dates).view(np.int64))
        return medians.to_numpy(dtype=float)


def owner_totals(ctx: FeatureContext, rep: np.ndarray, at: np.ndarray) -> dict[str, np.ndarray]:
    """Return the owner totals of each (rep code, ``at``) pair from the context's events.

    Hunting and all activities in the last 90 and 365 days, and the customers gained and lost
    before ``at``: the rep-level stage of the owner signals. Without an activities (ownership)
    table the activity (book) totals are left out. These are sums, so the totals of a
    partition's events add up to the extract's.
    """
    out: dict[str, np.ndarray] = {}
    acts = ctx.activities_by_rep
    if acts is not None:
        for w in (90, 365):
            start = to_ns(at) - np.timedelta64(w, "D")
            out[f"hunting_{w}d"] = acts.total("hunting", rep, start, at)
            out[f"activities_{w}d"] = acts.count(rep, start, at).astype(float)
    held = ctx.ownership_by_rep
    if held is not None:
        begin = np.full(len(rep), BEGINNING)
        out["gained"] = held.total("gained", rep, begin, at)
        out["lost"] = held.total("lost", rep, begin, at)
    return out


def buyer_history(
    ctx: FeatureContext, at: np.datetime64
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return every buyer before ``at`` with its BG/NBD summary: codes, ``x``, ``t_x``, ``T``.

    ``buyers`` are customer codes (ascending) with an order strictly before ``at``; ``x`` their
    repeat orders, ``t_x`` the days from the first to the last order, ``T`` the days from the
    first order to ``at``. Empty arrays without an orders table.
    """
    idx = ctx.orders_by_customer
    if idx is None:
        empty = np.zeros(0)
        return np.zeros(0, dtype=np.int64), empty, empty, empty
    everyone = np.arange(len(ctx.customers))
    when = np.full(len(everyone), at)
    n = idx.count_before(everyone, when)
    buyers = everyone[n > 0]
    moment = when[: len(buyers)]
    first = idx.time_at(idx.first(buyers, moment))
    last = idx.time_at(idx.last(buyers, moment))
    x = (n[n > 0] - 1).astype(float)
    return buyers, x, days_between(last, first), days_between(moment, first)
