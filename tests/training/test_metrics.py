"""Metrics against examples computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stagnation.training import (
    classification_metrics,
    expected_calibration_error,
    precision_at,
)


def test_metrics_of_a_tiny_example() -> None:
    # y = [0, 0, 1, 1], scores [0.1, 0.4, 0.35, 0.8]; by hand:
    # AUC: of the 4 (positive, negative) pairs, 0.35 < 0.4 is the only one out of order -> 3/4
    # AP: ranked 0.8 (+), 0.4 (-), 0.35 (+), 0.1 (-) -> (1/1 + 2/3) / 2 = 5/6
    # Brier: (0.01 + 0.16 + 0.4225 + 0.04) / 4 = 0.158125
    # top 5/10/20 % of 4 rows = 1 row (0.8, a positive): precision 1, lift 1 / 0.5 = 2
    m = classification_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert m["roc_auc"] == pytest.approx(0.75)
    assert m["pr_auc"] == pytest.approx(5 / 6)
    assert m["brier"] == pytest.approx(0.158125)
    expected_log_loss = -(np.log(0.9) + np.log(0.6) + np.log(0.35) + np.log(0.8)) / 4
    assert m["log_loss"] == pytest.approx(expected_log_loss)
    for k in (5, 10, 20):
        assert m[f"precision_at_{k}"] == 1.0
        assert m[f"lift_at_{k}"] == 2.0
    assert m["n"] == 4
    assert m["positives"] == 2


def test_ranking_metrics_are_nan_with_a_single_class() -> None:
    m = classification_metrics([0, 0, 0], [0.1, 0.2, 0.3])
    assert math.isnan(m["roc_auc"]) and math.isnan(m["pr_auc"]) and math.isnan(m["lift_at_10"])
    assert m["precision_at_10"] == 0.0
    assert m["brier"] == pytest.approx((0.01 + 0.04 + 0.09) / 3)


def test_log_loss_clips_certain_mistakes() -> None:
    m = classification_metrics([0, 1], [1.0, 0.0])
    assert math.isfinite(m["log_loss"]) and m["log_loss"] > 30


@pytest.mark.parametrize(
    ("y", "score", "percent", "expected"),
    [
        ([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], list(range(10, 0, -1)), 10, 1.0),  # top 1 of 10
        ([0, 1, 0, 0, 0, 0, 0, 0, 0, 0], list(range(10, 0, -1)), 20, 0.5),  # top 2 of 10
        ([1, 0, 0, 0], [0.5, 0.5, 0.1, 0.0], 25, 0.5),  # 2 rows tie for the one place
        ([1, 1, 0, 0], [0.5, 0.5, 0.5, 0.5], 50, 0.5),  # all tied: the base rate
        ([0, 0, 0, 1], [0.9, 0.8, 0.7, 0.6], 100, 0.25),
    ],
)
def test_precision_at_top_percent(y, score, percent, expected) -> None:  # type: ignore[no-untyped-def]
    assert precision_at(y, score, percent) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("y", "proba", "expected"),
    [
        ([0, 1], [0.0, 1.0], 0.0),  # perfect
        ([0, 0, 1, 1], [0.25] * 4, 0.25),  # one bin: |0.5 - 0.25|
        # bins [0.1, 0.2): y mean 0, p mean 0.15 -> 0.15 x 2/4; [0.9, 1]: y 1, p 0.95 -> 0.05 x 2/4
        ([0, 0, 1, 1], [0.1, 0.2 - 1e-9, 0.9, 1.0], (0.15 + 0.05) / 2),
    ],
)
def test_expected_calibration_error(y, proba, expected) -> None:  # type: ignore[no-untyped-def]
    assert expected_calibration_error(y, proba) == pytest.approx(expected, abs=1e-6)


def test_metrics_refuse_unscored_rows() -> None:
    with pytest.raises(ValueError, match="NaN"):
        classification_metrics([0, 1], [0.5, float("nan")])
