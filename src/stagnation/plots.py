"""Evaluation plots: gain and lift, calibration, ROC and PR, importances, the backtest.

Every function builds and returns a :class:`matplotlib.figure.Figure` without touching pyplot's
global state, so they are safe under the ``Agg`` backend, in threads, and in notebooks (where a
returned figure displays itself). Save one with ``fig.savefig(path)``.

Scores may contain missing values (a baseline rule that does not apply to a row); they rank last,
below every real score.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from numpy.typing import ArrayLike
from sklearn.calibration import calibration_curve as _sk_calibration_curve
from sklearn.metrics import (
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from stagnation.training import STRATEGIES

__all__ = [
    "backtest_chart",
    "calibration_curve",
    "contribution_summary",
    "feature_importance_chart",
    "lift_gain_chart",
    "roc_pr_curves",
]

_RANDOM_STYLE = {"color": "grey", "linestyle": "--", "linewidth": 1}
#: Share of the population where the lift curve starts (before it, lift is a handful of rows).
LIFT_FROM = 0.01


def _label(label: ArrayLike) -> np.ndarray:
    y = np.asarray(label, dtype=float)
    if y.ndim != 1 or len(y) == 0:
        raise ValueError(f"label must be a non-empty 1-d array, got shape {y.shape}")
    if np.isnan(y).any() or not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("label must hold only 0 and 1 (no missing values)")
    return y


def _score(score: ArrayLike, n: int, name: str) -> np.ndarray:
    """Return ``score`` as floats with missing values below every real score."""
    s = np.asarray(score, dtype=float)
    if s.shape != (n,):
        raise ValueError(f"score {name!r} has shape {s.shape}, expected ({n},) like the label")
    missing = np.isnan(s)
    if missing.any():
        floor = np.nanmin(s) - 1.0 if not missing.all() else 0.0
        s = np.where(missing, floor, s)
    return s


def _scores(label: np.ndarray, scores: Mapping[str, ArrayLike]) -> dict[str, np.ndarray]:
    if not scores:
        raise ValueError("scores is empty: pass at least one {name: score array}")
    return {name: _score(s, len(label), name) for name, s in scores.items()}


def _gain(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return population share and share of positives captured, best scores first."""
    order = np.argsort(-s, kind="stable")
    captured = np.cumsum(y[order]) / max(y.sum(), 1.0)
    share = np.arange(1, len(y) + 1) / len(y)
    return np.concatenate([[0.0], share]), np.concatenate([[0.0], captured])


def lift_gain_chart(
    label: ArrayLike, scores: Mapping[str, ArrayLike], *, title: str | None = None
) -> Figure:
    """Plot cumulative gain and cumulative lift by share of the population contacted.

    Parameters
    ----------
    label
        Binary outcome (0/1) of each row.
    scores
        ``{name: score}``: the model and its baselines, each row-aligned with ``label``; the
        first one is drawn thickest.
    title
        Figure title; a default one is used when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: share of positives captured (gain) and lift over random, both against the
        share of rows contacted in score order.

    Examples
    --------
    >>> fig = lift_gain_chart([0, 1, 0, 1], {"model": [0.1, 0.9, 0.2, 0.7]})
    >>> [ax.get_title() for ax in fig.axes]
    ['Cumulative gain', 'Cumulative lift (from the top 1%)']
    >>> bool(fig.axes[1].get_ylim()[1] < 2.2)  # the lift axis ends above the best lift, 2
    True
    """
    y = _label(label)
    ss = _scores(y, scores)
    fig = Figure(figsize=(11, 4.5), layout="constrained")
    gain_ax, lift_ax = fig.subplots(1, 2)
    top_lift = 1.0
    for i, (name, s) in enumerate(ss.items()):
        share, captured = _gain(y, s)
        width = 2.2 if i == 0 else 1.2
        gain_ax.plot(share, captured, label=name, linewidth=width)
        # the first rows' lift is noise (one positive in the first row is a lift of n): the
        # curve starts at LIFT_FROM of the population, and the axis fits what is drawn
        shown = share >= max(LIFT_FROM, 1.0 / len(y))
        lift = captured[shown] / share[shown]
        lift_ax.plot(share[shown], lift, label=name, linewidth=width)
        top_lift = max(top_lift, float(np.max(lift, initial=1.0)))
    gain_ax.plot([0, 1], [0, 1], label="random", **_RANDOM_STYLE)
    lift_ax.axhline(1.0, label="random", **_RANDOM_STYLE)
    xlabel = "Population contacted (share, best scores first)"
    gain_ax.set(
        xlabel=xlabel,
        ylabel="Positives captured (share of all positives)",
        title="Cumulative gain",
        xlim=(0, 1),
        ylim=(0, 1.02),
    )
    lift_ax.set(
        xlabel=xlabel,
        ylabel="Lift (positive rate / overall rate, ×)",
        title=f"Cumulative lift (from the top {LIFT_FROM:.0%})",
        xlim=(0, 1),
        ylim=(0, top_lift * 1.08),
    )
    for ax in (gain_ax, lift_ax):
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize="small")
    fig.suptitle(title or f"Gain and lift ({len(y)} rows, {int(y.sum())} positives)")
    return fig


