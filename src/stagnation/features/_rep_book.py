"""Rep features from orders, ownership and opportunities: wins, book, concentration, pool moves.

Helpers of :mod:`stagnation.features._rep`. Each function takes the rep codes ``rep`` and the
``as_of`` timestamps ``at`` of the population (equal-length arrays) and returns a mapping of
feature name to a float array, reading events only through :class:`EventIndex` queries that end
at ``at`` (strictly before it). A table the extract lacks gives NaN columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from stagnation.features._context import FeatureContext
from stagnation.timeline import WINDOWS, EventIndex, days_between, to_ns, window_start

#: Most (query, event) pairs expanded at once by the ragged window queries (bounds memory).
MAX_EXPANDED_ROWS = 4_000_000

Features = dict[str, np.ndarray]


def window_total(
    idx: EventIndex, sums: np.ndarray, rep: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Return the sum of a derived per-event value (its ``sums``) over ``[start, end)``."""
    return sums[idx.position(rep, end)] - sums[idx.position(rep, start)]


def share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """Return ``part / whole``, NaN where ``whole`` is zero or NaN."""
    whole = np.asarray(whole, dtype=float)
    ok = whole > 0
    return np.divide(part, whole, out=np.full(len(whole), np.nan), where=ok)


def by_rep(idx: EventIndex, n_reps: int, values: tuple[str, ...] = ()) -> EventIndex:
    """Re-index events carrying a ``rep`` value (e.g. indexed by customer) by that rep."""
    rows = np.arange(len(idx))
    rep = idx.value_at("rep", rows, fill=-1).astype(np.int64)
    carried = {name: idx.value_at(name, rows) for name in values}
    return EventIndex(rep, idx.time_at(rows), n_reps, carried)


