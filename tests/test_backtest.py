"""The backtest: top K of our ranking vs the field's rules, counted against the truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stagnation.backtest import (
    COLUMNS,
    backtest,
    backtest_customers,
    backtest_reps,
    backtest_summary,
    priority_beats_rule,
)
from stagnation.crm import CRM, load_crm
from stagnation.training import ModelCard, TrainingResult
from stagnation.workflow import read_truth, train_model

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
T = pd.Timestamp("2025-06-01")


class _DoubleValue:
    """A value model that predicts twice the customer's lifetime order value."""

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return 2.0 * X["order_value_lifetime"].to_numpy(dtype=float)


def _result(name: str, holdout: pd.DataFrame, scores: list[float], value_model=None):
    features = [c for c in holdout.columns if c not in ("customer_id", "rep_id", "as_of")]
    features = [c for c in features if c not in ("label", "value")]
    return TrainingResult(
        name=name,  # type: ignore[arg-type]
        model=None,
        feature_names=features,
        value_model=value_model,
        card=ModelCard(
            model=name,  # type: ignore[arg-type]
            labels={"horizon_days": 90},  # type: ignore[arg-type]
            cutoff="2025-01-01",  # type: ignore[arg-type]
            features=features,
        ),
        metrics=pd.DataFrame(),
        holdout=holdout,
        holdout_scores=pd.DataFrame({"lightgbm": scores}),
        feature_importance=pd.Series(dtype=float),
    )


def _customer_case():
    holdout = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3", "C4"],
            "as_of": T,
            "days_since_last_touch": [10.0, 400.0, np.nan, 200.0],
            "days_since_last_order": [120.0, 700.0, np.nan, 95.0],
            "order_value_lifetime": [100.0, 1.0, 0.0, 50.0],
            "label": [True, False, False, True],
            "value": [300.0, 0.0, 0.0, 80.0],
        }
    )
    months = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3", "C4"],
            "month": pd.Timestamp("2025-05-01"),  # the month end before T
            "state": ["dormant_revivable", "dormant_lost", "prospect", "dormant_revivable"],
            # C3 is a prospect that fits: it can be won, though it never bought
            "revivable": [True, False, True, True],
        }
    )
    return holdout, {"customer_months": months}


def test_customers_count_truth_reactivations_and_value_of_each_strategys_top_k() -> None:
    holdout, truth = _customer_case()
    # P: C2 highest, but the expected value (P x 2 x lifetime value) puts C1 first, then C4
    result = _result("customer-recycling", holdout, [0.5, 0.9, 0.1, 0.4], _DoubleValue())
    table = backtest_customers(result, truth, ks=[1, 2, 9])
    assert list(table.columns) == COLUMNS
    got = table.set_index(["k", "strategy"])
    measures = ["hits", "hits_lapsed_buyers", "label_positive", "value"]
    assert got.loc[(1, "our priority"), measures].tolist() == [1, 1, 1, 300]
    assert got.loc[(2, "our priority"), measures].tolist() == [2, 2, 2, 380]
    # our score alone: P puts C2 (lost) first, then C1
    assert got.loc[(1, "our score"), measures].tolist() == [0, 0, 0, 0]
    # the pool rule releases the never-touched C3 first (a fitting prospect), then C2 (400 days)
    assert got.loc[(1, "pool rule"), measures].tolist() == [1, 0, 0, 0]
    assert got.loc[(2, "pool rule"), measures].tolist() == [1, 0, 0, 0]
    # the recency rule: the most recently lapsed buyer first (C4, 95 days), never-buyers last
    assert got.loc[(1, "recency rule"), measures].tolist() == [1, 1, 1, 80]
    # random: K x the population's mean (3 winnable, 2 lapsed buyers, 380 of value among 4)
    assert got.loc[(2, "random"), measures].tolist() == [1.5, 1, 1, 190]
    # K beyond the population takes everyone
    assert got.loc[(9, "our priority"), measures].tolist() == [3, 2, 2, 380]
    assert got.loc[(9, "random"), measures].tolist() == [3, 2, 2, 380]
    assert (got["population"] == 4).all()
    beats = priority_beats_rule(table)
    assert beats.to_dict() == {
        ("customer", 1): False,
        ("customer", 2): True,
        ("customer", 9): False,
    }
    assert priority_beats_rule(table, "value").all() == False  # noqa: E712 (K=9: equal)


def test_customers_rank_by_probability_without_a_value_model_and_break_ties_by_id() -> None:
    holdout, truth = _customer_case()
    result = _result("customer-recycling", holdout, [0.3, 0.3, 0.3, 0.3])
    table = backtest_customers(result, truth, ks=[1])
    top = table.set_index("strategy").loc["our priority"]
    assert (top["hits"], top["value"]) == (1, 300)  # C1: the first id among equal scores


