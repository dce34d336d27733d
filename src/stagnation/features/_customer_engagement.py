"""Customer engagement features: touches (activities) and opportunity history.

Touches come from ``FeatureContext.activities_by_customer``, whose events already carry their
kind at their own moment: ``outbound`` (the rep reached out), ``inbound`` (the customer did) and
``hunting`` (an outbound touch while the customer was a prospect or dormant, an attempt to win
it back). Opportunities come from two indexes over the same rows: by ``created_at`` (opened) and
by ``closed_at`` (won or lost); an opportunity is open at ``as_of`` when it was created before
``as_of`` and not closed before it.

Without an ``activities`` (``opportunities``) table every touch (opportunity) feature is NaN:
the extract cannot tell "never touched" from "not recorded".
"""

from __future__ import annotations

import numpy as np

from stagnation.features._context import FeatureContext
from stagnation.features._customer_queries import (
    Queries,
    days_since_row,
    last_flagged,
    ratio,
)
from stagnation.features._definitions import FeatureDef, Says, in_last
from stagnation.timeline import WINDOWS, to_ns

#: Windows of the outbound / inbound / hunting touch counts.
MIX_WINDOWS = (90, 365)
_NO_ACTIVITIES = "no activity records"
_NO_OPPORTUNITIES = "no opportunity records"

TOUCH_FEATURES: tuple[FeatureDef, ...] = (
    FeatureDef(
        "days_since_last_touch",
        "days since any activity on the customer",
        "days",
        Says("no contact for {}", "no contact", none="contacted within the last day"),
    ),
    FeatureDef(
        "days_since_last_outbound_touch",
        "days since a rep last reached out to the customer",
        "days",
        Says(
            "no outbound touch for {}",
            "never contacted by a rep",
            none="outbound touch within the last day",
        ),
    ),
    FeatureDef(
        "days_since_last_inbound_touch",
        "days since the customer last reached out",
        "days",
        Says(
            "customer last reached out {} ago",
            "customer never reached out",
            none="customer reached out within the last day",
        ),
    ),
    *(
        FeatureDef(
            f"touches_{w}d",
            f"activities on the customer in the last {w} days",
            "count",
            Says(
                f"{{}} contacts {in_last(w)}",
                _NO_ACTIVITIES,
                none=f"no contact {in_last(w)}",
                one=f"1 contact {in_last(w)}",
            ),
        )
        for w in WINDOWS
    ),
    FeatureDef(
        "touches_lifetime",
        "activities on the customer before as_of",
        "count",
        Says("{} contacts in all", "no contact", none="never contacted", one="1 contact in all"),
    ),
    *(
        FeatureDef(
            f"outbound_touches_{w}d",
            f"activities where a rep reached out, last {w} days",
            "count",
            Says(
                f"reps reached out {{}} {in_last(w)}",
                _NO_ACTIVITIES,
                none=f"no rep reached out {in_last(w)}",
                times=True,
            ),
        )
        for w in MIX_WINDOWS
    ),
    *(
        FeatureDef(
            f"inbound_touches_{w}d",
            f"activities where the customer reached out, last {w} days",
            "count",
            Says(
                f"customer reached out {{}} {in_last(w)}",
                _NO_ACTIVITIES,
                none=f"customer did not reach out {in_last(w)}",
                times=True,
            ),
        )
        for w in MIX_WINDOWS
    ),
    *(
        FeatureDef(
            f"hunting_touches_{w}d",
            f"outbound activities while the customer was a prospect or dormant, last {w} days",
            "count",
            Says(
                f"{{}} win-back attempts {in_last(w)}",
                _NO_ACTIVITIES,
                none=f"no win-back attempt {in_last(w)}",
                one=f"1 win-back attempt {in_last(w)}",
            ),
        )
        for w in MIX_WINDOWS
    ),
    FeatureDef(
        "inbound_touch_share_365d",
        "share of the last 365 days' activities that were inbound",
        "share",
        Says(
            f"{{}} of contacts {in_last(365)} came from the customer", f"no contact {in_last(365)}"
        ),
    ),
    FeatureDef(
        "outbound_touches_since_last_order",
        "outbound activities since the last order (since the start, for customers who never "
        "ordered)",
        "count",
        Says(
            "reps reached out {} since the last order",
            _NO_ACTIVITIES,
            none="no outreach since the last order",
            times=True,
        ),
    ),
)

#: The phrase of the open opportunities (a customer's, or a rep's in the rep family).
OPEN_OPPORTUNITIES = Says(
    "{} open opportunities", _NO_OPPORTUNITIES, none="no open opportunity", one="1 open opportunity"
)

