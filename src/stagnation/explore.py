"""Tables and figures for exploring an extract: the T-model, the pool's flows, the dormant base.

The helpers behind ``notebooks/01-explore-sample.ipynb``, so that notebooks stay short. Table
helpers are plain pandas and return DataFrames; figure helpers build and return a
:class:`matplotlib.figure.Figure` without touching pyplot's global state (like
:mod:`stagnation.plots`), every axis titled and labelled with its unit.

The vocabulary is the package's (see :mod:`stagnation.features`):

* **hunting share** here is the share of a rep's *outbound* activities that are hunting (on
  prospects or dormant customers), ``hunting / (hunting + farming)``; inbound touches, where the
  customer reached out, are left out because the rep did not choose them. (The model feature
  ``hunting_share_90d`` divides by all activities instead; both fall together.)
* **book coverage** is read from the extract as the rep's credited revenue of the last 365 days
  against the median of employed peers (``book_revenue_vs_peers_365d``, ×); the simulator's truth
  has the real thing (90-day book revenue over three months of quota, ``true_book_coverage``).
* **releases** put a customer into the shared pool (公海), **claims** take one out; a
  **revival** is an order by a customer that had ordered before but not for more than
  ``dormant_days`` days (the package's "dormant buyer" rule, see
  :func:`stagnation.features.customer_status`).
* the **dormant population** at ``as_of`` is :func:`stagnation.labels.customer_population`:
  customers with neither an order nor a follow-up in the ``dormant_days`` before ``as_of``, past
  buyers ("lapsed buyers") and never-buyers ("cold prospects") alike.

Shares are stored as fractions in ``[0, 1]``; table columns ending in ``_pct`` are percentages.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import date2num
from matplotlib.figure import Figure

from stagnation.crm import ValidationReport, truth_month
from stagnation.features import ACTIVITY_KINDS, FeatureContext, rep_features
from stagnation.features._context import REASONS
from stagnation.features._rep import T_MODEL_STAGES
from stagnation.features._windows import WINDOWS, EventIndex, to_ns
from stagnation.snapshots import as_of_grid, data_end, features_at

__all__ = [
    "AGE_BANDS",
    "COVERAGE_BANDS",
    "POOL_FLOW_COLUMNS",
    "REP_MONTH_COLUMNS",
    "TENURE_BANDS",
    "VALUE_BANDS",
    "activity_mix",
    "dormant_chart",
    "dormant_population",
    "dormant_table",
    "example_reps",
    "extract_summary",
    "hunting_share_by",
    "hunting_share_chart",
    "pool_flow_chart",
    "pool_flows",
    "rep_months",
    "rep_trajectories",
    "revivals",
    "stage_mix",
    "trajectory_chart",
]

#: Tenure bands (years, left-closed) of the hunting-share tables.
TENURE_BANDS: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0, 5.0, np.inf)
#: Book-coverage bands (× the peer median of 365-day credited revenue, left-closed).
COVERAGE_BANDS: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0, 1.5, np.inf)
#: Age bands of a dormant customer: days since its last order (left-closed).
AGE_BANDS: tuple[float, ...] = (90.0, 180.0, 365.0, 730.0, np.inf)
#: Value bands of a dormant customer: lifetime order value (currency units, left-closed).
VALUE_BANDS: tuple[float, ...] = (0.0, 5_000.0, 20_000.0, 100_000.0, np.inf)

#: Columns of :func:`rep_months` (without truth).
REP_MONTH_COLUMNS: tuple[str, ...] = (
    "rep_id",
    "as_of",
    "tenure_years",
    "outbound_activities_90d",
    "hunting_activities_90d",
    "hunting_share_outbound_30d",
    "hunting_share_outbound_90d",
    "hunting_share_90d",
    "book_revenue_365d",
    "book_revenue_vs_peers_365d",
    "book_customers",
    "repeat_revenue_share_365d",
    "t_model_stage",
)
#: Columns of :func:`pool_flows`.
POOL_FLOW_COLUMNS: tuple[str, ...] = (
    "into_pool",
    "released",
    "rep_left",
    "out_of_pool",
    "claimed",
    "pool_size",
    "revivals",
    "revivals_from_pool",
    "revival_value",
)
#: Columns the truth adds to :func:`rep_months`, from its ``rep_months`` table.
TRUTH_REP_COLUMNS = {"mode": "true_mode", "book_coverage": "true_book_coverage"}

_EVENT_COLUMN = {
    "customers": "created_at",
    "orders": "ordered_at",
    "activities": "occurred_at",
    "reps": "hired_at",
    "opportunities": "created_at",
    "ownership": "valid_from",
}
_SHARE_LABEL = "hunting share of outbound touches (%, {w} days)"
_VALUE_LABEL = "lifetime order value (currency units, log scale)"
_STATE_COLOURS = {
    "dormant_revivable": "tab:green",
    "dormant_lost": "tab:grey",
    "prospect": "tab:blue",
    "active": "tab:orange",
}


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------


def extract_summary(report: ValidationReport) -> pd.DataFrame:
    """Summarise a validation report: one row per table with its size, time span and problems.

    Parameters
    ----------
    report
        What :func:`stagnation.crm.validate_extract` found.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``table`` (contract order): ``rows``, ``time_column`` (the table's event
        timestamp), ``first`` and ``last`` (its range; NaT when empty), ``errors`` and
        ``warnings`` (problems found in the table).

    Examples
    --------
    >>> from stagnation.crm import CRM, validate_extract
    >>> crm = CRM.from_frames(
    ...     customers=pd.DataFrame({"customer_id": ["c1"], "created_at": ["2024-01-05"]}),
    ...     orders=pd.DataFrame({"order_id": ["o1"], "customer_id": ["c1"],
    ...                          "ordered_at": ["2024-02-01"], "amount": [10.0]}),
    ... )
    >>> extract_summary(validate_extract(crm))[["rows", "time_column", "errors"]]
              rows time_column  errors
    table
    customers    1  created_at       0
    orders       1  ordered_at       0
    """
    rows = []
    for table, summary in report.tables.items():
        column = _EVENT_COLUMN.get(table, next(iter(summary.time_ranges), ""))
        first, last = summary.time_ranges.get(column, (None, None))
        rows.append(
            {
                "table": table,
                "rows": summary.rows,
                "time_column": column,
                "first": pd.Timestamp(first) if first is not None else pd.NaT,
                "last": pd.Timestamp(last) if last is not None else pd.NaT,
                "errors": sum(p.table == table for p in report.errors),
                "warnings": sum(p.table == table for p in report.warnings),
            }
        )
    columns = ["table", "rows", "time_column", "first", "last", "errors", "warnings"]
    return pd.DataFrame(rows, columns=columns).set_index("table")


def activity_mix(ctx: FeatureContext) -> pd.DataFrame:
    """Count the extract's activities by kind: hunting, farming, inbound.

    Parameters
    ----------
    ctx
        The indexed extract; kinds are those of :func:`stagnation.features.classify_activities`
        at ``ctx.dormant_days``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``kind`` (:data:`~stagnation.features.ACTIVITY_KINDS`): ``activities``,
        ``share_pct`` (of all activities) and ``share_of_outbound_pct`` (of hunting plus farming;
        NaN for inbound).

    Raises
    ------
    ValueError
        When the extract has no activities table.
    """
    acts = _activities(ctx)
    counts = np.array([acts.column(kind).sum() for kind in ACTIVITY_KINDS], dtype=float)
    outbound = counts[:2].sum()
    return pd.DataFrame(
        {
            "activities": counts.astype(np.int64),
            "share_pct": 100 * counts / max(counts.sum(), 1.0),
            "share_of_outbound_pct": [*(100 * counts[:2] / max(outbound, 1.0)), np.nan],
        },
        index=pd.Index(list(ACTIVITY_KINDS), name="kind"),
    )


def rep_months(
    ctx: FeatureContext,
    *,
    freq: str = "MS",
    warmup_days: int = 90,
    truth: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Return one row per employed rep at every ``as_of`` of a monthly grid, with its features.

    Parameters
    ----------
    ctx
        The indexed extract; it needs an activities table.
    freq
        Pandas frequency of the grid (default month starts).
    warmup_days
        History every ``as_of`` needs after all event tables have started (90 fills the 90-day
        windows); see :func:`stagnation.snapshots.as_of_grid`.
    truth
        The simulator's truth (:func:`stagnation.workflow.read_truth`): adds ``true_mode``
        (``hunter``, ``sliding``, ``order_follower``, ``recovering``) and ``true_book_coverage``
        (90-day book revenue / three months of quota) at the month end before ``as_of``.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`REP_MONTH_COLUMNS`: ``rep_id``, ``as_of``, tenure (years), 90-day
        outbound and hunting activity counts, ``hunting_share_outbound_30d`` and
        ``hunting_share_outbound_90d`` (hunting / outbound activities, NaN with no outbound
        activity), the model feature ``hunting_share_90d`` (hunting / all activities), book
        revenue (365 days, alone and against peers), customers owned, repeat share of revenue and
        the descriptive ``t_model_stage``; then the truth columns when ``truth`` is given.
        A rep is in the frame at ``as_of`` when employed (hired before it or hiring unknown, not
        left by then) and with at least one activity in the 90 days before it.
    """
    acts = _activities(ctx)
    grid = as_of_grid(ctx.crm, horizon_days=0, warmup_days=warmup_days, freq=freq)
    rep = np.repeat(np.arange(len(ctx.reps)), len(grid))
    at = np.tile(to_ns(grid), len(ctx.reps))
    keep = _employed(ctx, rep, at) & (acts.count(rep, at - np.timedelta64(90, "D"), at) > 0)
    population = pd.DataFrame({"rep_id": ctx.reps.to_numpy()[rep[keep]], "as_of": at[keep]})
    features = rep_features(ctx, population)
    for w in (30, 90):
        features[f"hunting_share_outbound_{w}d"] = _share(
            features[f"hunting_activities_{w}d"], features[f"outbound_activities_{w}d"]
        )
    out = features[list(REP_MONTH_COLUMNS)].sort_values(["as_of", "rep_id"], ignore_index=True)
    if truth is not None:
        out = _with_rep_truth(out, truth)
    return out


