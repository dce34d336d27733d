"""Customer tables: revivals, the shared pool's flows, the dormant population."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from stagnation.errors import MissingTable
from stagnation.explore._common import (
    AGE_BANDS,
    POOL_FLOW_COLUMNS,
    VALUE_BANDS,
    _band,
    _month_before,
    _per_period,
    _with_level,
)
from stagnation.features import OWNERSHIP_REASONS, FeatureContext
from stagnation.snapshots import as_of_grid, data_end, features_at
from stagnation.timeline import to_ns


def revivals(ctx: FeatureContext) -> pd.DataFrame:
    """Return every revival order: a past buyer ordering again after a dormant spell.

    A revival is an order of a customer that had ordered before, placed more than
    ``ctx.dormant_days`` days after its previous order (the customer was dormant at that moment
    by the package's rule). First orders are new business, not revivals. Several orders at the
    same moment count once (the first of them).

    Parameters
    ----------
    ctx
        The indexed extract; it needs an orders table.

    Returns
    -------
    pandas.DataFrame
        One row per revival, by time: ``customer_id``, ``ordered_at``, ``amount``,
        ``days_dormant`` (days since the previous order), ``owner`` (the rep owning the customer
        just before the order; missing when in the pool or unknown) and ``from_pool`` (the owner
        got the customer by a claim from the pool and has held it since; always false without an
        ownership table).
    """
    orders = ctx.crm.orders
    if orders is None:
        raise MissingTable("the extract has no orders table; revivals are read from orders")
    o = orders[["customer_id", "ordered_at", "amount"]].sort_values(
        ["customer_id", "ordered_at"], kind="stable", ignore_index=True
    )
    gap = o.groupby("customer_id", observed=True)["ordered_at"].diff()
    revived = o.loc[gap > pd.Timedelta(days=ctx.dormant_days)].copy()
    revived["days_dormant"] = gap[revived.index].dt.total_seconds() / 86_400
    revived = revived.sort_values("ordered_at", kind="stable", ignore_index=True)
    customer = ctx.customers.get_indexer(pd.Index(revived["customer_id"]))
    at = to_ns(revived["ordered_at"])
    owner = ctx.owner_at(customer, at)
    names = ctx.reps.to_numpy()[np.maximum(owner, 0)] if len(ctx.reps) else [None] * len(owner)
    owned = pd.Series(owner >= 0, index=revived.index)
    revived["owner"] = pd.Series(names, index=revived.index, dtype=pd.StringDtype()).where(owned)
    from_pool = np.zeros(len(revived), dtype=bool)
    if ctx.ownership_by_customer is not None:
        row = ctx.ownership_by_customer.last(customer, at)
        reason = ctx.ownership_by_customer.value_at("reason", row, fill=-1)
        from_pool = (reason == OWNERSHIP_REASONS.index("claimed")) & (owner >= 0)
    revived["from_pool"] = from_pool
    return revived


def pool_flows(ctx: FeatureContext, *, freq: str = "MS") -> pd.DataFrame:
    """Return the shared pool's flows per period: releases, claims, pool size and revivals.

    Read from the ownership table (each row: from ``valid_from`` on the customer belongs to
    ``rep_id``, or sits in the pool when ``rep_id`` is empty) and from the orders.

    Parameters
    ----------
    ctx
        The indexed extract.
    freq
        Pandas frequency of the periods: ``MS`` (calendar months, the default), ``YS`` (years),
        or any other period-start frequency.

    Returns
    -------
    pandas.DataFrame
        Indexed by the period's first day (named ``month``; ``year`` for ``freq="YS"``, else
        ``period``), from the first period start on or after the moment every event table has
        started (a partial first period is left out) to the last period with data, with the
        columns of :data:`POOL_FLOW_COLUMNS`:

        * ``into_pool``: ownership rows putting a customer into the pool, of which ``released``
          (reason ``released``: the pool rule or a manager) and ``rep_left`` (the owner left);
        * ``out_of_pool``: rows giving a pooled customer to a rep, of which ``claimed``
          (reason ``claimed``; the rest were assigned);
        * ``pool_size``: customers in the pool at the end of the period;
        * ``revivals``, ``revivals_from_pool``, ``revival_value``: revival orders (see
          :func:`revivals`) in the period, those of customers claimed from the pool, and their
          amount (currency units).

        The pool columns are NaN without an ownership table, the revival columns without orders.
    """
    grid = as_of_grid(ctx.crm, horizon_days=0, warmup_days=0, freq=freq)
    end = data_end(ctx.crm)
    edges = grid if grid[-1] >= end else pd.DatetimeIndex([*grid, end]).as_unit("ns")
    months = pd.Index(edges[:-1], name={"MS": "month", "YS": "year"}.get(freq, "period"))
    out = pd.DataFrame(np.nan, index=months, columns=list(POOL_FLOW_COLUMNS))
    ownership = ctx.crm.ownership
    if ownership is not None:
        w = ownership.sort_values(["customer_id", "valid_from"], kind="stable", ignore_index=True)
        pooled = w["rep_id"].isna()
        previous_pooled = pooled.groupby(w["customer_id"], observed=True).shift(fill_value=False)
        same_customer = w["customer_id"].eq(w["customer_id"].shift())
        leaves_pool = ~pooled & previous_pooled.astype(bool) & same_customer
        reason = w["reason"].astype("string")
        flags = {
            "into_pool": pooled,
            "released": pooled & reason.eq("released").fillna(False),
            "rep_left": pooled & reason.eq("rep_left").fillna(False),
            "out_of_pool": leaves_pool,
            "claimed": leaves_pool & reason.eq("claimed").fillna(False),
        }
        for name, mask in flags.items():
            out[name] = _per_period(w.loc[mask.to_numpy(dtype=bool), "valid_from"], edges)
        # pool size: each customer's last row before the period's end
        customer = ctx.customers.get_indexer(pd.Index(w["customer_id"].drop_duplicates()))
        customer = customer[customer >= 0]
        own = ctx.ownership_by_customer
        if own is None:  # pragma: no cover - the context indexes every ownership table
            raise ValueError("the feature context has no ownership index")
        sizes = []
        for stop in edges[1:]:
            row = own.last(customer, np.full(len(customer), to_ns(stop)))
            sizes.append(int(((row >= 0) & (own.value_at("rep", row, fill=0) < 0)).sum()))
        out["pool_size"] = np.asarray(sizes, dtype=float)
    if ctx.crm.orders is not None:
        revived = revivals(ctx)
        out["revivals"] = _per_period(revived["ordered_at"], edges)
        out["revivals_from_pool"] = _per_period(
            revived.loc[revived["from_pool"], "ordered_at"], edges
        )
        out["revival_value"] = _per_period(revived["ordered_at"], edges, revived["amount"])
    return out


def dormant_population(
    ctx: FeatureContext,
    as_of: pd.Timestamp | str | None = None,
    *,
    truth: Mapping[str, pd.DataFrame] | None = None,
    age_bins: Sequence[float] = AGE_BANDS,
    value_bins: Sequence[float] = VALUE_BANDS,
) -> pd.DataFrame:
    """Return the dormant customers at ``as_of`` with their age and value.

    Dormant is :func:`stagnation.labels.customer_population`: no order and no follow-up in the
    ``ctx.dormant_days`` days before ``as_of``; features come from
    :func:`stagnation.snapshots.features_at`, so only events strictly before ``as_of`` count.

    Parameters
    ----------
    ctx
        The indexed extract.
    as_of
        The moment (default :func:`stagnation.snapshots.data_end`, the day after the data).
    truth
        The simulator's truth: adds ``true_state`` (``dormant_revivable``, ``dormant_lost``,
        ``prospect``, ``active``) at the month end before ``as_of``.
    age_bins, value_bins
        Band edges (left-closed) of days since the last order and of lifetime order value.

    Returns
    -------
    pandas.DataFrame
        One row per dormant customer: ``customer_id``, ``as_of``, ``kind`` (``lapsed buyer`` or
        ``cold prospect``), ``days_since_last_order`` (NaN for prospects),
        ``days_since_last_touch``, ``orders_lifetime``, ``order_value_lifetime``, ``in_pool``
        (bool), ``age_band`` and ``value_band`` (categoricals; ``never ordered`` / ``none`` for
        prospects), then ``true_state`` when ``truth`` is given.
    """
    at = pd.Timestamp(as_of) if as_of is not None else data_end(ctx.crm)
    features = features_at(ctx, "customer", at, dormant_days=ctx.dormant_days)
    buyer = features["orders_lifetime"].fillna(0.0) > 0
    out = pd.DataFrame(
        {
            "customer_id": features["customer_id"],
            "as_of": features["as_of"],
            "kind": pd.Categorical(
                np.where(buyer, "lapsed buyer", "cold prospect"),
                categories=["lapsed buyer", "cold prospect"],
            ),
            "days_since_last_order": features["days_since_last_order"],
            "days_since_last_touch": features["days_since_last_touch"],
            "orders_lifetime": features["orders_lifetime"].fillna(0.0),
            "order_value_lifetime": features["order_value_lifetime"].fillna(0.0),
            "in_pool": features["in_pool"].fillna(0.0) > 0,
        }
    ).reset_index(drop=True)
    age = _band(out["days_since_last_order"], age_bins)
    out["age_band"] = _with_level(age, buyer.to_numpy(), "never ordered")
    value = _band(out["order_value_lifetime"], value_bins)
    out["value_band"] = _with_level(value, buyer.to_numpy(), "none")
    if truth is not None:
        months = truth["customer_months"]
        key = pd.MultiIndex.from_arrays(
            [out["customer_id"].to_numpy(), _month_before(out["as_of"])]
        )
        index = pd.MultiIndex.from_arrays(
            [months["customer_id"].astype("string").to_numpy(), to_ns(months["month"])]
        )
        state = pd.Series(months["state"].astype("string").to_numpy(), index=index)
        out["true_state"] = pd.array(state.reindex(key).to_numpy(), dtype="string")
    return out


def dormant_table(dormant: pd.DataFrame, columns: str = "value_band") -> pd.DataFrame:
    """Count the dormant customers by age band (rows) and ``columns`` (columns).

    Parameters
    ----------
    dormant
        As returned by :func:`dormant_population`.
    columns
        The second dimension: ``value_band`` (default), ``in_pool``, ``true_state``, ...

    Returns
    -------
    pandas.DataFrame
        Customer counts, rows ``age_band`` (days since the last order, ``never ordered`` last),
        one column per value of ``columns``, then ``all`` (customers in the row) and
        ``lifetime_value`` (their total lifetime order value, currency units); a last row
        ``all`` holds the column totals.
    """
    counts = pd.crosstab(dormant["age_band"], dormant[columns], dropna=False)
    counts.columns = pd.Index([str(c) for c in counts.columns], name=str(columns))
    counts["all"] = counts.sum(axis=1)
    value = dormant.groupby("age_band", observed=False)["order_value_lifetime"].sum()
    counts["lifetime_value"] = value.reindex(counts.index).fillna(0.0)
    counts.loc["all"] = counts.sum(axis=0)
    counts.index = pd.Index([str(i) for i in counts.index], name="age_band")
    return counts
