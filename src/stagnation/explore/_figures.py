"""Figures: each builds and returns a matplotlib Figure, titled, axes labelled with units."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import date2num
from matplotlib.figure import Figure

from stagnation.explore._common import (
    _SHARE_LABEL,
    _STATE_COLOURS,
    _VALUE_LABEL,
    COVERAGE_BANDS,
    TENURE_BANDS,
    _band_labels,
)
from stagnation.explore._reps import hunting_share_by
from stagnation.timeline import to_ns


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


def _mid(low: float, high: float, x: np.ndarray) -> float:
    """Return where to draw a band's median: the middle of its edges (open bands: their data)."""
    if np.isinf(high):
        inside = x[x >= low]
        return float(np.median(inside)) if len(inside) else low
    return (low + high) / 2


def _cap(x: np.ndarray) -> float:
    """Return a display cap for a long-tailed axis: the 99th percentile, at least 1."""
    return max(float(np.nanpercentile(x, 99)), 1.0) if len(x) else 1.0


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