def hunting_share_by(
    rep_months: pd.DataFrame,
    by: str,
    bins: Sequence[float] | None = None,
    *,
    share: str = "hunting_share_outbound_90d",
) -> pd.DataFrame:
    """Summarise the hunting share of rep-months by band of ``by`` (or by its values).

    Parameters
    ----------
    rep_months
        As returned by :func:`rep_months` (any frame with ``rep_id``, ``by`` and ``share``).
    by
        The column to group by, e.g. ``tenure_years``, ``book_revenue_vs_peers_365d``,
        ``true_mode`` or ``t_model_stage``.
    bins
        Band edges for a numeric ``by`` (left-closed: ``[a, b)``), e.g. :data:`TENURE_BANDS`;
        ``None`` groups by the values themselves.
    share
        The share column (a fraction) to summarise.

    Returns
    -------
    pandas.DataFrame
        Indexed by the band (or value) of ``by``, non-empty groups only, in band order:
        ``rep_months`` (rows with a share), ``reps`` (distinct reps), ``mean_pct``,
        ``median_pct``, ``q25_pct`` and ``q75_pct`` of the share, in %.

    Examples
    --------
    >>> frame = pd.DataFrame({"rep_id": ["a", "a", "b"], "tenure_years": [0.5, 1.5, 4.0],
    ...                       "hunting_share_outbound_90d": [0.8, 0.5, 0.2]})
    >>> hunting_share_by(frame, "tenure_years", (0, 1, 3, 10))["mean_pct"].round(1).tolist()
    [80.0, 50.0, 20.0]
    """
    missing = [c for c in ("rep_id", by, share) if c not in rep_months.columns]
    if missing:
        raise ValueError(f"rep_months: missing column(s) {missing}")
    frame = rep_months.loc[rep_months[share].notna(), ["rep_id", by, share]]
    key = _band(frame[by], bins) if bins is not None else frame[by]
    pct = 100 * frame[share].astype(float)
    grouped = pct.groupby(key, observed=True, sort=True)
    out = pd.DataFrame(
        {
            "rep_months": grouped.size(),
            "reps": frame["rep_id"].groupby(key, observed=True, sort=True).nunique(),
            "mean_pct": grouped.mean(),
            "median_pct": grouped.median(),
            "q25_pct": grouped.quantile(0.25),
            "q75_pct": grouped.quantile(0.75),
        }
    )
    out.index.name = by
    return out


