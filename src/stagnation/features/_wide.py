"""The extract-wide inputs of the customer features, for runs over a part of the customers.

Almost every customer feature reads only the customer's own events. Three groups read more:

* the **owner's signals** (``owner_hunting_share_*``, ``owner_activities_90d``,
  ``owner_book_size``) count the owner's activities and book over *all* its customers;
* **BG/NBD** (``p_alive``, ``expected_orders_90d``) fits four parameters per ``as_of`` on every
  buyer of the extract;
* ``online_order_share`` is NaN unless *some* order of the extract carries a channel.

On one machine :class:`~stagnation.features.FeatureContext` holds the whole extract and these
are computed from it. An engine that runs the unchanged customer code per partition of the
customers (Spark's ``applyInPandas``) computes them first, as sums over the partitions
(:func:`owner_totals` per partition, summed) and one fit on the driver
(:func:`buyer_history` per partition, gathered), and hands them in as an :class:`ExtractWide`
(``dataclasses.replace(ctx, wide=...)``); the features then read them instead of the partition.
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


@dataclass(frozen=True)
class ExtractWide:
    """Extract-wide inputs of the customer features, computed once and shared by partitions.

    Attributes
    ----------
    online_orders
        Whether any order of the extract carries a channel (else ``online_order_share`` is NaN).
    bgnbd
        The fitted BG/NBD parameters ``(r, alpha, a, b)`` per ``as_of`` (``datetime64[ns]`` as
        int64 nanoseconds), ``None`` where too few repeat buyers allowed a fit.
    owner
        The :data:`OWNER_TOTALS` of every rep at every ``as_of``: a frame indexed by
        (``rep_id``, ``as_of`` in int64 nanoseconds); a missing pair counts zero.
    """

    online_orders: bool
    bgnbd: dict[int, np.ndarray | None] = field(default_factory=dict)
    owner: pd.DataFrame | None = None

    def owner_totals(self, rep_id: np.ndarray, at: np.ndarray) -> dict[str, np.ndarray]:
        """Return the :data:`OWNER_TOTALS` of each (``rep_id``, ``at``) pair (0 when absent)."""
        if self.owner is None:
            return {name: np.zeros(len(rep_id)) for name in OWNER_TOTALS}
        keys = pd.MultiIndex.from_arrays([pd.Index(rep_id, dtype=str), to_ns(at).view(np.int64)])
        rows = self.owner.index.get_indexer(keys)
        found = rows >= 0
        out = {}
        for name in OWNER_TOTALS:
            values = np.zeros(len(rep_id))
            values[found] = self.owner[name].to_numpy(dtype=float)[rows[found]]
            out[name] = values
        return out


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
