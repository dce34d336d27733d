"""Population stability: zero for the training distribution itself, large for a real shift."""

from __future__ import annotations

import numpy as np
import pandas as pd

from stagnation.training import MAJOR_SHIFT, population_stability, reference_distribution

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