def stage_mix(rep_months: pd.DataFrame, bins: Sequence[float] = TENURE_BANDS) -> pd.DataFrame:
    """Return the T-model stage mix of rep-months by tenure band.

    Parameters
    ----------
    rep_months
        As returned by :func:`rep_months` (``tenure_years`` and ``t_model_stage`` are read).
    bins
        Tenure band edges in years (left-closed).

    Returns
    -------
    pandas.DataFrame
        Rows: tenure bands with at least one rep-month; columns: the five T-model stages
        (``prospecting`` ... ``deepening``), each the % of the band's rep-months in that stage
        (rows sum to 100), then ``rep_months``.
    """
    band = _band(rep_months["tenure_years"], bins)
    stage = pd.Categorical(rep_months["t_model_stage"], categories=list(T_MODEL_STAGES))
    counts = pd.crosstab(band, stage, dropna=True).reindex(
        columns=list(T_MODEL_STAGES), fill_value=0
    )
    total = counts.sum(axis=1)
    out = 100 * counts.div(total, axis=0)
    out["rep_months"] = total
    out.index.name = "tenure_years"
    out.columns.name = None
    return out.loc[total > 0]


def example_reps(truth: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    """Pick a few reps whose hidden story is clear: slid, slid and recovered, never slid.

    Read only from the simulator's truth, deterministically (earliest suitable episode first),
    among reps with a single slide episode touching the truth's window:

    * ``slid``: a slide that starts at least four months after the first truth month and
      completes at least six months before the last, without a recovery;
    * ``slid and recovered``: such a slide, then its recovery, completed inside the window;
    * ``recovered from an earlier slide``: an order-follower from a slide before the window
      whose recovery starts at least four months into it and completes inside it;
    * ``never slid``: a hunter in every month of the window.

    Parameters
    ----------
    truth
        The simulator's truth (``rep_months`` and ``slides`` are read).

    Returns
    -------
    dict
        ``{rep_id: story}`` in the order above; a story without a suitable rep is skipped.
    """
    months = truth["rep_months"]
    slides = truth["slides"].sort_values(["slide_started_at", "rep_id"], kind="stable")
    first = pd.Timestamp(months["month"].min())
    last = pd.Timestamp(months["month"].max()) + pd.offsets.MonthEnd(1)
    early, late = first + pd.DateOffset(months=4), last - pd.DateOffset(months=6)
    inside = (slides["slide_started_at"] >= early) & (slides["slide_completed_at"] <= late)
    # a rep's other slides would muddy its picture: keep reps with one slide in the window
    in_window = slides[(slides["slide_started_at"] >= first) | slides["recovered_at"].ge(first)]
    single = ~slides["rep_id"].isin(in_window.loc[in_window["rep_id"].duplicated(), "rep_id"])
    picks: dict[str, str] = {}
    candidates = {
        "slid": inside & single & slides["recovery_started_at"].isna(),
        "slid and recovered": inside & single & slides["recovered_at"].le(last),
        "recovered from an earlier slide": (slides["slide_started_at"] < first)
        & single
        & slides["recovery_started_at"].ge(early)
        & slides["recovered_at"].le(last),
    }
    for story, mask in candidates.items():
        found = slides.loc[mask & ~slides["rep_id"].isin(list(picks)), "rep_id"]
        if len(found):
            picks[str(found.iloc[0])] = story
    n_months = months["month"].nunique()
    modes = months.groupby("rep_id", observed=True)["mode"].agg(["nunique", "first", "size"])
    steady = modes[(modes["size"] == n_months) & (modes["nunique"] == 1)]
    hunters = sorted(str(r) for r in steady.index[steady["first"] == "hunter"] if r not in picks)
    if hunters:
        picks[hunters[0]] = "never slid"
    return picks


def rep_trajectories(
    ctx: FeatureContext,
    rep_ids: Sequence[str],
    *,
    window_days: int = 30,
    freq: str = "W-MON",
) -> pd.DataFrame:
    """Return each rep's hunting share over time, on a weekly grid of trailing windows.

    Parameters
    ----------
    ctx
        The indexed extract; it needs an activities table.
    rep_ids
        The reps to follow.
    window_days
        Trailing window of each point, one of the feature windows (30, 90, 180, 365 days).
    freq
        Pandas frequency of the grid (default weekly, on Mondays).

    Returns
    -------
    pandas.DataFrame
        ``rep_id``, ``as_of``, ``outbound_activities`` and ``hunting_activities`` in
        ``[as_of - window_days, as_of)``, and ``hunting_share_outbound`` (their ratio, NaN with no
        outbound activity), for every grid date the rep was employed.
    """
    if window_days not in WINDOWS:
        raise ValueError(f"window_days must be one of {WINDOWS}, not {window_days}")
    unknown = [r for r in rep_ids if r not in ctx.reps]
    if unknown:
        raise ValueError(f"rep_ids: not reps of the extract: {unknown[:5]}")
    grid = as_of_grid(ctx.crm, horizon_days=0, warmup_days=window_days, freq=freq)
    rep = np.repeat(ctx.reps.get_indexer(pd.Index(list(rep_ids))), len(grid))
    at = np.tile(to_ns(grid), len(rep_ids))
    keep = _employed(ctx, rep, at)
    population = pd.DataFrame({"rep_id": ctx.reps.to_numpy()[rep[keep]], "as_of": at[keep]})
    features = rep_features(ctx, population)
    out = pd.DataFrame(
        {
            "rep_id": features["rep_id"],
            "as_of": features["as_of"],
            "outbound_activities": features[f"outbound_activities_{window_days}d"],
            "hunting_activities": features[f"hunting_activities_{window_days}d"],
        }
    )
    out["hunting_share_outbound"] = _share(out["hunting_activities"], out["outbound_activities"])
    out.attrs["window_days"] = window_days
    return out


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
        raise ValueError("the extract has no orders table; revivals are read from orders")
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
        from_pool = (reason == REASONS.index("claimed")) & (owner >= 0)
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


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------


def hunting_share_chart(
    rep_months: pd.DataFrame,
    *,
    coverage: str = "book_revenue_vs_peers_365d",
    coverage_label: str = "book revenue vs the peer median (×, 365 days)",
    coverage_bins: Sequence[float] = COVERAGE_BANDS,
    title: str | None = None,
) -> Figure:
    """Plot the hunting share of rep-months against tenure and against book coverage.

    Parameters
    ----------
    rep_months
        As returned by :func:`rep_months`.
    coverage
        The book-coverage column, e.g. ``book_revenue_vs_peers_365d`` or ``true_book_coverage``.
    coverage_label
        Its axis label, with the unit.
    coverage_bins
        Band edges for the coverage medians.
    title
        Figure title; a default one is used when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels, one dot per rep-month (90-day hunting share of outbound touches) with the
        band medians and inter-quartile ranges on top: against tenure, and against coverage
        (coverage dots above the 99th percentile are drawn at it, so the tail stays readable).
    """
    share = "hunting_share_outbound_90d"
    fig = Figure(figsize=(12, 4.8), layout="constrained")
    tenure_ax, cover_ax = fig.subplots(1, 2, sharey=True)
    panels = (
        (tenure_ax, "tenure_years", TENURE_BANDS, "tenure (years)", "By tenure"),
        (cover_ax, coverage, coverage_bins, coverage_label, "By book coverage"),
    )
    for ax, column, bins, xlabel, panel_title in panels:
        frame = rep_months[[column, share]].dropna()
        x = frame[column].to_numpy(dtype=float)
        if column != "tenure_years":
            x = np.minimum(x, _cap(x))
        ax.scatter(x, 100 * frame[share], s=6, alpha=0.25, color="tab:blue", label="rep-month")
        table = hunting_share_by(rep_months, column, bins)
        edges = _band_labels(bins)
        mids = [_mid(*edges[str(band)], x) for band in table.index]
        ax.errorbar(
            mids,
            table["median_pct"],
            yerr=[table["median_pct"] - table["q25_pct"], table["q75_pct"] - table["median_pct"]],
            color="tab:red",
            marker="o",
            linewidth=2,
            capsize=4,
            label="band median (IQR)",
        )
        ax.set(xlabel=xlabel, title=panel_title, ylim=(0, 100))
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize="small")
    tenure_ax.set_ylabel(_SHARE_LABEL.format(w=90))
    cover_ax.set_ylabel(_SHARE_LABEL.format(w=90))
    n = rep_months["rep_id"].nunique()
    fig.suptitle(title or f"Hunting share falls with tenure and book ({n} reps, monthly)")
    return fig