def calibration_curve(
    label: ArrayLike, score: ArrayLike, *, n_bins: int = 10, title: str | None = None
) -> Figure:
    """Plot a reliability diagram (quantile bins) above a histogram of the scores.

    Parameters
    ----------
    label
        Binary outcome (0/1) of each row.
    score
        Predicted probability of each row, in ``[0, 1]``.
    n_bins
        Number of equally populated bins.
    title
        Figure title; a default one is used when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        Observed positive rate against mean predicted probability per bin, with the diagonal of
        perfect calibration, and the distribution of the scores; the axes end just above the
        largest bin (mean score or observed rate), higher scores count in the last bar.

    Examples
    --------
    >>> fig = calibration_curve([0, 0, 1, 0] * 25, [0.02, 0.05, 0.1, 0.04] * 25, n_bins=2)
    >>> [float(round(x, 3)) for x in fig.axes[0].get_xlim()]  # the largest rate is 0.5
    [0.0, 0.575]
    """
    y = _label(label)
    s = _score(score, len(y), "score")
    if (s < 0).any() or (s > 1).any():
        raise ValueError("score must be probabilities in [0, 1]")
    observed, predicted = _sk_calibration_curve(y, s, n_bins=n_bins, strategy="quantile")
    fig = Figure(figsize=(6, 6.5), layout="constrained")
    curve_ax, hist_ax = fig.subplots(2, 1, height_ratios=[3, 1], sharex=True)
    # zoom to the data: rare targets score far below 1, and a 0-1 square hides every point
    # (the axes end just above the largest bin; the histogram counts higher scores in its last bar)
    top = max(min(1.0, max(float(np.max(predicted)), float(np.max(observed))) * 1.15), 0.01)
    curve_ax.plot([0, top], [0, top], label="perfectly calibrated", **_RANDOM_STYLE)
    curve_ax.plot(predicted, observed, marker="o", label="model")
    curve_ax.set(
        ylabel="Observed positive rate (share)",
        title="Reliability (equal-count bins)",
        xlim=(0, top),
        ylim=(0, top),
    )
    curve_ax.grid(alpha=0.3)
    curve_ax.legend(loc="upper left", fontsize="small")
    hist_ax.hist(np.minimum(s, top), bins=np.linspace(0, top, 41), color="tab:blue", alpha=0.7)
    hist_ax.set(xlabel="Predicted probability", ylabel="Rows (count)")
    fig.suptitle(title or f"Calibration ({len(y)} rows, base rate {y.mean():.3f})")
    return fig


