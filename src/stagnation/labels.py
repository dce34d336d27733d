"""Who is eligible at ``as_of``, and the two labels: rep passivity and customer reactivation.

Labels are pure functions of (extract, ``as_of``, settings) and carry their settings. Features
see events strictly before ``as_of``; labels see events in ``[as_of, as_of + horizon)``, so an
event exactly at ``as_of`` belongs to the label side (CONTRACT.md section 2). Both sides are
queries of the same :class:`~stagnation.features.EventIndex`, whose one comparison is the whole
point-in-time rule.

**Rep passivity** (:class:`RepPassivitySettings`). A rep is in the population at ``T`` when
hired at least ``min_tenure_days`` before ``T``, still employed at ``T``, with at least
``min_baseline_activities`` activities in the baseline ``[T - baseline_days, T)`` and a baseline
hunting share of at least ``min_baseline_hunting_share``, and still hunting at ``T``: its share
over the last ``recent_days`` is above ``drop_ratio`` times the baseline (a rep whose share has
already halved slid before ``T``; there is nothing left to predict). For training, the rep must
also still be employed at ``T + horizon``. The label is positive when, in ``[T, T + horizon)``,
the rep keeps working (at least ``min_horizon_activities`` activities) and its hunting share
falls to ``drop_ratio`` (one half) of the baseline or less: the share over the horizon's last
``end_window_days``, where the rep stands when the horizon closes. Excluded, by rule: juniors,
leavers, near-idle reps, reps who were no longer hunting, and reps already down at ``T``; a rep
who leaves within the horizon is not a slide (training only).

**Customer reactivation** (:class:`CustomerReactivationSettings`). A customer is in the
population at ``T`` when it is dormant: it existed for the whole ``[T - dormant_days, T)`` and
had neither an order nor an activity in it (cold prospects and lapsed buyers alike). The label
is positive when it orders, or wins an opportunity, in ``[T, T + horizon)``; ``value`` is the
money it ordered in that window. Excluded: customers created less than ``dormant_days`` before
``T`` (too new to be dormant) and every customer with recent orders or follow-ups.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from stagnation.crm import CRM
from stagnation.errors import MissingTable
from stagnation.features import FeatureContext
from stagnation.timeline import to_ns

__all__ = [
    "CustomerReactivationSettings",
    "RepPassivitySettings",
    "customer_population",
    "customer_reactivation_labels",
    "rep_passivity_labels",
    "rep_population",
]

DAY = np.timedelta64(1, "D")


class RepPassivitySettings(BaseModel):
    """Settings of the rep-passivity population and label (defaults from DESIGN.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    horizon_days: int = Field(90, ge=1)
    baseline_days: int = Field(180, ge=1)
    min_tenure_days: int = Field(180, ge=0)
    min_baseline_activities: int = Field(60, ge=1)
    min_baseline_hunting_share: float = Field(0.15, ge=0, le=1)
    min_horizon_activities: int = Field(30, ge=1)
    drop_ratio: float = Field(0.5, gt=0, lt=1)
    recent_days: int = Field(30, ge=1, description="'still hunting at T' is read over these days")
    end_window_days: int = Field(
        30, ge=1, description="the share the rep has 'fallen to' is read over the horizon's end"
    )
    dormant_days: int = Field(90, ge=1, description="for classifying activities as hunting")


class CustomerReactivationSettings(BaseModel):
    """Settings of the customer-reactivation population and label (defaults from DESIGN.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dormant_days: int = Field(90, ge=1)
    horizon_days: int = Field(180, ge=1)


def _grid(as_of: pd.Timestamp | str | Iterable[pd.Timestamp | str]) -> pd.DatetimeIndex:
    if isinstance(as_of, str | pd.Timestamp):
        as_of = [as_of]
    grid = pd.DatetimeIndex(list(as_of))
    if grid.tz is not None:
        grid = grid.tz_convert("UTC").tz_localize(None)
    return grid.as_unit("ns").sort_values().unique()


def _cross(ids: pd.Index, grid: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Return every (entity code, as_of) pair, entity-major."""
    codes = np.repeat(np.arange(len(ids)), len(grid))
    at = np.tile(to_ns(grid), len(ids))
    return codes, at


def _rep_dates(ctx: FeatureContext, column: str) -> np.ndarray:
    reps = ctx.crm.reps
    if reps is None:
        return np.full(len(ctx.reps), np.datetime64("NaT", "ns"))
    return to_ns(reps.set_index("rep_id")[column].reindex(ctx.reps))


def rep_population(
    source: CRM | FeatureContext,
    as_of: pd.Timestamp | str | Iterable[pd.Timestamp | str],
    settings: RepPassivitySettings | None = None,
) -> pd.DataFrame:
    """Return the reps eligible for a passivity prediction at each ``as_of``.

    Uses only information before ``as_of`` (see the module docstring for the rules), so it is the
    population to score. Returns ``rep_id``, ``as_of``, ``baseline_activities`` and
    ``baseline_hunting_share``, one row per eligible (rep, as_of).

    Raises
    ------
    ValueError
        When the extract has no activities: passivity is read from activity records.
    """
    s = settings or RepPassivitySettings()
    ctx = FeatureContext.of(source, dormant_days=s.dormant_days)
    acts = ctx.activities_by_rep
    if acts is None:
        raise MissingTable(
            "the extract has no activities table: the rep-passivity model reads hunting and "
            "farming from activity records, so it cannot run on customers and orders alone"
        )
    grid = _grid(as_of)
    rep, at = _cross(ctx.reps, grid)
    hired, left = _rep_dates(ctx, "hired_at")[rep], _rep_dates(ctx, "left_at")[rep]
    base_start = at - s.baseline_days * DAY
    n_base = acts.count(rep, base_start, at)
    share = acts.total("hunting", rep, base_start, at) / np.maximum(n_base, 1)
    recent_start = at - s.recent_days * DAY
    n_recent = acts.count(rep, recent_start, at)
    recent = acts.total("hunting", rep, recent_start, at) / np.maximum(n_recent, 1)
    tenure_ok = ~np.isnat(hired) & (hired <= at - s.min_tenure_days * DAY)
    if ctx.crm.reps is None or ctx.crm.reps["hired_at"].isna().all():
        # no hiring dates: a rep's first activity stands in for its start
        first = acts.time_at(acts.first(rep, at))
        tenure_ok = ~np.isnat(first) & (first <= at - s.min_tenure_days * DAY)
    employed = np.isnat(left) | (left > at)
    keep = (
        tenure_ok
        & employed
        & (n_base >= s.min_baseline_activities)
        & (share >= s.min_baseline_hunting_share)
        & (recent > s.drop_ratio * share)  # not already fallen: still hunting at T
    )
    return pd.DataFrame(
        {
            "rep_id": ctx.reps.to_numpy()[rep[keep]],
            "as_of": at[keep],
            "baseline_activities": n_base[keep].astype(float),
            "baseline_hunting_share": share[keep],
        }
    ).astype({"rep_id": pd.StringDtype()})


def rep_passivity_labels(
    source: CRM | FeatureContext,
    as_of: pd.Timestamp | str | Iterable[pd.Timestamp | str],
    settings: RepPassivitySettings | None = None,
) -> pd.DataFrame:
    """Return the rep-passivity label for every rep in the training population at ``as_of``.

    The population is :func:`rep_population` less reps who leave before ``as_of + horizon``.
    Returns ``rep_id``, ``as_of``, ``baseline_hunting_share``, ``horizon_activities``,
    ``horizon_hunting_share`` (over the horizon's last ``end_window_days``) and ``label``
    (bool); ``df.attrs["settings"]`` holds the settings.

    Examples
    --------
    >>> from stagnation.crm import load_crm
    >>> labels = rep_passivity_labels(load_crm("data/sample"), "2025-01-01")
    >>> labels.columns.tolist()[-1], labels.attrs["settings"]["horizon_days"]
    ('label', 90)
    """
    s = settings or RepPassivitySettings()
    ctx = FeatureContext.of(source, dormant_days=s.dormant_days)
    pop = rep_population(ctx, as_of, s)
    assert ctx.activities_by_rep is not None  # rep_population refuses extracts without it
    acts = ctx.activities_by_rep
    rep = ctx.reps.get_indexer(pd.Index(pop["rep_id"]))
    at = to_ns(pop["as_of"])
    end = at + s.horizon_days * DAY
    left = _rep_dates(ctx, "left_at")[rep]
    stays = np.isnat(left) | (left >= end)
    n = acts.count(rep, at, end)
    tail = end - s.end_window_days * DAY
    share = acts.total("hunting", rep, tail, end) / np.maximum(acts.count(rep, tail, end), 1)
    label = (n >= s.min_horizon_activities) & (
        share <= s.drop_ratio * pop["baseline_hunting_share"].to_numpy()
    )
    out = pop.loc[stays, ["rep_id", "as_of", "baseline_hunting_share"]].reset_index(drop=True)
    out["horizon_activities"] = n[stays].astype(float)
    out["horizon_hunting_share"] = share[stays]
    out["label"] = label[stays]
    out.attrs["settings"] = s.model_dump()
    return out


def customer_population(
    source: CRM | FeatureContext,
    as_of: pd.Timestamp | str | Iterable[pd.Timestamp | str],
    settings: CustomerReactivationSettings | None = None,
) -> pd.DataFrame:
    """Return the dormant customers at each ``as_of``: ``customer_id``, ``as_of``.

    Uses only information before ``as_of``; it is the population to score. Works on an extract
    with customers and orders only (then dormancy means "no order").
    """
    s = settings or CustomerReactivationSettings()
    ctx = FeatureContext.of(source, dormant_days=s.dormant_days)
    grid = _grid(as_of)
    cust, at = _cross(ctx.customers, grid)
    quiet_from = at - s.dormant_days * DAY
    created = to_ns(ctx.crm.customers["created_at"])[cust]
    keep = created <= quiet_from  # it existed for the whole quiet window
    for idx in (ctx.orders_by_customer, ctx.activities_by_customer):
        if idx is not None:
            keep &= idx.count(cust, quiet_from, at) == 0
    return pd.DataFrame(
        {"customer_id": ctx.customers.to_numpy()[cust[keep]], "as_of": at[keep]}
    ).astype({"customer_id": pd.StringDtype()})


def customer_reactivation_labels(
    source: CRM | FeatureContext,
    as_of: pd.Timestamp | str | Iterable[pd.Timestamp | str],
    settings: CustomerReactivationSettings | None = None,
) -> pd.DataFrame:
    """Return the reactivation label for every dormant customer at ``as_of``.

    Returns ``customer_id``, ``as_of``, ``label`` (ordered or won an opportunity in
    ``[as_of, as_of + horizon)``) and ``value`` (money ordered in that window);
    ``df.attrs["settings"]`` holds the settings.
    """
    s = settings or CustomerReactivationSettings()
    ctx = FeatureContext.of(source, dormant_days=s.dormant_days)
    pop = customer_population(ctx, as_of, s)
    cust = ctx.customers.get_indexer(pd.Index(pop["customer_id"]))
    at = to_ns(pop["as_of"])
    end = at + s.horizon_days * DAY
    label = np.zeros(len(pop), dtype=bool)
    value = np.zeros(len(pop))
    if ctx.orders_by_customer is not None:
        label |= ctx.orders_by_customer.count(cust, at, end) > 0
        value = ctx.orders_by_customer.total("amount", cust, at, end)
    if ctx.opportunities_closed is not None:
        label |= ctx.opportunities_closed.total("won", cust, at, end) > 0
    out = pop.copy()
    out["label"] = label
    out["value"] = value
    out.attrs["settings"] = s.model_dump()
    return out
