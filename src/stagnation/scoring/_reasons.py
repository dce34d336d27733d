"""Reasons in plain words: the features that pushed a row's score up, rendered with their values.

A scored row's reasons are the ``k`` features with the largest positive LightGBM contributions
(``pred_contrib``), one per topic (:func:`reason_topic`: the 30- and 90-day hunting shares would
say the same thing twice), each turned into the phrase a sales manager would say, with the value:
"no outbound touch for 143 days", "ordered 12 times in the last 365 days", "hunting share fell
from 41% to 9% in 90 days". :data:`PHRASES` holds one phrase builder per feature of
:data:`~stagnation.features.REP_FEATURES` and :data:`~stagnation.features.CUSTOMER_FEATURES` (plus
the categoricals); a builder reads the whole row, so a phrase may combine two features.

Values are rounded for reading: days and counts as integers, shares as whole percentages, money
with thousands separators and no decimals, ratios and years to one decimal. A missing value
(NaN) gets a phrase of its own ("never ordered"), never "nan"; no phrase shows an internal name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from stagnation.timeline import WINDOWS

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


# --------------------------------------------------------------------------- value formatting


def _num(value: Any) -> float | None:
    """Return ``value`` as a finite float, or None when it is missing or not a number."""
    if value is None or isinstance(value, str):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _int(x: float) -> str:
    return f"{round(x):,}"


def _plural(x: float, one: str, many: str) -> str:
    n = round(x)
    return f"{n:,} {one if n == 1 else many}"


def _days(x: float) -> str:
    return _plural(x, "day", "days")


def _pct(x: float) -> str:
    return f"{round(x * 100)}%"


def _money(x: float) -> str:
    return f"{x:,.0f}"


def _ratio(x: float) -> str:
    return f"{x:.1f}x"


def _window(days: int) -> str:
    return f"in the last {days} days"


def _times(x: float) -> str:
    n = round(x)
    return {1: "once", 2: "twice"}.get(n, f"{n:,} times")


# --------------------------------------------------------------------------- phrase factories


def _since(name: str, gap: str, recent: str, never: str) -> Phrase:
    """Days since an event: ``gap`` has one ``{}`` for "143 days"; ``recent`` when under a day."""

    def phrase(row: Row) -> str:
        x = _num(row.get(name))
        if x is None:
            return never
        return recent if round(x) < 1 else gap.format(_days(x))

    return phrase


def _count(name: str, some: str, none: str, missing: str) -> Phrase:
    """A count: ``some`` has one ``{}`` for the number; ``none`` when it is 0."""

    def phrase(row: Row) -> str:
        x = _num(row.get(name))
        if x is None:
            return missing
        return none if round(x) == 0 else some.format(_int(x))

    return phrase


def _counted(name: str, one: str, many: str, none: str, missing: str) -> Phrase:
    """A count with a singular/plural noun: "1 open opportunity", "3 open opportunities"."""

    def phrase(row: Row) -> str:
        x = _num(row.get(name))
        if x is None:
            return missing
        return none if round(x) == 0 else (one if round(x) == 1 else many).format(_int(x))

    return phrase


def _often(name: str, some: str, none: str, missing: str) -> Phrase:
    """A count said as "once", "twice", "12 times": ``some`` has one ``{}``."""

    def phrase(row: Row) -> str:
        x = _num(row.get(name))
        if x is None:
            return missing
        return none if round(x) == 0 else some.format(_times(x))

    return phrase


def _value(name: str, template: str, missing: str, fmt: Callable[[float], str]) -> Phrase:
    """Any value rendered by ``fmt`` into ``template`` (one ``{}``)."""

    def phrase(row: Row) -> str:
        x = _num(row.get(name))
        return missing if x is None else template.format(fmt(x))

    return phrase


def _money_in(name: str, some: str, none: str, missing: str) -> Phrase:
    def phrase(row: Row) -> str:
        x = _num(row.get(name))
        if x is None:
            return missing
        return none if round(x) == 0 else some.format(_money(x))

    return phrase


def _flag(name: str, yes: str, no: str, missing: str) -> Phrase:
    def phrase(row: Row) -> str:
        x = _num(row.get(name))
        return missing if x is None else (yes if x >= 0.5 else no)

    return phrase


def _change(
    name: str, before: str, after: str, what: str, span: str, fallback: Phrase | None = None
) -> Phrase:
    """A share then and now, "hunting share fell from 41% to 9% in 90 days"."""

    def phrase(row: Row) -> str:
        a, b = _num(row.get(before)), _num(row.get(after))
        if a is None or b is None:
            return fallback(row) if fallback else f"{what} cannot be compared {span}"
        if round(a * 100) == round(b * 100):
            return f"{what} unchanged at {_pct(b)} {span}"
        return f"{what} {'fell' if b < a else 'rose'} from {_pct(a)} to {_pct(b)} {span}"

    phrase.__name__ = name
    return phrase


def _owner(phrase: Phrase) -> Phrase:
    """Owner signals are NaN when nobody owns the customer: say so instead."""

    def wrapped(row: Row) -> str:
        if _num(row.get("has_owner")) == 0.0:
            return "no rep owns the customer"
        return phrase(row)

    return wrapped


def _category(name: str, template: str, missing: str) -> Phrase:
    def phrase(row: Row) -> str:
        value = row.get(name)
        if value is None or (not isinstance(value, str) and _is_missing(value)):
            return missing
        return template.format(str(value).replace("_", " "))

    return phrase


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- rep phrases

_T_MODEL = {
    "prospecting": "still prospecting: no revenue and no open deal",
    "negotiating": "negotiating first deals, no revenue yet",
    "qualified": "newly qualified: revenue in the first year",
    "maintaining": "maintaining stage: serves accounts between bouts of hunting",
    "deepening": "deepening stage: lives off repeat orders of the book",
}


def _t_model_stage(row: Row) -> str:
    stage = row.get("t_model_stage")
    return (
        _T_MODEL.get(str(stage), "T-model stage unknown")
        if stage is not None
        else ("T-model stage unknown")
    )


def _rep_orders_90d(row: Row) -> str:
    # the name is shared: credited orders of a rep, or orders a customer placed
    if "book_revenue_90d" in row:
        return _counted(
            "orders_90d",
            "1 order credited in the last 90 days",
            "{} orders credited in the last 90 days",
            "no order credited in the last 90 days",
            "no order records",
        )(row)
    return _CUSTOMER_ORDERS[90](row)


def _rep_phrases() -> dict[str, Phrase]:
    p: dict[str, Phrase] = {}
    kinds = {
        "activities": ("activity", "activities", "no activity"),
        "hunting_activities": ("hunting activity", "hunting activities", "no hunting activity"),
        "farming_activities": (
            "farming touch on buying customers",
            "farming touches on buying customers",
            "no farming touch on buying customers",
        ),
        "inbound_activities": (
            "inbound contact from customers",
            "inbound contacts from customers",
            "no inbound contact from customers",
        ),
        "outbound_activities": (
            "outbound activity",
            "outbound activities",
            "no outbound activity",
        ),
    }
    for prefix, (one, many, none) in kinds.items():
        for w in WINDOWS:
            p[f"{prefix}_{w}d"] = _counted(
                f"{prefix}_{w}d",
                f"1 {one} {_window(w)}",
                f"{{}} {many} {_window(w)}",
                f"{none} {_window(w)}",
                "no activity records",
            )
    for w in WINDOWS:
        p[f"hunting_share_{w}d"] = _value(
            f"hunting_share_{w}d",
            f"hunting share is {{}} {_window(w)}",
            f"no activities {_window(w)}",
            _pct,
        )
    for w in (90, 365):
        p[f"inbound_share_{w}d"] = _value(
            f"inbound_share_{w}d",
            f"{{}} of activities inbound {_window(w)}",
            f"no activities {_window(w)}",
            _pct,
        )
    p["hunting_share_ratio_30d_90d"] = _value(
        "hunting_share_ratio_30d_90d",
        "hunting share of the last 30 days at {} the 90-day level",
        "no hunting in the last 90 days to compare with",
        _ratio,
    )
    p["hunting_share_ratio_90d_365d"] = _value(
        "hunting_share_ratio_90d_365d",
        "hunting share of the last 90 days at {} the 365-day level",
        "no hunting in the last 365 days to compare with",
        _ratio,
    )
    p["hunting_share_prev_90d"] = _value(
        "hunting_share_prev_90d",
        "hunting share was {} in the 90 days before the last 90",
        "no activities in the 90 days before the last 90",
        _pct,
    )
    p["hunting_share_slope_90d"] = _slope
    p["hunting_share_own_past"] = _value(
        "hunting_share_own_past",
        "hunting share was {} in the 9 months before the last 90 days",
        "no activities in the 9 months before the last 90 days",
        _pct,
    )
    p["hunting_share_vs_own_past"] = _change(
        "hunting_share_vs_own_past",
        "hunting_share_own_past",
        "hunting_share_90d",
        "hunting share",
        "in 90 days",
        _value(
            "hunting_share_vs_own_past",
            "hunting share at {} of the rep's own past",
            "no past hunting to compare with",
            _ratio,
        ),
    )
    p["activity_rate_ratio_90d_365d"] = _value(
        "activity_rate_ratio_90d_365d",
        "activity pace of the last 90 days at {} the yearly pace",
        "no activities in the last 365 days",
        _ratio,
    )
    p["hunting_rate_ratio_90d_365d"] = _value(
        "hunting_rate_ratio_90d_365d",
        "hunting pace of the last 90 days at {} the yearly pace",
        "no hunting in the last 365 days",
        _ratio,
    )
    for channel, noun in (("call", "calls"), ("visit", "visits"), ("message", "messages")):
        p[f"{channel}_share_90d"] = _value(
            f"{channel}_share_90d",
            f"{noun} are {{}} of activities {_window(90)}",
            f"no activities {_window(90)}",
            _pct,
        )
    p["customers_touched_90d"] = _counted(
        "customers_touched_90d",
        f"worked 1 customer {_window(90)}",
        f"worked {{}} customers {_window(90)}",
        f"worked no customer {_window(90)}",
        "no activity records",
    )
    p["days_since_last_activity"] = _since(
        "days_since_last_activity",
        "no activity logged for {}",
        "last activity within the last day",
        "no activity ever logged",
    )
    p["days_since_last_hunting"] = _since(
        "days_since_last_hunting",
        "no hunting activity for {}",
        "last hunting activity within the last day",
        "no hunting activity on record",
    )
    p["orders_90d"] = _rep_orders_90d
    for w in (90, 365):
        p[f"book_revenue_{w}d"] = _money_in(
            f"book_revenue_{w}d",
            f"book revenue {{}} {_window(w)}",
            f"no credited revenue {_window(w)}",
            "no order records",
        )
    p["book_revenue_vs_peers_365d"] = _value(
        "book_revenue_vs_peers_365d",
        "book revenue {} the team median",
        "no revenue to compare with the team",
        _ratio,
    )
    for w in WINDOWS:
        p[f"new_customers_won_{w}d"] = _counted(
            f"new_customers_won_{w}d",
            f"won 1 new customer {_window(w)}",
            f"won {{}} new customers {_window(w)}",
            f"no new customer won {_window(w)}",
            "no order records",
        )
    p["days_since_last_new_customer"] = _since(
        "days_since_last_new_customer",
        "no new customer won for {}",
        "won a new customer within the last day",
        "never won a new customer",
    )
    year_revenue = "of the revenue in the last 365 days"
    p["top1_customer_revenue_share_365d"] = _value(
        "top1_customer_revenue_share_365d",
        f"biggest customer brings {{}} {year_revenue}",
        "no revenue in the last 365 days",
        _pct,
    )
    p["top5_customer_revenue_share_365d"] = _value(
        "top5_customer_revenue_share_365d",
        f"five biggest customers bring {{}} {year_revenue}",
        "no revenue in the last 365 days",
        _pct,
    )
    p["repeat_revenue_share_365d"] = _value(
        "repeat_revenue_share_365d",
        f"repeat orders bring {{}} {year_revenue}",
        "no revenue in the last 365 days",
        _pct,
    )
    p["referral_revenue_share_365d"] = _value(
        "referral_revenue_share_365d",
        f"referred customers bring {{}} {year_revenue}",
        "no revenue in the last 365 days",
        _pct,
    )
    p["book_customers"] = _counted(
        "book_customers",
        "holds 1 customer",
        "holds {} customers",
        "holds no customers",
        "book size unknown",
    )
    p["book_customers_vs_peers"] = _value(
        "book_customers_vs_peers",
        "book of customers {} the team median",
        "no book to compare with the team",
        _ratio,
    )
    for w in (90, 365):
        p[f"pool_claims_{w}d"] = _counted(
            f"pool_claims_{w}d",
            f"claimed 1 customer from the pool {_window(w)}",
            f"claimed {{}} customers from the pool {_window(w)}",
            f"claimed no customer from the pool {_window(w)}",
            "no pool records",
        )
        p[f"pool_releases_{w}d"] = _counted(
            f"pool_releases_{w}d",
            f"1 customer released to the pool {_window(w)}",
            f"{{}} customers released to the pool {_window(w)}",
            f"no customer released to the pool {_window(w)}",
            "no pool records",
        )
    p["opportunities_created_90d"] = _counted(
        "opportunities_created_90d",
        f"opened 1 opportunity {_window(90)}",
        f"opened {{}} opportunities {_window(90)}",
        f"opened no opportunity {_window(90)}",
        "no opportunity records",
    )
    p["opportunities_won_365d"] = _counted(
        "opportunities_won_365d",
        f"won 1 opportunity {_window(365)}",
        f"won {{}} opportunities {_window(365)}",
        f"won no opportunity {_window(365)}",
        "no opportunity records",
    )
    p["tenure_years"] = _value(
        "tenure_years", "{} years with the company", "tenure unknown", lambda x: f"{x:.1f}"
    )
    p["t_model_stage"] = _t_model_stage
    return p


def _slope(row: Row) -> str:
    x = _num(row.get("hunting_share_slope_90d"))
    if x is None:
        return "too few activities to compare the last two quarters' hunting"
    points = round(abs(x) * 100)
    if points == 0:
        return "hunting share flat against the previous 90 days"
    verb = "fell" if x < 0 else "rose"
    a, b = _num(row.get("hunting_share_prev_90d")), _num(row.get("hunting_share_90d"))
    detail = f" ({_pct(a)} to {_pct(b)})" if a is not None and b is not None else ""
    unit = "point" if points == 1 else "points"
    return f"hunting share {verb} {points} {unit} against the previous 90 days{detail}"


# --------------------------------------------------------------------------- customer phrases

_CUSTOMER_ORDERS: dict[int, Phrase] = {
    w: _often(
        f"orders_{w}d", f"ordered {{}} {_window(w)}", f"no order {_window(w)}", "no order records"
    )
    for w in (90, 180, 365)
}


def _customer_age(row: Row) -> str:
    x = _num(row.get("customer_age_days"))
    if x is None:
        return "creation date unknown"
    if x < 0:
        return "not yet in the CRM at the scoring date"
    return "added to the CRM within the last day" if round(x) < 1 else f"in the CRM for {_days(x)}"


def _owner_change(row: Row) -> str:
    x = _num(row.get("days_since_owner_change"))
    if x is None:
        return "no ownership history"
    where = "in the pool" if _num(row.get("in_pool")) == 1.0 else "with the current owner"
    return f"{where} since less than a day" if round(x) < 1 else f"{where} for {_days(x)}"


def _owner_share_change(row: Row) -> str:
    a, b = _num(row.get("owner_hunting_share_365d")), _num(row.get("owner_hunting_share_90d"))
    if a is not None and b is not None:
        return _change(
            "owner_hunting_share_ratio",
            "owner_hunting_share_365d",
            "owner_hunting_share_90d",
            "owner's hunting share",
            "from the 365-day to the 90-day level",
        )(row)
    return _value(
        "owner_hunting_share_ratio",
        "owner's recent hunting share at {} its yearly level",
        "owner has no hunting to compare with",
        _ratio,
    )(row)


def _customer_phrases() -> dict[str, Phrase]:
    p: dict[str, Phrase] = {"customer_age_days": _customer_age}
    p["days_since_last_order"] = _since(
        "days_since_last_order", "no order for {}", "ordered within the last day", "never ordered"
    )
    p["days_since_first_order"] = _since(
        "days_since_first_order",
        "first order {} ago",
        "first order within the last day",
        "never ordered",
    )
    p.update({f"orders_{w}d": phrase for w, phrase in _CUSTOMER_ORDERS.items()})
    p["orders_90d"] = _rep_orders_90d  # shared with the rep family; tells them apart by the row
    p["orders_lifetime"] = _often(
        "orders_lifetime", "ordered {} in all", "never ordered", "no order records"
    )
    for w in (90, 180, 365):
        p[f"order_value_{w}d"] = _money_in(
            f"order_value_{w}d",
            f"bought {{}} {_window(w)}",
            f"bought nothing {_window(w)}",
            "no order records",
        )
    p["order_value_prior_365d"] = _money_in(
        "order_value_prior_365d",
        "bought {} in the year before the last 365 days",
        "bought nothing in the year before the last 365 days",
        "no order records",
    )
    p["order_value_lifetime"] = _money_in(
        "order_value_lifetime", "bought {} in all", "never bought anything", "no order records"
    )
    p["average_order_value"] = _value(
        "average_order_value", "average order {}", "no order yet", _money
    )
    few = "too few orders to see a rhythm"
    p["order_gap_mean_days"] = _value(
        "order_gap_mean_days", "used to order every {} on average", few, _days
    )
    p["order_gap_std_days"] = _value(
        "order_gap_std_days", "gaps between orders vary by about {}", few, _days
    )
    p["order_gap_cv"] = _value(
        "order_gap_cv", "order rhythm irregular: gaps spread {} their mean", few, _ratio
    )
    p["last_order_gap_days"] = _value(
        "last_order_gap_days", "{} between the last two orders", "fewer than two orders", _days
    )
    p["longest_order_gap_days"] = _value(
        "longest_order_gap_days",
        "longest pause between orders was {}",
        "fewer than two orders",
        _days,
    )
    p["overdue_ratio"] = _value(
        "overdue_ratio", "silent for {} its usual gap between orders", few, _ratio
    )
    p["recency_vs_longest_gap"] = _value(
        "recency_vs_longest_gap", "silent for {} its longest past pause", few, _ratio
    )
    p["revived_dormant_spells"] = _often(
        "revived_dormant_spells",
        "came back from dormancy {} before",
        "never came back from dormancy",
        "no order records",
    )
    p["days_since_last_revival"] = _since(
        "days_since_last_revival",
        "last came back from dormancy {} ago",
        "came back from dormancy within the last day",
        "never came back from dormancy",
    )
    p["online_order_share"] = _value(
        "online_order_share", "{} of orders placed online", "no online ordering on record", _pct
    )
    rhythm = "too few repeat buyers to read a buying rhythm"
    p["p_alive"] = _value(
        "p_alive", "{} chance it still buys, judged from its order rhythm", rhythm, _pct
    )
    p["expected_orders_90d"] = _value(
        "expected_orders_90d",
        "about {} orders expected in the next 90 days from its rhythm",
        rhythm,
        lambda x: f"{x:.1f}",
    )
    p["days_since_last_touch"] = _since(
        "days_since_last_touch", "no contact for {}", "contacted within the last day", "no contact"
    )
    p["days_since_last_outbound_touch"] = _since(
        "days_since_last_outbound_touch",
        "no outbound touch for {}",
        "outbound touch within the last day",
        "never contacted by a rep",
    )
    p["days_since_last_inbound_touch"] = _since(
        "days_since_last_inbound_touch",
        "customer last reached out {} ago",
        "customer reached out within the last day",
        "customer never reached out",
    )
    for w in WINDOWS:
        p[f"touches_{w}d"] = _counted(
            f"touches_{w}d",
            f"1 contact {_window(w)}",
            f"{{}} contacts {_window(w)}",
            f"no contact {_window(w)}",
            "no activity records",
        )
    p["touches_lifetime"] = _counted(
        "touches_lifetime",
        "1 contact in all",
        "{} contacts in all",
        "never contacted",
        "no contact",
    )
    for w in (90, 365):
        p[f"outbound_touches_{w}d"] = _often(
            f"outbound_touches_{w}d",
            f"reps reached out {{}} {_window(w)}",
            f"no rep reached out {_window(w)}",
            "no activity records",
        )
        p[f"inbound_touches_{w}d"] = _often(
            f"inbound_touches_{w}d",
            f"customer reached out {{}} {_window(w)}",
            f"customer did not reach out {_window(w)}",
            "no activity records",
        )
        p[f"hunting_touches_{w}d"] = _counted(
            f"hunting_touches_{w}d",
            f"1 win-back attempt {_window(w)}",
            f"{{}} win-back attempts {_window(w)}",
            f"no win-back attempt {_window(w)}",
            "no activity records",
        )
    p["inbound_touch_share_365d"] = _value(
        "inbound_touch_share_365d",
        f"{{}} of contacts {_window(365)} came from the customer",
        f"no contact {_window(365)}",
        _pct,
    )
    p["outbound_touches_since_last_order"] = _often(
        "outbound_touches_since_last_order",
        "reps reached out {} since the last order",
        "no outreach since the last order",
        "no activity records",
    )
    none = "no opportunity records"
    p["opportunities_lifetime"] = _counted(
        "opportunities_lifetime",
        "1 opportunity in all",
        "{} opportunities in all",
        "never had an opportunity",
        none,
    )
    p["opportunities_365d"] = _counted(
        "opportunities_365d",
        f"1 opportunity opened {_window(365)}",
        f"{{}} opportunities opened {_window(365)}",
        f"no opportunity opened {_window(365)}",
        none,
    )
    p["opportunities_won"] = _counted(
        "opportunities_won", "1 opportunity won", "{} opportunities won", "no opportunity won", none
    )
    p["opportunities_lost"] = _counted(
        "opportunities_lost",
        "1 opportunity lost",
        "{} opportunities lost",
        "no opportunity lost",
        none,
    )
    p["opportunity_win_rate"] = _value(
        "opportunity_win_rate",
        "won {} of its closed opportunities",
        "no closed opportunity",
        _pct,
    )
    p["open_opportunities"] = _counted(
        "open_opportunities",
        "1 open opportunity",
        "{} open opportunities",
        "no open opportunity",
        none,
    )
    p["open_opportunity_value"] = _money_in(
        "open_opportunity_value",
        "open opportunities worth {}",
        "no open opportunity value",
        none,
    )
    p["days_since_last_opportunity"] = _since(
        "days_since_last_opportunity",
        "last opportunity opened {} ago",
        "opportunity opened within the last day",
        "never had an opportunity",
    )
    p["days_since_last_won_opportunity"] = _since(
        "days_since_last_won_opportunity",
        "last opportunity won {} ago",
        "opportunity won within the last day",
        "never won an opportunity",
    )
    p["owner_changes_lifetime"] = _often(
        "owner_changes_lifetime", "changed hands {}", "never changed hands", "no ownership history"
    )
    p["owner_changes_365d"] = _often(
        "owner_changes_365d",
        f"changed hands {{}} {_window(365)}",
        f"did not change hands {_window(365)}",
        "no ownership history",
    )
    p["times_released"] = _often(
        "times_released",
        "released to the pool {} before",
        "never released to the pool",
        "no ownership history",
    )
    p["times_claimed"] = _often(
        "times_claimed",
        "claimed from the pool {} before",
        "never claimed from the pool",
        "no ownership history",
    )
    p["in_pool"] = _flag(
        "in_pool",
        "sits in the shared pool",
        "held by a rep, not in the pool",
        "pool status unknown",
    )
    p["days_since_owner_change"] = _owner_change
    p["has_owner"] = _flag(
        "has_owner", "owned by a rep", "no rep owns the customer", "ownership unknown"
    )
    for w in (90, 365):
        p[f"owner_hunting_share_{w}d"] = _owner(
            _value(
                f"owner_hunting_share_{w}d",
                f"owner's hunting share is {{}} over {w} days",
                f"owner logged no activity {_window(w)}",
                _pct,
            )
        )
    p["owner_hunting_share_ratio"] = _owner(_owner_share_change)
    p["owner_activities_90d"] = _owner(
        _counted(
            "owner_activities_90d",
            f"owner logged 1 activity {_window(90)}",
            f"owner logged {{}} activities {_window(90)}",
            f"owner logged no activity {_window(90)}",
            "owner's activity unknown",
        )
    )
    p["owner_employed"] = _owner(
        _flag(
            "owner_employed",
            "owner still with the company",
            "owner has left the company",
            "owner's employment unknown",
        )
    )
    p["owner_tenure_days"] = _owner(
        _since(
            "owner_tenure_days",
            "owner with the company for {}",
            "owner hired within the last day",
            "owner's hiring date unknown",
        )
    )
    p["owner_book_size"] = _owner(
        _counted(
            "owner_book_size",
            "owner holds 1 customer",
            "owner holds {} customers",
            "owner holds no customers",
            "owner's book unknown",
        )
    )
    p["industry"] = _category("industry", "industry: {}", "industry unknown")
    p["region"] = _category("region", "region: {}", "region unknown")
    p["size"] = _category("size", "company size: {}", "company size unknown")
    p["source"] = _category("source", "came in through {}", "lead source unknown")
    return p


#: One phrase builder per feature name (rep and customer features, plus the categoricals).
PHRASES: dict[str, Phrase] = {**_rep_phrases(), **_customer_phrases()}


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
        phrase = PHRASES[feature]
    except KeyError:
        raise KeyError(
            f"no plain-words phrase for feature {feature!r}; add one to PHRASES"
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
    unknown = [n for n in names if n not in PHRASES]
    if unknown:
        raise KeyError(f"no plain-words phrase for feature(s) {unknown}; add them to PHRASES")
    values = contributions[list(names)].to_numpy(dtype=np.float64)
    values = np.where(np.isnan(values), -np.inf, values)
    # stable sort of the negated values: largest first, ties in name order
    order = np.argsort(-values, axis=1, kind="stable")
    topics = [reason_topic(n) for n in names]

    columns = {str(c): features[c].to_numpy() for c in features.columns}
    phrases = [PHRASES[n] for n in names]
    out: list[str] = []
    for i in range(len(values)):
        picked: list[int] = []
        seen: set[str] = set()
        for j in order[i]:
            if len(picked) == k or values[i, j] <= 0:
                break
            if topics[j] not in seen:
                seen.add(topics[j])
                picked.append(int(j))
        row = _RowView(columns, i)
        said = [phrases[j](row) + (compare(names[j], i) if compare else "") for j in picked]
        out.append(SEPARATOR.join(said))
    return pd.Series(out, index=contributions.index, name="reasons", dtype=object)