def trajectory_chart(
    trajectories: pd.DataFrame,
    slides: pd.DataFrame | None = None,
    *,
    stories: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Figure:
    """Plot a few reps' hunting share over time, with the truth's slide dates marked.

    Parameters
    ----------
    trajectories
        As returned by :func:`rep_trajectories`.
    slides
        The truth's ``slides`` table (``rep_id``, ``slide_started_at``, ``slide_completed_at``,
        ``recovery_started_at``, ``recovered_at``); a slide is shaded red from its start to its
        completion, a recovery green, and an order-follower spell in between light grey.
    stories
        ``{rep_id: story}`` (as from :func:`example_reps`) for the panel titles; it also sets
        the panel order.
    title
        Figure title; a default one is used when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per rep, sharing the time axis.
    """
    reps = list(stories) if stories else list(pd.unique(trajectories["rep_id"]))
    if not reps:
        raise ValueError("trajectories is empty: pass at least one rep")
    window = trajectories.attrs.get("window_days", 30)
    fig = Figure(figsize=(11, 2.3 * len(reps) + 0.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(reps), 1, sharex=True, squeeze=False)[:, 0])
    for ax, rep in zip(axes, reps, strict=True):
        mine = trajectories[trajectories["rep_id"] == rep]
        if mine.empty:
            raise ValueError(f"trajectories has no row for rep {rep!r}")
        ax.plot(mine["as_of"], 100 * mine["hunting_share_outbound"], color="tab:blue", label=rep)
        if slides is not None:
            lo, hi = mine["as_of"].min(), mine["as_of"].max()
            _mark_slides(ax, slides[slides["rep_id"] == rep], lo, hi)
        story = f": {stories[rep]}" if stories and rep in stories else ""
        ax.set(title=f"{rep}{story}", ylabel="hunting share of outbound (%)", ylim=(0, 100))
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize="small", ncols=2)
    axes[-1].set_xlabel(f"as_of (date; each point: hunting share of the {window} days before it)")
    fig.suptitle(title or "Rep trajectories: observed hunting share and the hidden slides")
    return fig