def roc_pr_curves(
    label: ArrayLike, scores: Mapping[str, ArrayLike], *, title: str | None = None
) -> Figure:
    """Plot ROC and precision-recall curves of several scores, with their areas in the legend.

    Parameters
    ----------
    label
        Binary outcome (0/1) of each row; both classes must be present.
    scores
        ``{name: score}``, each row-aligned with ``label``.
    title
        Figure title; a default one is used when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: ROC (with the chance diagonal) and precision-recall (with the base rate).
    """
    y = _label(label)
    if y.min() == y.max():
        raise ValueError("label has a single class: ROC and PR curves are undefined")
    ss = _scores(y, scores)
    fig = Figure(figsize=(11, 4.5), layout="constrained")
    roc_ax, pr_ax = fig.subplots(1, 2)
    for i, (name, s) in enumerate(ss.items()):
        width = 2.2 if i == 0 else 1.2
        fpr, tpr, _ = roc_curve(y, s)
        roc_ax.plot(fpr, tpr, linewidth=width, label=f"{name} (AUC {roc_auc_score(y, s):.3f})")
        precision, recall, _ = precision_recall_curve(y, s)
        ap = average_precision_score(y, s)
        pr_ax.plot(recall, precision, linewidth=width, label=f"{name} (AP {ap:.3f})")
    roc_ax.plot([0, 1], [0, 1], label="chance", **_RANDOM_STYLE)
    pr_ax.axhline(y.mean(), label=f"base rate {y.mean():.3f}", **_RANDOM_STYLE)
    roc_ax.set(
        xlabel="False positive rate (share of negatives)",
        ylabel="True positive rate (share of positives)",
        title="ROC",
        xlim=(0, 1),
        ylim=(0, 1.02),
    )
    pr_ax.set(
        xlabel="Recall (share of positives found)",
        ylabel="Precision (share of flagged that are positive)",
        title="Precision-recall",
        xlim=(0, 1),
        ylim=(0, 1.02),
    )
    for ax in (roc_ax, pr_ax):
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize="small")
    fig.suptitle(title or f"ROC and precision-recall ({len(y)} rows)")
    return fig


def feature_importance_chart(
    importance: pd.Series, top: int = 20, *, title: str | None = None
) -> Figure:
    """Plot the ``top`` features by importance as horizontal bars, largest on top.

    Parameters
    ----------
    importance
        Importance of each feature (LightGBM gain: total loss reduction of its splits), indexed
        by feature name.
    top
        How many features to show.
    title
        Figure title; a default one is used when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        One horizontal bar per feature.
    """
    if importance.empty:
        raise ValueError("importance is empty")
    shown = importance.astype(float).sort_values(ascending=False).head(top).iloc[::-1]
    fig = Figure(figsize=(7, 0.3 * len(shown) + 1.5), layout="constrained")
    ax = fig.subplots()
    ax.barh([str(i) for i in shown.index], shown.to_numpy(), color="tab:blue")
    ax.set(
        xlabel="Gain importance (total loss reduction of the feature's splits)", ylabel="Feature"
    )
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title or f"Feature importance (top {len(shown)} of {len(importance)})")
    return fig


