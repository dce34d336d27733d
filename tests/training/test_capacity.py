"""The capacity choice: the best fold AUC wins, unless the regression alone is within TOLERANCE."""

from __future__ import annotations

import numpy as np
import pandas as pd

from stagnation.training._baselines import CUSTOMER_PATTERN_LOG, CUSTOMER_PATTERN_PLAIN
from stagnation.training._capacity import CANDIDATES, TOLERANCE, choose_candidate


def _frame(label_of, seed: int = 0, customers: int = 600, dates: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = customers * dates
    frame = pd.DataFrame(
        {
            "customer_id": np.tile(np.arange(customers), dates),
            "as_of": np.repeat(pd.date_range("2025-01-06", periods=dates, freq="7D"), customers),
        }
    )
    for column in [*CUSTOMER_PATTERN_LOG, *CUSTOMER_PATTERN_PLAIN]:
        frame[column] = rng.exponential(30.0, n)
    frame["a"] = rng.normal(size=n)
    frame["b"] = rng.normal(size=n)
    frame["label"] = label_of(frame, rng)
    return frame


def _folds(frame: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
    week = (frame["as_of"] - frame["as_of"].min()).dt.days.to_numpy() // 7
    return [
        (np.flatnonzero(week < 4), np.flatnonzero(week == 5)),
        (np.flatnonzero(week < 5), np.flatnonzero(week == 7)),
    ]


FEATURES = [*CUSTOMER_PATTERN_LOG, *CUSTOMER_PATTERN_PLAIN, "a", "b"]


def test_a_linear_signal_keeps_the_regression_alone() -> None:
    def label(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        logit = -1.5 * np.log1p(frame["days_since_last_order"]) + 4.0
        return rng.random(len(frame)) < 1 / (1 + np.exp(-logit))

    frame = _frame(label)
    chosen, scores = choose_candidate(frame, _folds(frame), FEATURES, "customer-recycling", {})
    assert set(scores) == set(CANDIDATES)
    assert chosen == "none+logistic"
    assert scores["none+logistic"] >= max(scores.values()) - TOLERANCE


def test_an_interaction_the_regression_cannot_see_earns_trees() -> None:
    def label(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        xor = (frame["a"] > 0) ^ (frame["b"] > 0)
        return rng.random(len(frame)) < np.where(xor, 0.6, 0.1)

    frame = _frame(label, seed=1)
    chosen, scores = choose_candidate(frame, _folds(frame), FEATURES, "customer-recycling", {})
    assert scores["none+logistic"] < 0.6
    assert chosen != "none+logistic"
    assert scores[chosen] > scores["none+logistic"] + 0.1
    assert scores[chosen] == max(scores.values())


def test_no_usable_fold_falls_back_to_the_regression() -> None:
    frame = _frame(lambda f, rng: np.zeros(len(f), dtype=bool))
    chosen, scores = choose_candidate(frame, _folds(frame), FEATURES, "customer-recycling", {})
    assert (chosen, scores) == ("none+logistic", {})