def pool_flow_chart(flows: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Plot the pool's monthly flows (releases, claims, revivals) and its size.

    Parameters
    ----------
    flows
        As returned by :func:`pool_flows`.
    title
        Figure title; a default one is used when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        Top: customers per month released (by the rule or a manager), released because their
        rep left, claimed from the pool, and revived (ordering again after a dormant spell; all,
        and those claimed from the pool). Bottom: customers in the pool at each month end.
    """
    if flows.empty:
        raise ValueError("flows is empty")
    fig = Figure(figsize=(11, 6.5), layout="constrained")
    flow_ax, size_ax = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    x = pd.DatetimeIndex(flows.index)
    styles = {
        "released": ("released to the pool", "tab:red", "-"),
        "rep_left": ("into the pool: owner left", "tab:orange", "--"),
        "claimed": ("claimed from the pool", "tab:blue", "-"),
        "revivals": ("revivals (any owner)", "tab:green", "-"),
        "revivals_from_pool": ("revivals of claimed customers", "tab:green", ":"),
    }
    for column, (label, colour, style) in styles.items():
        if flows[column].notna().any():
            flow_ax.plot(x, flows[column], label=label, color=colour, linestyle=style, marker=".")
    flow_ax.set(ylabel="customers (per month)", title="Flows through the pool")
    flow_ax.grid(alpha=0.3)
    flow_ax.legend(loc="upper left", fontsize="small")
    size_ax.bar(x, flows["pool_size"].fillna(0), width=20, align="edge", color="tab:grey")
    size_ax.set(
        xlabel="month (calendar month)",
        ylabel="customers in the pool (count)",
        title="Pool size at month end",
    )
    size_ax.grid(alpha=0.3)
    fig.suptitle(title or "The shared pool: what goes in, what comes out, what comes back")
    return fig


def dormant_chart(dormant: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Plot the dormant population by age and value.

    Parameters
    ----------
    dormant
        As returned by :func:`dormant_population`.
    title
        Figure title; a default one is used when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        Left: each lapsed buyer at its days since the last order and lifetime order value,
        coloured by the truth's state when ``true_state`` is present (revivable green, lost
        grey), else by whether it sits in the pool. Right: dormant customers per age band,
        stacked by lifetime-value band (cold prospects, who never ordered, are counted in the
        title only: they have neither an order age nor a value).
    """
    if dormant.empty:
        raise ValueError("dormant is empty: no dormant customer at this as_of")
    fig = Figure(figsize=(12, 4.8), layout="constrained")
    scatter_ax, bar_ax = fig.subplots(1, 2, width_ratios=[3, 2])
    buyers = dormant[dormant["kind"] == "lapsed buyer"]
    if "true_state" in buyers.columns:
        colour_by = buyers["true_state"].astype("string").fillna("unknown")
        colours = dict(_STATE_COLOURS)
    else:
        pool = np.where(buyers["in_pool"], "in the pool", "owned by a rep")
        colour_by = pd.Series(pool, index=buyers.index, dtype=pd.StringDtype())
        colours = {"in the pool": "tab:grey", "owned by a rep": "tab:orange"}
    for name, group in buyers.groupby(colour_by, sort=True):
        scatter_ax.scatter(
            group["days_since_last_order"],
            group["order_value_lifetime"].clip(lower=1.0),
            s=10,
            alpha=0.6,
            color=colours.get(str(name), "tab:purple"),
            label=f"{name} ({len(group)})",
        )
    scatter_ax.set_yscale("log")
    scatter_ax.set(
        xlabel="days since last order (days)",
        ylabel=_VALUE_LABEL,
        title=f"Lapsed buyers ({len(buyers)})",
    )
    scatter_ax.grid(alpha=0.3)
    scatter_ax.legend(loc="best", fontsize="small")
    counts = pd.crosstab(buyers["age_band"], buyers["value_band"], dropna=False)
    counts = counts.drop(index="never ordered", columns="none", errors="ignore")
    bottom = np.zeros(len(counts))
    labels = [str(i) for i in counts.index]
    for column in counts.columns:
        values = counts[column].to_numpy(dtype=float)
        if values.sum() == 0:
            continue
        bar_ax.bar(labels, values, bottom=bottom, label=str(column))
        bottom += values
    bar_ax.set(
        xlabel="days since last order (band, days)",
        ylabel="lapsed buyers (count)",
        title=f"By age and lifetime value (+ {len(dormant) - len(buyers)} cold prospects)",
    )
    bar_ax.tick_params(axis="x", labelrotation=30)
    bar_ax.grid(axis="y", alpha=0.3)
    bar_ax.legend(title="lifetime value (currency units)", fontsize="small")
    at = pd.Timestamp(dormant["as_of"].iloc[0])
    fig.suptitle(title or f"Dormant customers on {at:%Y-%m-%d} ({len(dormant)} customers)")
    return fig


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _activities(ctx: FeatureContext) -> EventIndex:
    if ctx.activities_by_rep is None:
        raise ValueError(
            "the extract has no activities table; hunting and farming are read from activity "
            "records"
        )
    return ctx.activities_by_rep


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    """Return ``part / whole`` as floats, NaN where ``whole`` is 0."""
    whole = whole.astype(float)
    return part.astype(float) / whole.where(whole > 0)


def _employed(ctx: FeatureContext, rep: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Return whether each rep code is employed at ``at`` (hired before it, not left by then)."""
    reps = ctx.crm.reps
    if reps is None:
        return np.ones(len(rep), dtype=bool)
    by_id = reps.set_index("rep_id")
    hired = to_ns(by_id["hired_at"].reindex(ctx.reps))[rep]
    left = to_ns(by_id["left_at"].reindex(ctx.reps))[rep]
    return (np.isnat(hired) | (hired < at)) & (np.isnat(left) | (left > at))


def _band_labels(bins: Sequence[float]) -> dict[str, tuple[float, float]]:
    """Return ``{label: (low, high)}`` of left-closed bands, labelled like ``1-2`` or ``5+``."""
    edges = [float(b) for b in bins]
    if len(edges) < 2 or any(b <= a for a, b in itertools.pairwise(edges)):
        raise ValueError(f"bins must be at least two increasing edges, got {list(bins)}")
    return {
        (f"{_fmt(a)}+" if np.isinf(b) else f"{_fmt(a)}-{_fmt(b)}"): (a, b)
        for a, b in itertools.pairwise(edges)
    }


def _band(values: pd.Series, bins: Sequence[float]) -> pd.Series:
    """Cut ``values`` into left-closed bands labelled as in :func:`_band_labels`."""
    labels = list(_band_labels(bins))
    return pd.cut(values.astype(float), [float(b) for b in bins], right=False, labels=labels)


def _fmt(edge: float) -> str:
    if edge >= 1000 and edge % 1000 == 0:
        return f"{edge / 1000:g}k"
    return f"{edge:g}"


def _with_level(band: pd.Series, present: np.ndarray, level: str) -> pd.Series:
    """Return ``band`` with ``level`` added as its last category, set where not ``present``."""
    out = band.cat.add_categories([level])
    return out.where(present, level)


def _mid(low: float, high: float, x: np.ndarray) -> float:
    """Return where to draw a band's median: the middle of its edges (open bands: their data)."""
    if np.isinf(high):
        inside = x[x >= low]
        return float(np.median(inside)) if len(inside) else low
    return (low + high) / 2


def _cap(x: np.ndarray) -> float:
    """Return a display cap for a long-tailed axis: the 99th percentile, at least 1."""
    return max(float(np.nanpercentile(x, 99)), 1.0) if len(x) else 1.0


def _per_period(
    times: pd.Series, edges: pd.DatetimeIndex, weights: pd.Series | None = None
) -> np.ndarray:
    """Return the number (or weighted sum) of ``times`` in each ``[edges[i], edges[i + 1])``."""
    t = to_ns(times)
    bucket = np.searchsorted(to_ns(edges), t, side="right") - 1
    inside = (bucket >= 0) & (bucket < len(edges) - 1)
    w = None if weights is None else weights.to_numpy(dtype=float)[inside]
    return np.bincount(bucket[inside], weights=w, minlength=len(edges) - 1).astype(float)


def _month_before(as_of: pd.Series) -> np.ndarray:
    """Return the truth month (:func:`stagnation.crm.truth_month`) of each ``as_of``, as ns."""
    return to_ns(pd.DatetimeIndex(truth_month(as_of)))


def _with_rep_truth(frame: pd.DataFrame, truth: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Add the truth's mode and book coverage at the month end before each ``as_of``."""
    months = truth["rep_months"]
    key = pd.MultiIndex.from_arrays([frame["rep_id"].to_numpy(), _month_before(frame["as_of"])])
    index = pd.MultiIndex.from_arrays(
        [months["rep_id"].astype("string").to_numpy(), to_ns(months["month"])]
    )
    out = frame.copy()
    for column, name in TRUTH_REP_COLUMNS.items():
        values = pd.Series(months[column].to_numpy(), index=index).reindex(key).to_numpy()
        out[name] = values
    out["true_mode"] = pd.Categorical(
        out["true_mode"], categories=["hunter", "sliding", "order_follower", "recovering"]
    )
    out["true_book_coverage"] = out["true_book_coverage"].astype(float)
    return out


def _mark_slides(ax: Axes, slides: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> None:
    """Shade a rep's slides (red), order-follower spells (grey) and recoveries (green)."""
    labelled: set[str] = set()
    first, last = pd.Timestamp(lo), pd.Timestamp(hi)

    def span(start: np.datetime64, stop: np.datetime64, colour: str, label: str) -> None:
        if np.isnat(start):
            return
        a = max(pd.Timestamp(start), first)
        b = last if np.isnat(stop) else min(pd.Timestamp(stop), last)
        if b <= a:
            return
        shown = label if label not in labelled else None
        labelled.add(label)
        ax.axvspan(float(date2num(a)), float(date2num(b)), color=colour, alpha=0.18, label=shown)

    columns = ("slide_started_at", "slide_completed_at", "recovery_started_at", "recovered_at")
    times = {c: to_ns(slides[c]) for c in columns}
    for started, completed, recovering, recovered in zip(*times.values(), strict=True):
        span(started, completed, "tab:red", "slide (truth)")
        span(completed, recovering, "tab:grey", "order-follower (truth)")
        span(recovering, recovered, "tab:green", "recovery (truth)")
        if not np.isnat(started) and first <= pd.Timestamp(started) <= last:
            ax.axvline(float(date2num(started)), color="tab:red", linewidth=1)
