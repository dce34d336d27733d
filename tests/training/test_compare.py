"""Paired entity-bootstrap intervals of score differences (``training/_compare.py``)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from stagnation.training import paired_difference, paired_differences
from stagnation.training._compare import weighted_auc, weighted_lift


def test_weighted_auc_matches_sklearn_with_ties_and_weights() -> None:
    rng = np.random.default_rng(3)
    y = rng.random(500) < 0.3
    score = np.round(y + rng.normal(0, 1, 500), 1)  # many ties
    weight = rng.integers(0, 4, 500)
    assert weighted_auc(y, score) == pytest.approx(roc_auc_score(y, score))
    assert weighted_auc(y, score, weight) == pytest.approx(
        roc_auc_score(y, score, sample_weight=weight)
    )


def test_lift_counts_the_top_share_of_rows() -> None:
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0] * 10)
    score = -np.arange(100.0)  # the first row of each ten... only row 0 is on top
    # top 10 % = rows 0..9: one positive of ten, base rate 0.1: lift 1
    assert weighted_lift(y, score) == pytest.approx(1.0)
    assert weighted_lift(y, y + 0.0) == pytest.approx(10.0)


def test_a_clearly_better_scorer_gets_an_interval_above_zero() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(3000) < 0.2
    good, weak = y + rng.normal(0, 0.8, 3000), y + rng.normal(0, 3.0, 3000)
    diff = paired_difference(y, good, weak, groups=np.arange(3000), n_boot=200)
    assert diff["roc_auc"].low > 0 and diff["lift_at_10"].low > 0
    assert diff["roc_auc"].excludes_zero()
    same = paired_difference(y, good, good, groups=np.arange(3000), n_boot=50)
    assert same["roc_auc"].estimate == 0 and same["roc_auc"].low == same["roc_auc"].high == 0


def test_resampling_entities_widens_the_interval_of_repeated_rows() -> None:
    # 300 entities seen at 10 dates each: as rows they look like 3,000 independent draws
    rng = np.random.default_rng(1)
    y_entity = rng.random(300) < 0.3
    a_entity, b_entity = y_entity + rng.normal(0, 1, 300), y_entity + rng.normal(0, 1, 300)
    y, a, b = (np.repeat(v, 10) for v in (y_entity, a_entity, b_entity))
    a, b = a + rng.normal(0, 0.05, 3000), b + rng.normal(0, 0.05, 3000)
    by_row = paired_difference(y, a, b, groups=np.arange(3000), n_boot=200)["roc_auc"]
    by_entity = paired_difference(y, a, b, groups=np.arange(3000) // 10, n_boot=200)["roc_auc"]
    assert (by_entity.high - by_entity.low) > 2 * (by_row.high - by_row.low)


def test_every_scorer_is_compared_with_the_reference_on_the_same_resamples() -> None:
    rng = np.random.default_rng(2)
    y = rng.random(1000) < 0.3
    scores = {"ref": y + rng.normal(0, 1, 1000), "a": y + rng.normal(0, 2, 1000)}
    scores["b"] = scores["ref"] * 2  # the same ranking as the reference
    out = paired_differences(y, scores, "ref", groups=np.arange(1000), n_boot=100)
    assert set(out) == {"a", "b"}
    assert out["b"]["roc_auc"].low == out["b"]["roc_auc"].high == 0
    assert out["a"]["roc_auc"].high < 0
