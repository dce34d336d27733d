"""Customer order features: recency, frequency, monetary value, rhythm and past dormant spells.

Everything is read from ``FeatureContext.orders_by_customer`` with ``end = as_of``: an order
exactly at ``as_of`` is not seen. Inter-order gaps are computed once per order (days since the
same customer's previous order) and summed with running totals, so the gap statistics before any
``as_of`` are differences of two running sums, vectorised over all queries.

A gap longer than ``dormant_days`` is a dormant spell that ended in a revival (the customer came
back and ordered), the history the recycling model learns "comes back" from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from stagnation.features._context import FeatureContext
from stagnation.features._customer_queries import (
    Queries,
    days_since_row,
    last_flagged,
    previous_gap_days,
    ratio,
)
from stagnation.features._definitions import FeatureDef, Says, in_last
from stagnation.timeline import EventIndex

#: Trailing windows, in days, of the order counts and values.
ORDER_WINDOWS = (90, 180, 365)
_FEW = "too few orders to see a rhythm"
_NO_ORDERS = "no order records"

ORDER_FEATURES: tuple[FeatureDef, ...] = (
    FeatureDef(
        "days_since_last_order",
        "days since the customer's last order",
        "days",
        Says("no order for {}", "never ordered", none="ordered within the last day"),
    ),
    FeatureDef(
        "days_since_first_order",
        "days since the customer's first order",
        "days",
        Says("first order {} ago", "never ordered", none="first order within the last day"),
    ),
    *(
        FeatureDef(
            f"orders_{w}d",
            f"orders placed in the last {w} days",
            "count",
            Says(
                f"ordered {{}} {in_last(w)}", _NO_ORDERS, none=f"no order {in_last(w)}", times=True
            ),
        )
        for w in ORDER_WINDOWS
    ),
    FeatureDef(
        "orders_lifetime",
        "orders placed before as_of",
        "count",
        Says("ordered {} in all", _NO_ORDERS, none="never ordered", times=True),
    ),
    *(
        FeatureDef(
            f"order_value_{w}d",
            f"total order amount of the last {w} days",
            "money",
            Says(f"bought {{}} {in_last(w)}", _NO_ORDERS, none=f"bought nothing {in_last(w)}"),
        )
        for w in ORDER_WINDOWS
    ),
    FeatureDef(
        "order_value_prior_365d",
        "total order amount from 730 to 365 days before as_of",
        "money",
        Says(
            "bought {} in the year before the last 365 days",
            _NO_ORDERS,
            none="bought nothing in the year before the last 365 days",
        ),
    ),
    FeatureDef(
        "order_value_lifetime",
        "total order amount before as_of",
        "money",
        Says("bought {} in all", _NO_ORDERS, none="never bought anything"),
    ),
    FeatureDef(
        "average_order_value",
        "mean amount of the orders before as_of",
        "money",
        Says("average order {}", "no order yet"),
    ),
    FeatureDef(
        "order_gap_mean_days",
        "mean days between consecutive orders",
        "days",
        Says("used to order every {} on average", _FEW),
    ),
    FeatureDef(
        "order_gap_std_days",
        "standard deviation of the days between consecutive orders",
        "days",
        Says("gaps between orders vary by about {}", _FEW),
    ),
    FeatureDef(
        "order_gap_cv",
        "spread of the gaps between orders relative to their mean",
        "ratio",
        Says("order rhythm irregular: gaps spread {} their mean", _FEW),
    ),
    FeatureDef(
        "last_order_gap_days",
        "days between the last two orders",
        "days",
        Says("{} between the last two orders", "fewer than two orders"),
    ),
    FeatureDef(
        "longest_order_gap_days",
        "longest gap between two consecutive orders",
        "days",
        Says("longest pause between orders was {}", "fewer than two orders"),
    ),
    FeatureDef(
        "overdue_ratio",
        "days since the last order divided by the customer's mean gap between orders",
        "ratio",
        Says("silent for {} its usual gap between orders", _FEW),
    ),
    FeatureDef(
        "recency_vs_longest_gap",
        "days since the last order divided by the longest gap between orders so far",
        "ratio",
        Says("silent for {} its longest past pause", _FEW),
    ),
    FeatureDef(
        "revived_dormant_spells",
        "past gaps between orders longer than the dormancy threshold (spells that ended in an "
        "order)",
        "count",
        Says(
            "came back from dormancy {} before",
            _NO_ORDERS,
            none="never came back from dormancy",
            times=True,
        ),
    ),
    FeatureDef(
        "days_since_last_revival",
        "days since the customer last ordered after a gap longer than the dormancy threshold",
        "days",
        Says(
            "last came back from dormancy {} ago",
            "never came back from dormancy",
            none="came back from dormancy within the last day",
        ),
    ),
    FeatureDef(
        "online_order_share",
        "share of the orders placed online",
        "share",
        Says("{} of orders placed online", "no online ordering on record"),
    ),
)


def order_features(ctx: FeatureContext, q: Queries) -> dict[str, np.ndarray]:
    """Compute :data:`ORDER_FEATURES` for sorted queries.

    Parameters
    ----------
    ctx
        The indexed extract.
    q
        Sorted (customer code, ``as_of``) queries.

    Returns
    -------
    dict
        Feature name to a float array aligned with ``q``; all NaN without an ``orders`` table.
    """
    idx = ctx.orders_by_customer
    if idx is None:
        return {d.name: q.nan() for d in ORDER_FEATURES}
    c, at = q.customer, q.at
    out: dict[str, np.ndarray] = {}

    last = idx.last(c, at)
    n = idx.count_before(c, at).astype(float)
    out["days_since_last_order"] = days_since_row(idx, last, at)
    out["days_since_first_order"] = days_since_row(idx, idx.first(c, at), at)
    for w in ORDER_WINDOWS:
        out[f"orders_{w}d"] = idx.count(c, q.since(w), at).astype(float)
    out["orders_lifetime"] = n
    for w in ORDER_WINDOWS:
        out[f"order_value_{w}d"] = idx.total("amount", c, q.since(w), at)
    out["order_value_prior_365d"] = idx.total("amount", c, q.since(730), q.since(365))
    value = idx.total("amount", c, q.lifetime(), at)
    out["order_value_lifetime"] = value
    out["average_order_value"] = ratio(value, n)

    out.update(_gap_features(ctx, idx, q, last, n, out["days_since_last_order"]))

    online = ctx.crm.orders is not None and (
        ctx.wide.online_orders if ctx.wide is not None else ctx.crm.orders["channel"].notna().any()
    )
    out["online_order_share"] = (
        ratio(idx.total("online", c, q.lifetime(), at), n) if online else q.nan()
    )
    return {d.name: out[d.name] for d in ORDER_FEATURES}


def _gap_features(
    ctx: FeatureContext,
    idx: EventIndex,
    q: Queries,
    last: np.ndarray,
    n: np.ndarray,
    recency: np.ndarray,
) -> dict[str, np.ndarray]:
    """Compute the inter-order gap statistics and the dormant-spell history."""
    c, at = q.customer, q.at
    gap = previous_gap_days(idx)
    n_gaps = np.maximum(n - 1, 0)
    mean = ratio(idx.total_before(EventIndex.prefix(gap), c, at), n_gaps)
    mean_sq = ratio(idx.total_before(EventIndex.prefix(gap**2), c, at), n_gaps)
    std = np.sqrt(np.clip(mean_sq - mean**2, 0.0, None))
    std = np.where(n_gaps >= 2, std, np.nan)  # one gap has no spread
    # the gap ending at the last order before as_of, and the longest gap up to it
    longest_so_far = pd.Series(gap).groupby(idx.entity).cummax().to_numpy(dtype=float)
    # row -1 (no order before as_of) reads the appended NaN; a first order's gap is NaN too
    last_gap = np.append(gap, np.nan)[last]
    longest = np.append(longest_so_far, np.nan)[last]

    long_gap = np.nan_to_num(gap, nan=0.0) > ctx.dormant_days
    revival = last_flagged(idx, long_gap, c, at)
    return {
        "order_gap_mean_days": mean,
        "order_gap_std_days": std,
        "order_gap_cv": ratio(std, mean),
        "last_order_gap_days": last_gap,
        "longest_order_gap_days": longest,
        "overdue_ratio": ratio(recency, mean),
        "recency_vs_longest_gap": ratio(recency, longest),
        "revived_dormant_spells": idx.total_before(EventIndex.prefix(long_gap), c, at),
        "days_since_last_revival": days_since_row(idx, revival, at),
    }
