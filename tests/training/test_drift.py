"""Population stability: zero for the training distribution itself, large for a real shift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stagnation.training import (
    MAJOR_SHIFT,
    bin_codes,
    population_stability,
    reference_distribution,
)

RNG = np.random.default_rng(0)
TRAIN = pd.DataFrame(
    {
        "days": RNG.exponential(100, 5000),
        "share": np.where(RNG.random(5000) < 0.1, np.nan, RNG.random(5000)),
        "industry": pd.Categorical(RNG.choice(["retail", "logistics"], 5000)),
    }
)


def test_the_training_rows_are_stable_against_themselves() -> None:
    psi = population_stability(reference_distribution(TRAIN), TRAIN)
    assert psi["psi"].max() < 1e-9 and (psi["shift"] == "stable").all()
    assert set(psi["feature"]) == {"days", "share", "industry"}


def test_a_shift_a_new_category_and_more_missing_values_are_major() -> None:
    today = TRAIN.assign(
        days=TRAIN["days"] * 3,
        share=np.nan,
        industry=pd.Categorical(["education"] * len(TRAIN)),
    )
    psi = population_stability(reference_distribution(TRAIN), today).set_index("feature")
    assert (psi["psi"] >= MAJOR_SHIFT).all() and (psi["shift"] == "major").all()
    assert psi.index[0] == psi["psi"].idxmax()  # worst first


def test_a_small_sample_of_the_same_distribution_is_not_major() -> None:
    sample = TRAIN.sample(1000, random_state=1)
    psi = population_stability(reference_distribution(TRAIN), sample)
    assert (psi["psi"] < MAJOR_SHIFT).all()


def test_the_reference_is_json_ready_and_unknown_columns_are_ignored() -> None:
    import json

    reference = reference_distribution(TRAIN)
    assert json.loads(json.dumps(reference)) == reference
    assert population_stability(reference, TRAIN[["days"]])["feature"].tolist() == ["days"]


def test_too_few_rows_are_not_judged() -> None:
    # 20 rows: under 10 a bin for the 11 bins of a numeric column and the 3 of `industry`
    psi = population_stability(reference_distribution(TRAIN), TRAIN.head(20))
    assert (psi["shift"] == "too_few_rows").all() and (psi["rows"] == 20).all()
    enough = population_stability(reference_distribution(TRAIN), TRAIN.head(30))
    assert enough.set_index("feature").loc["industry", "shift"] != "too_few_rows"  # 3 bins


def test_ages_are_taken_back_by_the_time_elapsed_since_the_reference() -> None:
    rng = np.random.default_rng(3)
    then = pd.DataFrame({"customer_age_days": rng.uniform(0, 900, 2000)})
    later = then + 180.0  # the same customers, half a year older
    reference = reference_distribution(then)
    assert population_stability(reference, later)["shift"].item() == "major"
    judged = population_stability(reference, later, elapsed_days=180.0)
    assert judged["shift"].item() == "stable"
    # a feature that does not grow with time is not moved
    other = pd.DataFrame({"orders_lifetime": then["customer_age_days"]})
    moved = population_stability(reference_distribution(other), other + 180.0, elapsed_days=180.0)
    assert moved["shift"].item() == "major"


def test_the_reference_keeps_base_rates_per_bin_and_category() -> None:
    X = pd.DataFrame(
        {"days": [1.0, 2.0, 3.0, np.nan], "size": pd.Categorical(["s", "s", "l", "l"])}
    )
    label = np.array([1, 0, 0, 1])
    reference = reference_distribution(X, n_bins=2, labels=label)
    assert reference["days"]["edges"] == [2.0]
    assert reference["days"]["rates"] == [1.0, 0.0, 1.0]  # below 2, from 2 on, missing
    assert reference["size"]["labels"] == ["l", "s"]
    assert reference["size"]["rates"] == [0.5, 0.5, None]  # l, s, unseen
    assert reference["days"]["base_rate"] == 0.5
    assert bin_codes(reference["size"], pd.Series(["s", "xl"])).tolist() == [1, 2]


def test_rates_may_come_from_other_rows_than_the_bins() -> None:
    today = pd.DataFrame({"days": np.arange(100.0)})
    history = pd.DataFrame({"days": np.arange(1000.0)})
    label = (history["days"] < 50).to_numpy()
    reference = reference_distribution(today, labels=label, rates_on=history)
    assert reference["days"]["shares"][0] == pytest.approx(0.1)
    assert reference["days"]["rates"][0] == 1.0  # everything under the first edge (9.9) came back
    assert reference["days"]["rates"][-2] == 0.0  # days >= 89.1 never did
