"""Rep tables: the extract at a glance, hunting share by tenure and book, trajectories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from stagnation.crm import ValidationReport
from stagnation.explore._common import (
    _EVENT_COLUMN,
    REP_MONTH_COLUMNS,
    TENURE_BANDS,
    _activities,
    _band,
    _employed,
    _share,
    _with_rep_truth,
)
from stagnation.features import ACTIVITY_KINDS, T_MODEL_STAGES, FeatureContext, rep_features
from stagnation.snapshots import as_of_grid
from stagnation.timeline import WINDOWS, to_ns


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