def distinct(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the sorted distinct values of ``key`` and, per element, its position among them.

    Sort-based: numpy 2.4's hash-based ``np.unique`` is many times slower on large int arrays.
    """
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    new = np.ones(len(ordered), dtype=bool)
    new[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(len(key), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], inverse


def ragged_chunks(
    start: np.ndarray, end: np.ndarray
) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
    """Yield ``(queries, query, row)``: every event row in ``[start[i], end[i])``, in batches.

    ``query`` numbers the queries within the batch ``queries`` (a slice of the input); batches
    hold at most :data:`MAX_EXPANDED_ROWS` rows, unless a single query is larger.
    """
    lengths = np.maximum(end - start, 0)
    cum = np.cumsum(lengths)
    lo = 0
    while lo < len(lengths):
        base = cum[lo - 1] if lo else 0
        hi = max(int(np.searchsorted(cum, base + MAX_EXPANDED_ROWS, side="right")), lo + 1)
        n = lengths[lo:hi]
        query = np.repeat(np.arange(hi - lo), n)
        offsets = np.cumsum(n) - n
        row = np.arange(n.sum()) - offsets[query] + start[lo:hi][query]
        yield slice(lo, hi), query, row
        lo = hi


def _top_customer_shares(
    orders: EventIndex, rep: np.ndarray, at: np.ndarray, n_customers: int, total: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return the shares of 365-day revenue from the rep's top 1 and top 5 customers."""
    customer = orders.column("customer").astype(np.int64) + 1
    amount = orders.column("amount")
    top1 = np.zeros(len(rep))
    top5 = np.zeros(len(rep))
    start, end = orders.position(rep, window_start(at, 365)), orders.position(rep, at)
    for queries, query, row in ragged_chunks(start, end):
        key = query.astype(np.int64) * (n_customers + 1) + customer[row]
        pairs, inverse = distinct(key)
        sums = np.bincount(inverse, weights=amount[row])
        q = pairs // (n_customers + 1)
        order = np.lexsort((-sums, q))
        q, sums = q[order], sums[order]
        rank = np.arange(len(q)) - np.searchsorted(q, q, side="left")
        n = queries.stop - queries.start
        top1[queries] = np.bincount(q[rank < 1], weights=sums[rank < 1], minlength=n)
        top5[queries] = np.bincount(q[rank < 5], weights=sums[rank < 5], minlength=n)
    return share(top1, total), share(top5, total)


def order_features(ctx: FeatureContext, rep: np.ndarray, at: np.ndarray) -> Features:
    """Return revenue, new-customer wins, concentration, repeat and referral shares."""
    names = [
        "orders_90d",
        "book_revenue_90d",
        "book_revenue_365d",
        "book_revenue_vs_peers_365d",
        *[f"new_customers_won_{w}d" for w in WINDOWS],
        "days_since_last_new_customer",
        "top1_customer_revenue_share_365d",
        "top5_customer_revenue_share_365d",
        "repeat_revenue_share_365d",
        "referral_revenue_share_365d",
    ]
    orders, by_customer = ctx.orders_by_rep, ctx.orders_by_customer
    if orders is None or by_customer is None:
        return {name: np.full(len(rep), np.nan) for name in names}
    n_reps = len(ctx.reps)
    out: Features = {}
    start90, start365 = window_start(at, 90), window_start(at, 365)
    out["orders_90d"] = orders.count(rep, start90, at).astype(float)
    out["book_revenue_90d"] = orders.total("amount", rep, start90, at)
    revenue = orders.total("amount", rep, start365, at)
    out["book_revenue_365d"] = revenue
    out["book_revenue_vs_peers_365d"] = _vs_peers(
        ctx,
        rep,
        at,
        lambda r, t: orders.total("amount", r, window_start(t, 365), t),
        "book_revenue_365d",
    )

    # a win: a customer's first order ever, credited to the rep on that order
    has_orders = by_customer.start[1:] > by_customer.start[:-1]
    first = by_customer.start[:-1][has_orders]
    wins = EventIndex(
        by_customer.value_at("rep", first, fill=-1).astype(np.int64),
        by_customer.time_at(first),
        n_reps,
        {"amount": by_customer.value_at("amount", first)},
    )
    for w in WINDOWS:
        out[f"new_customers_won_{w}d"] = wins.count(rep, window_start(at, w), at).astype(float)
    out["days_since_last_new_customer"] = days_between(at, wins.time_at(wins.last(rep, at)))

    top1, top5 = _top_customer_shares(orders, rep, at, len(ctx.customers), revenue)
    out["top1_customer_revenue_share_365d"] = top1
    out["top5_customer_revenue_share_365d"] = top5
    first_revenue = wins.total("amount", rep, start365, at)
    out["repeat_revenue_share_365d"] = share(revenue - first_revenue, revenue)

    source = ctx.crm.customers["source"]
    # whether any customer of the extract (not only of this partition) has a source
    any_source = ctx.wide.customer_sources if ctx.wide is not None else source.notna().any()
    if any_source:
        referral = (source == "referral").fillna(False).to_numpy(dtype=bool)
        customer = orders.column("customer").astype(np.int64)
        amount = orders.column("amount")
        is_referral = np.where(customer >= 0, referral[np.maximum(customer, 0)], False)
        sums = EventIndex.prefix(amount * is_referral)
        out["referral_revenue_share_365d"] = share(
            window_total(orders, sums, rep, start365, at), revenue
        )
    else:
        out["referral_revenue_share_365d"] = np.full(len(rep), np.nan)
    return {name: out[name] for name in names}


def _rep_dates(ctx: FeatureContext, column: str) -> np.ndarray:
    """Return the reps table's ``column`` (hired_at/left_at) per rep code; NaT when absent."""
    return rep_dates(ctx.crm.reps, ctx.reps, column)


def rep_dates(reps: pd.DataFrame | None, rep_ids: pd.Index, column: str) -> np.ndarray:
    """Return ``reps``' ``column`` (hired_at/left_at) for each of ``rep_ids``; NaT when absent."""
    if reps is None:
        return np.full(len(rep_ids), np.datetime64("NaT", "ns"))
    return to_ns(reps.set_index("rep_id")[column].reindex(rep_ids))


def tenure_years(ctx: FeatureContext, rep: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Return years from the rep's hiring to ``at`` (NaN when hired_at is unknown)."""
    return days_between(at, _rep_dates(ctx, "hired_at")[rep]) / 365.25


def _employed(reps: pd.DataFrame | None, rep_ids: pd.Index, dates: np.ndarray) -> np.ndarray:
    """Return a (date, rep) mask: hired before the date (or unknown), not left before it."""
    hired, left = rep_dates(reps, rep_ids, "hired_at"), rep_dates(reps, rep_ids, "left_at")
    d = dates[:, None]
    return (np.isnat(hired) | (hired < d)) & (np.isnat(left) | (left >= d))


def _vs_peers(
    ctx: FeatureContext,
    rep: np.ndarray,
    at: np.ndarray,
    measure: Callable[[np.ndarray, np.ndarray], np.ndarray],
    name: str,
) -> np.ndarray:
    """Return ``measure`` of each row over its median among employed peers with a positive one.

    ``measure(rep_codes, at)`` is evaluated for every rep at every distinct ``as_of`` (or, when
    the context holds a part of the extract, for the rows only, against the extract-wide
    median ``ctx.wide.peer_medians[name]``).
    """
    dates, inverse = np.unique(at, return_inverse=True)
    if ctx.wide is not None:
        return share(measure(rep, at), ctx.wide.peer_median(name, dates)[inverse])
    n_reps = len(ctx.reps)
    all_reps = np.tile(np.arange(n_reps), len(dates))
    values = measure(all_reps, np.repeat(dates, n_reps)).reshape(len(dates), n_reps)
    return _over_peer_median(ctx, values, dates, rep, inverse)


def peer_median(
    reps: pd.DataFrame | None, rep_ids: pd.Index, values: np.ndarray, dates: np.ndarray
) -> np.ndarray:
    """Return, per date, the median of ``values`` (dates x ``rep_ids``) over employed reps with a
    positive value (NaN when none)."""
    peers = np.where(_employed(reps, rep_ids, dates) & (values > 0), values, np.nan)
    return pd.DataFrame(peers).median(axis=1, skipna=True).to_numpy(dtype=float)


def _over_peer_median(
    ctx: FeatureContext, values: np.ndarray, dates: np.ndarray, rep: np.ndarray, inverse: np.ndarray
) -> np.ndarray:
    median = peer_median(ctx.crm.reps, ctx.reps, values, dates)
    return share(values[inverse, rep], median[inverse])


def book_counts(ctx: FeatureContext, dates: np.ndarray) -> np.ndarray:
    """Return the customers each rep owns at each of ``dates`` (dates x rep codes)."""
    n_c, n_r = len(ctx.customers), len(ctx.reps)
    counts = np.zeros((len(dates), n_r))
    step = max(1, MAX_EXPANDED_ROWS // max(n_c, 1))
    for lo in range(0, len(dates), step):  # batches of dates, to bound memory
        block = dates[lo : lo + step]
        owner = ctx.owner_at(np.tile(np.arange(n_c), len(block)), np.repeat(block, n_c))
        date = np.repeat(np.arange(len(block)), n_c)
        owned = owner >= 0
        flat = np.bincount(date[owned] * n_r + owner[owned], minlength=len(block) * n_r)
        counts[lo : lo + len(block)] = flat.reshape(len(block), n_r)
    return counts


def rep_totals(ctx: FeatureContext, dates: np.ndarray) -> dict[str, np.ndarray]:
    """Return what the peer comparisons read of every rep at each of ``dates`` (dates x reps).

    ``book_customers`` (customers owned) and, with orders, ``book_revenue_365d``. Sums over
    customers: the totals of a part of the customers add up to the extract's.
    """
    out = {"book_customers": book_counts(ctx, dates)}
    if ctx.orders_by_rep is not None:
        n_reps = len(ctx.reps)
        rep = np.tile(np.arange(n_reps), len(dates))
        at = np.repeat(dates, n_reps)
        revenue = ctx.orders_by_rep.total("amount", rep, window_start(at, 365), at)
        out["book_revenue_365d"] = revenue.reshape(len(dates), n_reps)
    return out


def book_features(ctx: FeatureContext, rep: np.ndarray, at: np.ndarray) -> Features:
    """Return the number of customers the rep owns at ``as_of`` and that against its peers."""
    dates, inverse = np.unique(at, return_inverse=True)
    if ctx.wide is not None:  # a part of the extract: the extract-wide counts
        counts_of = ctx.wide.lookup(ctx.reps.to_numpy()[rep], at, ("book_customers",))
        counts = counts_of["book_customers"]
        median = ctx.wide.peer_median("book_customers", dates)
        return {"book_customers": counts, "book_customers_vs_peers": share(counts, median[inverse])}
    counts_all = book_counts(ctx, dates)
    return {
        "book_customers": counts_all[inverse, rep],
        "book_customers_vs_peers": _over_peer_median(ctx, counts_all, dates, rep, inverse),
    }


def pool_features(ctx: FeatureContext, rep: np.ndarray, at: np.ndarray) -> Features:
    """Return customers claimed from and released to the pool in 90 and 365 days."""
    own = ctx.ownership_by_rep
    out: Features = {}
    for kind, column in (("claims", "claimed"), ("releases", "released")):
        for w in (90, 365):
            out[f"pool_{kind}_{w}d"] = (
                np.full(len(rep), np.nan)
                if own is None
                else own.total(column, rep, window_start(at, w), at)
            )
    return out


def opportunity_features(ctx: FeatureContext, rep: np.ndarray, at: np.ndarray) -> Features:
    """Return open opportunities at ``as_of``, opportunities created in 90d and won in 365d."""
    created, closed = ctx.opportunities_created, ctx.opportunities_closed
    names = ("open_opportunities", "opportunities_created_90d", "opportunities_won_365d")
    if created is None or closed is None:
        return {name: np.full(len(rep), np.nan) for name in names}
    n_reps = len(ctx.reps)
    created_r, closed_r = by_rep(created, n_reps), by_rep(closed, n_reps, ("won",))
    return {
        "open_opportunities": (
            created_r.count_before(rep, at) - closed_r.count_before(rep, at)
        ).astype(float),
        "opportunities_created_90d": created_r.count(rep, window_start(at, 90), at).astype(float),
        "opportunities_won_365d": closed_r.total("won", rep, window_start(at, 365), at),
    }
