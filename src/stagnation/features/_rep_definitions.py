"""Rep feature definitions: each rep feature's name, description, unit and reason phrase.

The computations live in :mod:`._rep` (activity and trend) and :mod:`._rep_book` (book, pool,
pipeline, tenure); a feature is defined here once, with the words a sales manager reads in the
reasons of the action list (:class:`~stagnation.features._definitions.FeatureDef`).
"""

from __future__ import annotations

from collections.abc import Callable

from stagnation.features._customer_engagement import OPEN_OPPORTUNITIES
from stagnation.features._definitions import (
    Change,
    FeatureDef,
    Row,
    Says,
    Wording,
    in_last,
    number,
    pct,
)
from stagnation.timeline import WINDOWS

#: Channels whose 90-day share is a feature.
MIX_CHANNELS = ("call", "visit", "message")


def _windowed(
    prefix_: str, what: str, says: Callable[[int], Wording], unit: str = "count"
) -> tuple[FeatureDef, ...]:
    return tuple(
        FeatureDef(f"{prefix_}_{w}d", f"{what} in the {w} days before as_of", unit, says(w))
        for w in WINDOWS
    )


def _counted(one: str, many: str, none: str, missing: str) -> Callable[[int], Wording]:
    """Say a windowed count with a singular and a plural noun: "1 hunting activity in ..."."""
    return lambda w: Says(
        f"{{}} {many} {in_last(w)}",
        missing,
        none=f"{none} {in_last(w)}",
        one=f"1 {one} {in_last(w)}",
    )


def _slope(feature: FeatureDef, row: Row) -> str:
    x = number(row.get(feature.name))
    if x is None:
        return "too few activities to compare the last two quarters' hunting"
    points = round(abs(x) * 100)
    if points == 0:
        return "hunting share flat against the previous 90 days"
    verb = "fell" if x < 0 else "rose"
    a, b = number(row.get("hunting_share_prev_90d")), number(row.get("hunting_share_90d"))
    detail = f" ({pct(a)} to {pct(b)})" if a is not None and b is not None else ""
    unit = "point" if points == 1 else "points"
    return f"hunting share {verb} {points} {unit} against the previous 90 days{detail}"


_ACTS = "no activity records"
_SHARE_OF_YEAR = "of the revenue in the last 365 days"
_NO_YEAR_REVENUE = "no revenue in the last 365 days"


