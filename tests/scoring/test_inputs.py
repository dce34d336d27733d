"""The rep model's rows, taken from the roster's features of every rep, are features_at's rows.

``score`` computes the features of every rep once (the roster, for matching) and hands the rep
model the eligible reps' rows of that table instead of computing them a second time; this pins
that the two are the same frame, value for value, at several moments of the sample.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from stagnation.crm import load_crm
from stagnation.features import FeatureContext
from stagnation.labels import RepPassivitySettings, rep_population
from stagnation.scoring._reps import eligible_rows, every_rep_features
from stagnation.snapshots import features_at

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def ctx() -> FeatureContext:
    return FeatureContext.build(load_crm(SAMPLE))


@pytest.mark.parametrize("at", ["2024-06-01", "2025-03-17 09:30", "2026-01-01"])
def test_the_roster_rows_of_eligible_reps_are_the_model_rows(ctx: FeatureContext, at: str) -> None:
    moment = pd.Timestamp(at)
    every = every_rep_features(ctx, moment)
    assert every is not None and len(every) == len(ctx.reps)
    population = rep_population(ctx, moment, RepPassivitySettings())
    rows = eligible_rows(every, population)
    assert 0 < len(rows) < len(every)  # some reps are not eligible: the subset is a real one
    pd.testing.assert_frame_equal(rows, features_at(ctx, "rep", moment), check_exact=True)
