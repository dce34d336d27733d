"""Plots: figures built without pyplot, titled, axes labelled, inputs checked."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from stagnation import plots

RNG = np.random.default_rng(0)
N = 300
LABEL = (RNG.uniform(size=N) < 0.3).astype(int)
MODEL = np.clip(0.3 * LABEL + RNG.uniform(0, 0.7, N), 0, 1)
RULE = RNG.uniform(size=N)
RULE[:10] = np.nan  # a rule that does not apply to some rows


@pytest.fixture(autouse=True)
def _agg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")


def _check(fig: Figure, n_axes: int) -> None:
    assert isinstance(fig, Figure)
    assert fig.get_suptitle() or fig.axes[0].get_title()
    labelled = [ax for ax in fig.axes if ax.get_xlabel() and ax.get_ylabel()]
    assert len(labelled) >= n_axes
    assert plt.get_fignums() == []  # nothing registered with pyplot


def test_each_plot_builds_a_labelled_figure(tmp_path) -> None:
    contributions = pd.DataFrame({"a": RNG.normal(size=N), "b": RNG.normal(size=N) / 3})
    X = pd.DataFrame({"a": RNG.uniform(size=N), "b": pd.Categorical(RNG.choice(["x", "y"], N))})
    figures = {
        "gain": (plots.lift_gain_chart(LABEL, {"model": MODEL, "rule": RULE}), 2),
        "calibration": (plots.calibration_curve(LABEL, MODEL), 1),
        "roc": (plots.roc_pr_curves(LABEL, {"model": MODEL, "rule": RULE}), 2),
        "importance": (plots.feature_importance_chart(pd.Series({"a": 3.0, "b": 1.0})), 1),
        "contributions": (plots.contribution_summary(contributions, X, top=2), 1),
    }
    for name, (fig, n_axes) in figures.items():
        _check(fig, n_axes)
        fig.savefig(tmp_path / f"{name}.png")
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
    importance = figures["importance"][0].axes[0]
    assert importance.get_xlabel().startswith("Gain importance")
    assert [t.get_text() for t in importance.get_yticklabels()] == ["b", "a"]  # largest on top


def test_gain_curve_of_a_perfect_score_captures_all_positives_first() -> None:
    label = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    fig = plots.lift_gain_chart(label, {"perfect": label.astype(float)})
    gain = fig.axes[0].lines[0]
    share, captured = gain.get_xdata(), gain.get_ydata()
    assert captured[np.searchsorted(share, 0.2)] == 1.0
    lift = fig.axes[1].lines[0].get_ydata()
    assert lift[1] == pytest.approx(5.0)  # top 20 %: all positives, base rate 20 %


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: plots.lift_gain_chart([0, 1], {}), "scores is empty"),
        (lambda: plots.lift_gain_chart([0, 2], {"m": [0.1, 0.2]}), "only 0 and 1"),
        (lambda: plots.roc_pr_curves([1, 1], {"m": [0.1, 0.2]}), "single class"),
        (lambda: plots.roc_pr_curves([0, 1], {"m": [0.1]}), "shape"),
        (lambda: plots.calibration_curve([0, 1], [0.5, 1.5]), r"\[0, 1\]"),
        (lambda: plots.feature_importance_chart(pd.Series(dtype=float)), "empty"),
    ],
)
def test_bad_inputs_are_refused(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_backtest_chart_sums_hits_over_dates_per_k_and_strategy() -> None:
    dates = [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")]
    rows = [
        {"entity_type": entity, "as_of": at, "k": k, "strategy": s, "hits": h, "value": 0.0}
        for entity in ("customer", "rep")
        for at in dates
        for k in (5, 10)
        for s, h in (("our priority", k / 5 + 1), ("pool rule", 1.0), ("random", 0.5))
    ]
    fig = plots.backtest_chart(pd.DataFrame(rows))
    _check(fig, 2)
    customers = fig.axes[0]
    heights = [bar.get_height() for bar in customers.patches]
    # bars by strategy (the backtest's order), then K: ours 2 + 2 at K=5 and 3 + 3 at K=10
    assert heights == [4.0, 6.0, 2.0, 2.0, 1.0, 1.0]
    assert "sum over 2 dates" in customers.get_ylabel()
    only_reps = plots.backtest_chart(pd.DataFrame(rows).query("entity_type == 'rep'"))
    assert [ax.get_title() for ax in only_reps.axes] == ["Reps: truly sliding in the top K"]
    with pytest.raises(ValueError, match="lacks the columns"):
        plots.backtest_chart(pd.DataFrame({"k": [1]}))