REP_FEATURES: tuple[FeatureDef, ...] = (
    *_windowed(
        "activities",
        "activities (follow-up records) of the rep",
        _counted("activity", "activities", "no activity", _ACTS),
    ),
    *_windowed(
        "hunting_activities",
        "outbound activities on prospects or dormant customers",
        _counted("hunting activity", "hunting activities", "no hunting activity", _ACTS),
    ),
    *_windowed(
        "farming_activities",
        "outbound activities on active (buying) customers",
        _counted(
            "farming touch on buying customers",
            "farming touches on buying customers",
            "no farming touch on buying customers",
            _ACTS,
        ),
    ),
    *_windowed(
        "inbound_activities",
        "inbound activities (the customer reached out)",
        _counted(
            "inbound contact from customers",
            "inbound contacts from customers",
            "no inbound contact from customers",
            _ACTS,
        ),
    ),
    *_windowed(
        "outbound_activities",
        "outbound activities (hunting plus farming)",
        _counted("outbound activity", "outbound activities", "no outbound activity", _ACTS),
    ),
    *_windowed(
        "hunting_share",
        "hunting activities / all activities",
        lambda w: Says(f"hunting share is {{}} {in_last(w)}", f"no activities {in_last(w)}"),
        "share",
    ),
    *(
        FeatureDef(
            f"inbound_share_{w}d",
            f"inbound activities / all activities, {w} days",
            "share",
            Says(f"{{}} of activities inbound {in_last(w)}", f"no activities {in_last(w)}"),
        )
        for w in (90, 365)
    ),
    FeatureDef(
        "hunting_share_ratio_30d_90d",
        "hunting share 30 days / hunting share 90 days",
        "ratio",
        Says(
            "hunting share of the last 30 days at {} the 90-day level",
            "no hunting in the last 90 days to compare with",
        ),
    ),
    FeatureDef(
        "hunting_share_ratio_90d_365d",
        "hunting share 90 days / hunting share 365 days",
        "ratio",
        Says(
            "hunting share of the last 90 days at {} the 365-day level",
            "no hunting in the last 365 days to compare with",
        ),
    ),
    FeatureDef(
        "hunting_share_prev_90d",
        "hunting share in the 90 days before the last 90 ([as_of-180d, as_of-90d))",
        "share",
        Says(
            "hunting share was {} in the 90 days before the last 90",
            "no activities in the 90 days before the last 90",
        ),
    ),
    FeatureDef(
        "hunting_share_slope_90d",
        "hunting share of the last 90 days minus that of the 90 days before",
        "share",
        _slope,
    ),
    FeatureDef(
        "hunting_share_own_past",
        "hunting share in [as_of-365d, as_of-90d), the rep's own past",
        "share",
        Says(
            "hunting share was {} in the 9 months before the last 90 days",
            "no activities in the 9 months before the last 90 days",
        ),
    ),
    FeatureDef(
        "hunting_share_vs_own_past",
        "hunting share 90 days / the rep's own past share",
        "ratio",
        Change(
            "hunting_share_own_past",
            "hunting_share_90d",
            "hunting share",
            "in 90 days",
            otherwise=Says(
                "hunting share at {} of the rep's own past", "no past hunting to compare with"
            ),
        ),
    ),
    FeatureDef(
        "activity_rate_ratio_90d_365d",
        "activities per day over 90 days / per day over 365 days",
        "ratio",
        Says(
            "activity pace of the last 90 days at {} the yearly pace",
            "no activities in the last 365 days",
        ),
    ),
    FeatureDef(
        "hunting_rate_ratio_90d_365d",
        "hunting activities per day over 90 days / per day over 365 days",
        "ratio",
        Says(
            "hunting pace of the last 90 days at {} the yearly pace",
            "no hunting in the last 365 days",
        ),
    ),
    *(
        FeatureDef(
            f"{c}_share_90d",
            f"{c} activities / all activities, 90 days",
            "share",
            Says(f"{c}s are {{}} of activities {in_last(90)}", f"no activities {in_last(90)}"),
        )
        for c in MIX_CHANNELS
    ),
    FeatureDef(
        "customers_touched_90d",
        "distinct customers with an activity of the rep in 90 days",
        "count",
        Says(
            f"worked {{}} customers {in_last(90)}",
            _ACTS,
            none=f"worked no customer {in_last(90)}",
            one=f"worked 1 customer {in_last(90)}",
        ),
    ),
    FeatureDef(
        "days_since_last_activity",
        "days from the rep's last activity to as_of",
        "days",
        Says(
            "no activity logged for {}",
            "no activity ever logged",
            none="last activity within the last day",
        ),
    ),
    FeatureDef(
        "days_since_last_hunting",
        "days from the rep's last hunting activity to as_of",
        "days",
        Says(
            "no hunting activity for {}",
            "no hunting activity on record",
            none="last hunting activity within the last day",
        ),
    ),
    FeatureDef(
        "orders_90d",
        "orders credited to the rep in 90 days",
        "count",
        Says(
            f"{{}} orders credited {in_last(90)}",
            "no order records",
            none=f"no order credited {in_last(90)}",
            one=f"1 order credited {in_last(90)}",
        ),
    ),
    *(
        FeatureDef(
            f"book_revenue_{w}d",
            f"revenue of orders credited to the rep in {w} days",
            "money",
            Says(
                f"book revenue {{}} {in_last(w)}",
                "no order records",
                none=f"no credited revenue {in_last(w)}",
            ),
        )
        for w in (90, 365)
    ),
    FeatureDef(
        "book_revenue_vs_peers_365d",
        "365-day credited revenue / the median over employed reps with revenue at the same as_of",
        "ratio",
        Says("book revenue {} the team median", "no revenue to compare with the team"),
    ),
    *_windowed(
        "new_customers_won",
        "customers whose first order ever was credited to the rep",
        lambda w: Says(
            f"won {{}} new customers {in_last(w)}",
            "no order records",
            none=f"no new customer won {in_last(w)}",
            one=f"won 1 new customer {in_last(w)}",
        ),
    ),
    FeatureDef(
        "days_since_last_new_customer",
        "days from the rep's last new-customer win to as_of",
        "days",
        Says(
            "no new customer won for {}",
            "never won a new customer",
            none="won a new customer within the last day",
        ),
    ),
    FeatureDef(
        "top1_customer_revenue_share_365d",
        "share of 365-day credited revenue from the rep's biggest customer",
        "share",
        Says(f"biggest customer brings {{}} {_SHARE_OF_YEAR}", _NO_YEAR_REVENUE),
    ),
    FeatureDef(
        "top5_customer_revenue_share_365d",
        "share of 365-day credited revenue from the rep's five biggest customers",
        "share",
        Says(f"five biggest customers bring {{}} {_SHARE_OF_YEAR}", _NO_YEAR_REVENUE),
    ),
    FeatureDef(
        "repeat_revenue_share_365d",
        "share of 365-day credited revenue from orders of customers who had ordered before",
        "share",
        Says(f"repeat orders bring {{}} {_SHARE_OF_YEAR}", _NO_YEAR_REVENUE),
    ),
    FeatureDef(
        "referral_revenue_share_365d",
        "share of 365-day credited revenue from customers whose source is referral",
        "share",
        Says(f"referred customers bring {{}} {_SHARE_OF_YEAR}", _NO_YEAR_REVENUE),
    ),
    FeatureDef(
        "book_customers",
        "customers owned by the rep just before as_of",
        "count",
        Says(
            "holds {} customers",
            "book size unknown",
            none="holds no customers",
            one="holds 1 customer",
        ),
    ),
    FeatureDef(
        "book_customers_vs_peers",
        "customers owned / the median over employed reps with a book at the same as_of",
        "ratio",
        Says("book of customers {} the team median", "no book to compare with the team"),
    ),
    *(
        FeatureDef(
            f"pool_claims_{w}d",
            f"customers the rep claimed from the pool in {w} days",
            "count",
            Says(
                f"claimed {{}} customers from the pool {in_last(w)}",
                "no pool records",
                none=f"claimed no customer from the pool {in_last(w)}",
                one=f"claimed 1 customer from the pool {in_last(w)}",
            ),
        )
        for w in (90, 365)
    ),
    *(
        FeatureDef(
            f"pool_releases_{w}d",
            f"customers released from the rep to the pool in {w} days",
            "count",
            Says(
                f"{{}} customers released to the pool {in_last(w)}",
                "no pool records",
                none=f"no customer released to the pool {in_last(w)}",
                one=f"1 customer released to the pool {in_last(w)}",
            ),
        )
        for w in (90, 365)
    ),
    FeatureDef(
        "open_opportunities",
        "opportunities of the rep created and not yet closed",
        "count",
        OPEN_OPPORTUNITIES,
    ),
    FeatureDef(
        "opportunities_created_90d",
        "opportunities the rep created in 90 days",
        "count",
        Says(
            f"opened {{}} opportunities {in_last(90)}",
            "no opportunity records",
            none=f"opened no opportunity {in_last(90)}",
            one=f"opened 1 opportunity {in_last(90)}",
        ),
    ),
    FeatureDef(
        "opportunities_won_365d",
        "opportunities of the rep won in 365 days",
        "count",
        Says(
            f"won {{}} opportunities {in_last(365)}",
            "no opportunity records",
            none=f"won no opportunity {in_last(365)}",
            one=f"won 1 opportunity {in_last(365)}",
        ),
    ),
    FeatureDef(
        "tenure_years",
        "years from the rep's hiring to as_of",
        "years",
        Says("{} years with the company", "tenure unknown"),
    ),
)

_T_MODEL_PHRASES = {
    "prospecting": "still prospecting: no revenue and no open deal",
    "negotiating": "negotiating first deals, no revenue yet",
    "qualified": "newly qualified: revenue in the first year",
    "maintaining": "maintaining stage: serves accounts between bouts of hunting",
    "deepening": "deepening stage: lives off repeat orders of the book",
}


def _t_model_says(feature: FeatureDef, row: Row) -> str:
    stage = row.get(feature.name)
    return _T_MODEL_PHRASES.get(str(stage), "T-model stage unknown")


#: The rep's descriptive categorical, returned after the numeric features.
REP_CATEGORICALS: tuple[FeatureDef, ...] = (
    FeatureDef(
        "t_model_stage",
        "the rep's stage in the T-model, by a fixed descriptive rule (see t_model_stage)",
        "category",
        _t_model_says,
    ),
)
