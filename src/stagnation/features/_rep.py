"""Rep features at ``as_of``: how much a rep hunts, how that is trending, and what it lives off.

The family describes a rep at a moment ``T`` from events strictly before ``T`` (CONTRACT.md
section 2), read only through the point-in-time queries of
:class:`~stagnation.timeline.EventIndex`:

* **activity** (trailing windows of 30/90/180/365 days, ``[T - w, T)``): volume in total and by
  kind (hunting, farming, inbound; outbound = hunting + farming), hunting and inbound shares,
  channel mix, distinct customers touched, days since the last activity and the last hunting;
* **trend**: hunting share in the short window over the long one, the 90-day share minus the
  share of the 90 days before (a slope), the 90-day share against the rep's own past
  ``[T - 365d, T - 90d)``, and the 90-day activity and hunting rates against the 365-day rates;
* **book** (orders credited to the rep, ownership): revenue, revenue and customers owned against
  the median of employed peers at the same ``T``, new customers won (customers whose first
  order ever was credited to the rep), days since the last win, revenue concentration on the top
  1 / top 5 customers, repeat and referral shares of revenue;
* **pool and pipeline**: customers claimed from / released to the pool, open opportunities,
  opportunities created and won; **tenure** in years.

Counts are 0 when the table exists but has no events; a share with an empty denominator, a
"days since" with no such event, and any feature whose table the extract lacks are NaN. The
descriptive ``t_model_stage`` column places each rep in the T-model (see :func:`t_model_stage`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from stagnation.errors import MissingTable
from stagnation.features._context import CHANNELS, FeatureContext
from stagnation.features._rep_book import (
    Features,
    book_features,
    opportunity_features,
    order_features,
    pool_features,
    ragged_chunks,
    share,
    tenure_years,
    window_total,
)
from stagnation.features._rep_definitions import MIX_CHANNELS, REP_FEATURES
from stagnation.timeline import WINDOWS, EventIndex, days_between, to_ns, window_start

#: The T-model stages, in the order a rep grows through them.
T_MODEL_STAGES = ("prospecting", "negotiating", "qualified", "maintaining", "deepening")
T_MODEL_DTYPE = pd.CategoricalDtype(list(T_MODEL_STAGES))


def _ratio_of_shares(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return share(np.nan_to_num(a), np.where(np.isnan(a), np.nan, b))


def _activity_features(
    acts: EventIndex, n_customers: int, rep: np.ndarray, at: np.ndarray
) -> Features:
    """Return activity volumes, shares, trends, channel mix and recency."""
    out: Features = {}
    for w in WINDOWS:
        start = window_start(at, w)
        n = acts.count(rep, start, at).astype(float)
        out[f"activities_{w}d"] = n
        for kind in ("hunting", "farming", "inbound", "outbound"):
            out[f"{kind}_activities_{w}d"] = acts.total(kind, rep, start, at)
        out[f"hunting_share_{w}d"] = share(out[f"hunting_activities_{w}d"], n)
    for w in (90, 365):
        out[f"inbound_share_{w}d"] = share(out[f"inbound_activities_{w}d"], out[f"activities_{w}d"])
    h30, h90, h365 = (out[f"hunting_share_{w}d"] for w in (30, 90, 365))
    out["hunting_share_ratio_30d_90d"] = _ratio_of_shares(h30, h90)
    out["hunting_share_ratio_90d_365d"] = _ratio_of_shares(h90, h365)
    s90, s180, s365 = (window_start(at, w) for w in (90, 180, 365))
    prev = share(acts.total("hunting", rep, s180, s90), acts.count(rep, s180, s90))
    out["hunting_share_prev_90d"] = prev
    out["hunting_share_slope_90d"] = h90 - prev
    past = share(acts.total("hunting", rep, s365, s90), acts.count(rep, s365, s90))
    out["hunting_share_own_past"] = past
    out["hunting_share_vs_own_past"] = _ratio_of_shares(h90, past)
    out["activity_rate_ratio_90d_365d"] = share(
        out["activities_90d"] * 365 / 90, out["activities_365d"]
    )
    out["hunting_rate_ratio_90d_365d"] = share(
        out["hunting_activities_90d"] * 365 / 90, out["hunting_activities_365d"]
    )
    channel = acts.column("channel")
    for c in MIX_CHANNELS:
        sums = EventIndex.prefix(channel == CHANNELS.index(c))
        out[f"{c}_share_90d"] = share(window_total(acts, sums, rep, s90, at), out["activities_90d"])
    out["customers_touched_90d"] = _distinct_customers(acts, n_customers, rep, s90, at)
    out["days_since_last_activity"] = days_between(at, acts.time_at(acts.last(rep, at)))
    # the last hunting event before at: the k-th hunting row overall, if it is the rep's own
    hunting_rows = np.flatnonzero(acts.column("hunting") > 0)
    k = np.searchsorted(hunting_rows, acts.position(rep, at), side="left")
    row = np.where(k > 0, hunting_rows[np.maximum(k - 1, 0)] if len(hunting_rows) else -1, -1)
    row = np.where(row >= acts.start[rep], row, -1)
    out["days_since_last_hunting"] = days_between(at, acts.time_at(row))
    return out


def _distinct_customers(
    acts: EventIndex, n_customers: int, rep: np.ndarray, start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Return the number of distinct customers among the rep's activities in ``[start, end)``."""
    customer = acts.column("customer").astype(np.int64) + 1
    out = np.zeros(len(rep))
    lo, hi = acts.position(rep, start), acts.position(rep, end)
    for queries, query, row in ragged_chunks(lo, hi):
        pairs = np.sort(query.astype(np.int64) * (n_customers + 1) + customer[row])
        pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
        n = queries.stop - queries.start
        out[queries] = np.bincount(pairs // (n_customers + 1), minlength=n)
    return out


def t_model_stage(features: pd.DataFrame) -> pd.Categorical:
    """Place each rep in the T-model from its features, by a fixed descriptive rule.

    The first rule that holds wins:

    1. ``prospecting``: no credited revenue in 365 days and no open opportunity (also when the
       extract has no opportunities table);
    2. ``negotiating``: no credited revenue in 365 days, but open opportunities;
    3. ``deepening``: revenue comes from the book, not from hunting: repeat share of 365-day
       revenue at least 0.8, a book at least the peer median (``book_revenue_vs_peers_365d``
       >= 1), 90-day hunting share below 0.15 (or no activities), and tenure at least two years
       (the tenure test is skipped when tenure is unknown);
    4. ``qualified``: revenue, and tenure under one year (known);
    5. ``maintaining``: everyone else with revenue (prospecting and maintenance alternate).

    Parameters
    ----------
    features
        Rep features, as returned by :func:`rep_features` (only the columns named above are read).

    Returns
    -------
    pandas.Categorical
        With categories :data:`T_MODEL_STAGES`, one value per row.
    """
    revenue = features["book_revenue_365d"].fillna(0.0).to_numpy() > 0
    open_opps = features["open_opportunities"].fillna(0.0).to_numpy() > 0
    tenure = features["tenure_years"].to_numpy(dtype=float)
    hunting = features["hunting_share_90d"].to_numpy(dtype=float)
    deepening = (
        (features["repeat_revenue_share_365d"].to_numpy(dtype=float) >= 0.8)
        & (features["book_revenue_vs_peers_365d"].to_numpy(dtype=float) >= 1.0)
        & ~(hunting >= 0.15)
        & (np.isnan(tenure) | (tenure >= 2.0))
    )
    code = np.select(
        [~revenue & ~open_opps, ~revenue, deepening, tenure < 1.0],
        [0, 1, 4, 2],
        default=3,
    )
    return pd.Categorical.from_codes(code, dtype=T_MODEL_DTYPE)


def rep_features(ctx: FeatureContext, population: pd.DataFrame) -> pd.DataFrame:
    """Compute the rep features of every (rep, as_of) row of ``population``.

    Parameters
    ----------
    ctx
        Indexes over the extract (:meth:`FeatureContext.build`); it needs an activities table.
    population
        Columns ``rep_id`` and ``as_of``; any number of rows (many reps x many dates).

    Returns
    -------
    pandas.DataFrame
        One row per population row, in the same order and with the same index: ``rep_id``,
        ``as_of`` (``datetime64[ns]``), every :data:`REP_FEATURES` column (float64), then the
        categorical ``t_model_stage``. Each value uses only events strictly before ``as_of``.

    Raises
    ------
    ValueError
        When the extract has no activities table, a population column is missing, an ``as_of``
        is missing, or a ``rep_id`` is not a rep of the extract.

    Examples
    --------
    >>> from stagnation.crm import CRM
    >>> crm = CRM.from_frames(
    ...     customers=pd.DataFrame({"customer_id": ["c1", "c2"], "created_at": ["2024-01-01"] * 2}),
    ...     orders=pd.DataFrame({"order_id": ["o1"], "customer_id": ["c1"], "rep_id": ["r1"],
    ...                          "ordered_at": ["2024-03-01"], "amount": [100.0]}),
    ...     activities=pd.DataFrame({
    ...         "activity_id": ["a1", "a2", "a3"], "customer_id": ["c1", "c1", "c2"],
    ...         "rep_id": ["r1"] * 3,
    ...         "occurred_at": ["2024-02-20", "2024-03-05", "2024-04-01"]}),
    ... )
    >>> pop = pd.DataFrame({"rep_id": ["r1", "r1"],
    ...                     "as_of": pd.to_datetime(["2024-03-10", "2024-04-01"])})
    >>> out = rep_features(FeatureContext.build(crm), pop)
    >>> out[["activities_90d", "hunting_share_90d", "new_customers_won_90d"]].to_numpy().tolist()
    [[2.0, 0.5, 1.0], [2.0, 0.5, 1.0]]
    """
    acts = ctx.activities_by_rep
    if acts is None:
        raise MissingTable(
            "the extract has no activities table; rep features need activity records "
            "(hunting/farming follow-ups) of each rep, so the rep model cannot run on customers "
            "and orders alone"
        )
    missing = {"rep_id", "as_of"} - set(population.columns)
    if missing:
        raise ValueError(f"population: missing column(s) {sorted(missing)}; it needs rep_id, as_of")
    rep = ctx.reps.get_indexer(pd.Index(population["rep_id"]))
    if (rep < 0).any():
        unknown = pd.unique(population["rep_id"][rep < 0])
        raise ValueError(
            f"population.rep_id: {len(unknown)} rep(s) not in the extract's reps, e.g. "
            f"{', '.join(map(str, unknown[:5]))}"
        )
    at = to_ns(pd.to_datetime(population["as_of"]))
    if np.isnat(at).any():
        raise ValueError("population.as_of: missing timestamps; every row needs an as_of")

    found: Features = _activity_features(acts, len(ctx.customers), rep, at)
    for group in (order_features, book_features, pool_features, opportunity_features):
        found.update(group(ctx, rep, at))
    found["tenure_years"] = tenure_years(ctx, rep, at)
    columns = {d.name: np.asarray(found[d.name], dtype=np.float64) for d in REP_FEATURES}
    out = pd.DataFrame(
        {
            "rep_id": population["rep_id"].astype(pd.StringDtype()).to_numpy(),
            "as_of": at,
            **columns,
        },
        index=population.index,
    )
    out["t_model_stage"] = t_model_stage(out)
    return out