def _colour_values(column: pd.Series) -> np.ndarray:
    """Return each value's percentile rank within its column (categories by code), NaN kept."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.astype(float)
        values = codes.where(codes >= 0)
    else:
        values = pd.to_numeric(column, errors="coerce").astype(float)
    return values.rank(pct=True).to_numpy(dtype=float)


def contribution_summary(
    contributions: pd.DataFrame, X: pd.DataFrame, top: int = 15, *, title: str | None = None
) -> Figure:
    """Plot a SHAP-style summary: mean absolute contribution and a beeswarm of every row.

    Parameters
    ----------
    contributions
        Per-row feature contributions to the model's raw score (log-odds for LightGBM's
        ``pred_contrib``), rows x features, without the bias column.
    X
        The feature values of the same rows (same index or same order), used to colour the dots.
    top
        How many features to show, by mean absolute contribution.
    title
        Figure title; a default one is used when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        Left: mean |contribution| per feature. Right: one dot per row and feature at its
        contribution, coloured by the feature value's rank (low blue, high red, missing grey).
    """
    if contributions.empty:
        raise ValueError("contributions is empty")
    if len(contributions) != len(X):
        raise ValueError(f"contributions has {len(contributions)} rows but X has {len(X)}")
    missing = [c for c in contributions.columns if c not in X.columns]
    if missing:
        raise ValueError(f"X lacks the contribution columns {missing[:5]}")
    mean_abs = contributions.abs().mean().sort_values(ascending=False).head(top).iloc[::-1]
    names = list(mean_abs.index)
    fig = Figure(figsize=(12, 0.35 * len(names) + 1.8), layout="constrained")
    bar_ax, swarm_ax = fig.subplots(1, 2, sharey=True, width_ratios=[1, 2])
    bar_ax.barh(names, mean_abs.to_numpy(), color="tab:blue")
    bar_ax.set(xlabel="Mean |contribution| (log-odds)", ylabel="Feature", title="Average impact")
    bar_ax.grid(axis="x", alpha=0.3)
    rng = np.random.default_rng(0)
    values = X.reset_index(drop=True)
    for row, name in enumerate(names):
        c = contributions[name].to_numpy(dtype=float)
        colour = _colour_values(values[name])
        jitter = rng.uniform(-0.3, 0.3, size=len(c))
        known = ~np.isnan(colour)
        swarm_ax.scatter(c[~known], row + jitter[~known], s=6, color="lightgrey")
        points = swarm_ax.scatter(
            c[known], row + jitter[known], s=6, c=colour[known], cmap="coolwarm", vmin=0, vmax=1
        )
    swarm_ax.axvline(0.0, color="grey", linewidth=1)
    swarm_ax.set(xlabel="Contribution to the score (log-odds)", title="Every row")
    swarm_ax.grid(axis="x", alpha=0.3)
    bar = fig.colorbar(points, ax=swarm_ax, ticks=[0, 1])
    bar.ax.set_yticklabels(["low", "high"])
    bar.set_label("Feature value (rank)")
    fig.suptitle(title or f"Feature contributions ({len(contributions)} rows)")
    return fig


def backtest_chart(table: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Plot the backtest: true cases found in the top K by each strategy, summed over dates.

    Parameters
    ----------
    table
        From :func:`stagnation.backtest.backtest` (or ``backtest_customers`` /
        ``backtest_reps``): columns ``entity_type``, ``as_of``, ``k``, ``strategy`` and
        ``hits``.
    title
        Figure title; a default one is used when omitted.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per entity type (customers: customers among the K released or assigned that
        could truly be won; reps: reps among the K coached who truly slid), grouped bars per K.

    Examples
    --------
    >>> table = pd.DataFrame({"entity_type": "customer", "as_of": pd.Timestamp("2025-01-01"),
    ...     "k": [10, 10], "strategy": ["our priority", "pool rule"], "hits": [4.0, 1.0]})
    >>> [ax.get_title() for ax in backtest_chart(table).axes]
    ['Customers: truly winnable in the top K']
    """
    required = {"entity_type", "as_of", "k", "strategy", "hits"}
    if missing := required - set(table.columns):
        raise ValueError(f"the backtest table lacks the columns {sorted(missing)}")
    titles = {
        "customer": ("Customers: truly winnable in the top K", "customers K released or assigned"),
        "rep": ("Reps: truly sliding in the top K", "reps K coached"),
    }
    entities = [e for e in titles if e in set(table["entity_type"])]
    if not entities:
        raise ValueError("the backtest table has no customer or rep rows")
    fig = Figure(figsize=(5.5 * len(entities), 4.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(entities)))
    for ax, entity in zip(axes, entities, strict=True):
        part = table[table["entity_type"] == entity]
        totals = part.pivot_table(index="k", columns="strategy", values="hits", aggfunc="sum")
        # the backtest's own order: ours, then the rules, random last; unknown names after
        strategies = sorted(
            totals.columns, key=lambda s: (STRATEGIES.index(s) if s in STRATEGIES else 99, s)
        )
        width = 0.8 / len(strategies)
        x = np.arange(len(totals))
        for i, strategy in enumerate(strategies):
            style = {"color": "grey"} if strategy == "random" else {}
            ax.bar(x + i * width, totals[strategy], width, label=strategy, **style)
        ax.set_xticks(x + width * (len(strategies) - 1) / 2, [str(k) for k in totals.index])
        dates = part["as_of"].nunique()
        head, xlabel = titles[entity]
        ax.set(
            title=head,
            xlabel=f"K ({xlabel} per date)",
            ylabel=f"True cases found (count, sum over {dates} dates)",
        )
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle(title or "Backtest: acting on our ranking vs today's rules")
    return fig
