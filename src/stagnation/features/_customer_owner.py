"""Customer ownership features and the current owner's own signals.

Ownership history comes from ``FeatureContext.ownership_by_customer`` (each row: from
``valid_from`` on, the customer belongs to ``rep``, or sits in the pool when ``rep`` is -1).
The owner at ``as_of`` is :meth:`FeatureContext.owner_at` (the ownership table, else the rep of
the latest activity or credited order). The owner's signals say whether the rep holding the
customer is drifting into order-follower mode: its hunting share (hunting activities over all
its activities, as the rep family's ``hunting_share``) over 90 and 365 days, its recent
workload, whether it still works here, its tenure and how many customers it holds. Every
owner signal is NaN when nobody owns the customer.
"""

from __future__ import annotations

import numpy as np

from stagnation.features._context import REASONS, FeatureContext
from stagnation.features._customer_queries import (
    Queries,
    days_since_row,
    last_flagged,
    ratio,
)
from stagnation.features._definitions import (
    Change,
    FeatureDef,
    Row,
    Says,
    Wording,
    days,
    in_last,
    number,
)
from stagnation.features._wide import owner_totals
from stagnation.timeline import EventIndex, days_between, to_ns

_NO_HISTORY = "no ownership history"


def _owner_change(feature: FeatureDef, row: Row) -> str:
    x = number(row.get(feature.name))
    if x is None:
        return _NO_HISTORY
    where = "in the pool" if number(row.get("in_pool")) == 1.0 else "with the current owner"
    return f"{where} since less than a day" if round(x) < 1 else f"{where} for {days(x)}"


def _owned(says: Wording) -> Wording:
    """Owner signals are NaN when nobody owns the customer: say so instead."""

    def wording(feature: FeatureDef, row: Row) -> str:
        if number(row.get("has_owner")) == 0.0:
            return "no rep owns the customer"
        return says(feature, row)

    return wording


OWNERSHIP_FEATURES: tuple[FeatureDef, ...] = (
    FeatureDef(
        "owner_changes_lifetime",
        "times the customer passed to another rep or to the pool before as_of",
        "count",
        Says("changed hands {}", _NO_HISTORY, none="never changed hands", times=True),
    ),
    FeatureDef(
        "owner_changes_365d",
        "times the customer passed to another rep or to the pool in the last 365 days",
        "count",
        Says(
            f"changed hands {{}} {in_last(365)}",
            _NO_HISTORY,
            none=f"did not change hands {in_last(365)}",
            times=True,
        ),
    ),
    FeatureDef(
        "times_released",
        "times the customer was released to the pool",
        "count",
        Says(
            "released to the pool {} before",
            _NO_HISTORY,
            none="never released to the pool",
            times=True,
        ),
    ),
    FeatureDef(
        "times_claimed",
        "times a rep claimed the customer from the pool",
        "count",
        Says(
            "claimed from the pool {} before",
            _NO_HISTORY,
            none="never claimed from the pool",
            times=True,
        ),
    ),
    FeatureDef(
        "in_pool",
        "1 if the customer sits in the shared pool at as_of",
        "flag",
        Says(
            "sits in the shared pool", "pool status unknown", none="held by a rep, not in the pool"
        ),
    ),
    FeatureDef(
        "days_since_owner_change",
        "days since the customer passed to its current owner (or into the pool)",
        "days",
        _owner_change,
    ),
)

OWNER_FEATURES: tuple[FeatureDef, ...] = (
    FeatureDef(
        "has_owner",
        "1 if a rep owns the customer at as_of",
        "flag",
        Says("owned by a rep", "ownership unknown", none="no rep owns the customer"),
    ),
    *(
        FeatureDef(
            f"owner_hunting_share_{w}d",
            f"owner's hunting activities over all its activities, last {w} days",
            "share",
            _owned(
                Says(
                    f"owner's hunting share is {{}} over {w} days",
                    f"owner logged no activity {in_last(w)}",
                )
            ),
        )
        for w in (90, 365)
    ),
    FeatureDef(
        "owner_hunting_share_ratio",
        "owner's 90-day hunting share divided by its 365-day hunting share",
        "ratio",
        _owned(
            Change(
                "owner_hunting_share_365d",
                "owner_hunting_share_90d",
                "owner's hunting share",
                "from the 365-day to the 90-day level",
                otherwise=Says(
                    "owner's recent hunting share at {} its yearly level",
                    "owner has no hunting to compare with",
                ),
            )
        ),
    ),
    FeatureDef(
        "owner_activities_90d",
        "activities the owner logged in the last 90 days",
        "count",
        _owned(
            Says(
                f"owner logged {{}} activities {in_last(90)}",
                "owner's activity unknown",
                none=f"owner logged no activity {in_last(90)}",
                one=f"owner logged 1 activity {in_last(90)}",
            )
        ),
    ),
    FeatureDef(
        "owner_employed",
        "1 if the owner has not left the company before as_of",
        "flag",
        _owned(
            Says(
                "owner still with the company",
                "owner's employment unknown",
                none="owner has left the company",
            )
        ),
    ),
    FeatureDef(
        "owner_tenure_days",
        "days since the owner was hired",
        "days",
        _owned(
            Says(
                "owner with the company for {}",
                "owner's hiring date unknown",
                none="owner hired within the last day",
            )
        ),
    ),
    FeatureDef(
        "owner_book_size",
        "customers the owner holds at as_of",
        "count",
        _owned(
            Says(
                "owner holds {} customers",
                "owner's book unknown",
                none="owner holds no customers",
                one="owner holds 1 customer",
            )
        ),
    ),
)