def test_reps_count_true_slides_and_rank_priority_by_new_business_at_risk() -> None:
    holdout = pd.DataFrame(
        {
            "rep_id": ["R1", "R2", "R3"],
            "as_of": T,
            "hunting_share_vs_own_past": [0.2, 1.0, np.nan],
            "label": [False, True, True],
        }
    )
    slides = pd.DataFrame(
        {
            "rep_id": ["R2", "R3", "R1"],
            "slide_started_at": [T + pd.Timedelta(days=30), T - pd.Timedelta(days=10), T],
            # R1's slide completed a day before T: not under way in the horizon
            "slide_completed_at": [pd.NaT, pd.NaT, T - pd.Timedelta(days=1)],
        }
    )
    slides["slide_started_at"] = slides["slide_started_at"].where(
        slides["rep_id"] != "R1", T - pd.Timedelta(days=100)
    )
    crm = CRM.from_frames(
        customers=pd.DataFrame(
            {"customer_id": ["C1", "C2"], "created_at": T - pd.DateOffset(years=2)}
        ),
        orders=pd.DataFrame(
            {
                "order_id": ["O1", "O2", "O3"],
                "customer_id": ["C1", "C2", "C2"],
                "rep_id": ["R3", "R2", "R2"],
                # C1 first won 100 days before T by R3; C2 ordered two years ago (not new)
                "ordered_at": [
                    T - pd.Timedelta(days=100),
                    T - pd.Timedelta(days=700),
                    T - pd.Timedelta(days=5),
                ],
                "amount": [36500.0, 10.0, 10.0],
                "channel": "offline",
            }
        ),
    )
    result = _result("rep-passivity", holdout, [0.9, 0.5, 0.4])
    table = backtest_reps(result, crm, {"slides": slides}, ks=[1, 3])
    got = table.set_index(["k", "strategy"])
    assert got.loc[(1, "our score"), "hits"] == 0  # R1: its slide is already over
    # priority: only R3 has new business at risk (365 days of 36,500 -> 100 a day x 90 days)
    assert got.loc[(1, "our priority"), ["hits", "value"]].tolist() == [1, 9000]
    # the drift rule: lowest share vs own past first (R1), missing last
    assert got.loc[(1, "drift rule"), "hits"] == 0
    assert got.loc[(3, "drift rule"), ["hits", "value"]].tolist() == [2, 9000]
    assert got.loc[(1, "random"), "hits"] == pytest.approx(2 / 3)
    summary = backtest_summary(table)
    assert summary.loc[("rep", 3), ("hits", "our priority")] == 2
    assert priority_beats_rule(table).to_dict() == {("rep", 1): True, ("rep", 3): False}
    assert got.loc[(1, "our priority"), "label_positive"] == 1  # R3: the label marks it too


def test_each_backtest_refuses_the_other_model() -> None:
    holdout, truth = _customer_case()
    result = _result("customer-recycling", holdout, [0.1] * 4)
    crm = CRM.from_frames(customers=holdout[["customer_id"]].assign(created_at=T))
    with pytest.raises(ValueError, match="needs the rep-passivity model"):
        backtest_reps(result, crm, truth)
    reps = _result("rep-passivity", holdout, [0.1] * 4)
    with pytest.raises(ValueError, match="needs the customer-recycling model"):
        backtest_customers(reps, truth)


@pytest.mark.slow
def test_backtest_on_the_sample_finds_more_revivable_customers_than_random() -> None:
    truth = read_truth(SAMPLE)
    assert truth is not None
    cutoffs = []

    def train(ctx, name, cutoff):  # type: ignore[no-untyped-def]
        cutoffs.append((name, cutoff))
        return train_model(ctx, name, cutoff=cutoff, n_splits=0)

    table = backtest(load_crm(SAMPLE), truth, train, rounds=2, customer_ks=[50], rep_ks=[5])
    assert [name for name, _ in cutoffs] == ["customer-recycling", "rep-passivity"] * 2
    assert set(table["entity_type"]) == {"customer", "rep"}
    # two rounds of three holdout months each, never overlapping
    assert table.groupby("entity_type")["as_of"].nunique().to_dict() == {"customer": 6, "rep": 6}
    assert table.groupby(["entity_type", "as_of"])["cutoff"].nunique().max() == 1
    # every label window closes by the cutoff of the model that scored it
    horizon = table["entity_type"].map({"customer": 180, "rep": 90})
    assert (table["as_of"] + pd.to_timedelta(horizon, unit="D") <= table["cutoff"]).all()
    totals = table.groupby(["entity_type", "strategy"])["hits"].sum()
    assert totals["customer", "our priority"] > 2 * totals["customer", "random"]