OPPORTUNITY_FEATURES: tuple[FeatureDef, ...] = (
    FeatureDef(
        "opportunities_lifetime",
        "opportunities opened before as_of",
        "count",
        Says(
            "{} opportunities in all",
            _NO_OPPORTUNITIES,
            none="never had an opportunity",
            one="1 opportunity in all",
        ),
    ),
    FeatureDef(
        "opportunities_365d",
        "opportunities opened in the last 365 days",
        "count",
        Says(
            f"{{}} opportunities opened {in_last(365)}",
            _NO_OPPORTUNITIES,
            none=f"no opportunity opened {in_last(365)}",
            one=f"1 opportunity opened {in_last(365)}",
        ),
    ),
    FeatureDef(
        "opportunities_won",
        "opportunities won before as_of",
        "count",
        Says(
            "{} opportunities won",
            _NO_OPPORTUNITIES,
            none="no opportunity won",
            one="1 opportunity won",
        ),
    ),
    FeatureDef(
        "opportunities_lost",
        "opportunities lost before as_of",
        "count",
        Says(
            "{} opportunities lost",
            _NO_OPPORTUNITIES,
            none="no opportunity lost",
            one="1 opportunity lost",
        ),
    ),
    FeatureDef(
        "opportunity_win_rate",
        "share of the opportunities closed before as_of that were won",
        "share",
        Says("won {} of its closed opportunities", "no closed opportunity"),
    ),
    FeatureDef(
        "open_opportunities",
        "opportunities opened and not yet closed",
        "count",
        OPEN_OPPORTUNITIES,
    ),
    FeatureDef(
        "open_opportunity_value",
        "amount of the opportunities still open",
        "money",
        Says("open opportunities worth {}", _NO_OPPORTUNITIES, none="no open opportunity value"),
    ),
    FeatureDef(
        "days_since_last_opportunity",
        "days since the last opportunity was opened",
        "days",
        Says(
            "last opportunity opened {} ago",
            "never had an opportunity",
            none="opportunity opened within the last day",
        ),
    ),
    FeatureDef(
        "days_since_last_won_opportunity",
        "days since an opportunity was last won",
        "days",
        Says(
            "last opportunity won {} ago",
            "never won an opportunity",
            none="opportunity won within the last day",
        ),
    ),
)


def touch_features(ctx: FeatureContext, q: Queries) -> dict[str, np.ndarray]:
    """Compute :data:`TOUCH_FEATURES` for sorted queries (all NaN without activities)."""
    idx = ctx.activities_by_customer
    if idx is None:
        return {d.name: q.nan() for d in TOUCH_FEATURES}
    c, at = q.customer, q.at
    out: dict[str, np.ndarray] = {}
    out["days_since_last_touch"] = days_since_row(idx, idx.last(c, at), at)
    for kind in ("outbound", "inbound"):
        last = last_flagged(idx, idx.column(kind) > 0, c, at)
        out[f"days_since_last_{kind}_touch"] = days_since_row(idx, last, at)
    for w in WINDOWS:
        out[f"touches_{w}d"] = idx.count(c, q.since(w), at).astype(float)
    out["touches_lifetime"] = idx.count_before(c, at).astype(float)
    for kind in ("outbound", "inbound", "hunting"):
        for w in MIX_WINDOWS:
            out[f"{kind}_touches_{w}d"] = idx.total(kind, c, q.since(w), at)
    out["inbound_touch_share_365d"] = ratio(out["inbound_touches_365d"], out["touches_365d"])

    since = q.lifetime()
    orders = ctx.orders_by_customer
    if orders is not None:
        last_order = orders.time_at(orders.last(c, at))
        since = np.where(np.isnat(last_order), since, to_ns(last_order))
    out["outbound_touches_since_last_order"] = idx.total("outbound", c, since, at)
    return {d.name: out[d.name] for d in TOUCH_FEATURES}


def opportunity_features(ctx: FeatureContext, q: Queries) -> dict[str, np.ndarray]:
    """Compute :data:`OPPORTUNITY_FEATURES` for sorted queries (all NaN without the table)."""
    opened, closed = ctx.opportunities_created, ctx.opportunities_closed
    if opened is None or closed is None:
        return {d.name: q.nan() for d in OPPORTUNITY_FEATURES}
    c, at = q.customer, q.at
    out: dict[str, np.ndarray] = {}
    n_opened = opened.count_before(c, at).astype(float)
    out["opportunities_lifetime"] = n_opened
    out["opportunities_365d"] = opened.count(c, q.since(365), at).astype(float)
    won = closed.total("won", c, q.lifetime(), at)
    lost = closed.total("lost", c, q.lifetime(), at)
    out["opportunities_won"], out["opportunities_lost"] = won, lost
    out["opportunity_win_rate"] = ratio(won, won + lost)
    # closed_at >= created_at, so every opportunity closed before as_of was opened before it
    out["open_opportunities"] = n_open = n_opened - closed.count_before(c, at)
    value = opened.total("amount", c, q.lifetime(), at) - closed.total(
        "amount", c, q.lifetime(), at
    )
    out["open_opportunity_value"] = np.where(n_open > 0, value, 0.0)  # no rounding residue
    out["days_since_last_opportunity"] = days_since_row(opened, opened.last(c, at), at)
    last_won = last_flagged(closed, closed.column("won") > 0, c, at)
    out["days_since_last_won_opportunity"] = days_since_row(closed, last_won, at)
    return {d.name: out[d.name] for d in OPPORTUNITY_FEATURES}