def ownership_features(ctx: FeatureContext, q: Queries) -> dict[str, np.ndarray]:
    """Compute :data:`OWNERSHIP_FEATURES` for sorted queries (all NaN without ownership)."""
    idx = ctx.ownership_by_customer
    if idx is None:
        return {d.name: q.nan() for d in OWNERSHIP_FEATURES}
    c, at = q.customer, q.at
    rep = idx.column("rep")
    reason = idx.column("reason")
    first = np.arange(len(idx)) == idx.entity_start
    changed = np.zeros(len(idx), dtype=bool)
    changed[1:] = rep[1:] != rep[:-1]
    changed &= ~first  # a customer's first row gives it an owner; it changes nothing
    changes = EventIndex.prefix(changed)
    last = idx.last(c, at)
    holder_since = last_flagged(idx, changed | first, c, at)
    year_ago = idx.position(c, q.since(365))
    return {
        "owner_changes_lifetime": idx.total_before(changes, c, at),
        "owner_changes_365d": changes[idx.position(c, at)] - changes[year_ago],
        "times_released": idx.total_before(
            EventIndex.prefix(reason == REASONS.index("released")), c, at
        ),
        "times_claimed": idx.total_before(
            EventIndex.prefix(reason == REASONS.index("claimed")), c, at
        ),
        "in_pool": np.where(last >= 0, idx.value_at("rep", last, fill=0) < 0, np.nan),
        "days_since_owner_change": days_since_row(idx, holder_since, at),
    }


def owner_features(ctx: FeatureContext, q: Queries) -> dict[str, np.ndarray]:
    """Compute :data:`OWNER_FEATURES` of each customer's owner at ``as_of``.

    The owner's rep-level queries run sorted by (owner, ``as_of``) and are put back in query
    order; their totals come from :func:`~stagnation.features._wide.owner_totals`, or from the
    context's extract-wide inputs when it holds only a part of the customers.
    """
    owner = ctx.owner_at(q.customer, q.at)
    has = owner >= 0
    out = {d.name: q.nan() for d in OWNER_FEATURES}
    out["has_owner"] = has.astype(float)
    order = np.lexsort((q.at, owner))
    order = order[has[order]]  # owned queries, sorted by (owner, as_of)
    r, at = owner[order], q.at[order]

    totals = (
        ctx.wide.lookup(ctx.reps.to_numpy()[r], at)
        if ctx.wide is not None
        else owner_totals(ctx, r, at)
    )
    if ctx.activities_by_rep is not None:
        share = {w: ratio(totals[f"hunting_{w}d"], totals[f"activities_{w}d"]) for w in (90, 365)}
        out["owner_hunting_share_90d"][order] = share[90]
        out["owner_hunting_share_365d"][order] = share[365]
        out["owner_hunting_share_ratio"][order] = ratio(share[90], share[365])
        out["owner_activities_90d"][order] = totals["activities_90d"]

    reps = ctx.crm.reps
    if reps is not None:
        left = to_ns(reps["left_at"])[r]
        gone = ~np.isnat(left) & (left < to_ns(at))  # an attribute: left strictly before as_of
        out["owner_employed"][order] = (~gone).astype(float)
        out["owner_tenure_days"][order] = days_between(at, to_ns(reps["hired_at"])[r])

    if ctx.ownership_by_rep is not None:
        out["owner_book_size"][order] = totals["gained"] - totals["lost"]
    return out
