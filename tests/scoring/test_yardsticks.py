"""Yardsticks: every reason says against what its value is high or low."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stagnation.scoring import format_value, is_level, top_reasons, yardsticks
from stagnation.training import reference_distribution

REPS = pd.DataFrame(
    {
        "hunting_share_30d": [0.51, 0.30, 0.46],
        "hunting_share_own_past": [0.68, 0.20, 0.46],
        "book_customers": [10.0, 40.0, 50.0],
        "hunting_share_vs_own_past": [0.75, 1.5, 1.0],
    }
)


@pytest.mark.parametrize(
    ("feature", "row", "expected"),
    [
        # the rep's own past, with the direction
        ("hunting_share_30d", 0, ", down from 68% in the 9 months before the last 90 days"),
        ("hunting_share_30d", 1, ", up from 20% in the 9 months before the last 90 days"),
        ("hunting_share_30d", 2, ", unchanged from 46% in the 9 months before the last 90 days"),
        # the peers' median (of the rows given: 40)
        ("book_customers", 0, ", below the eligible reps' median of 40"),
        ("book_customers", 1, ", at the eligible reps' median of 40"),
        ("book_customers", 2, ", above the eligible reps' median of 40"),
        # a phrase that compares already gets nothing
        ("hunting_share_vs_own_past", 0, ""),
        ("not_a_feature", 0, ""),
    ],
)
def test_rep_yardsticks(feature: str, row: int, expected: str) -> None:
    assert yardsticks("rep", REPS)(feature, row) == expected


def test_rep_own_past_falls_back_to_peers_when_the_past_is_missing() -> None:
    rows = REPS.assign(hunting_share_own_past=[np.nan, 0.2, 0.46])
    assert yardsticks("rep", rows)("hunting_share_30d", 0) == (
        ", above the eligible reps' median of 46%"
    )


def _training() -> tuple[pd.DataFrame, np.ndarray]:
    # 1,000 dormant customers: manufacturing comes back twice as often as the average
    industry = np.array(["manufacturing"] * 200 + ["retail"] * 800, dtype=object)
    label = np.zeros(1000)
    label[:40] = 1  # 40 of 200 manufacturing (20%), 64 of 800 retail (8%): average 10.4%
    label[200:264] = 1
    days = np.arange(1000.0)  # the label sits on the low values of days_since_last_order
    rows = pd.DataFrame({"industry": pd.Categorical(industry), "days_since_last_order": days})
    return rows, label


def test_customer_categories_are_read_against_the_average_dormant_customer() -> None:
    rows, label = _training()
    reference = reference_distribution(rows, labels=label)
    today = rows.iloc[[0, 500]].reset_index(drop=True)
    compare = yardsticks("customer", today, reference)
    assert compare("industry", 0) == " (twice the average dormant customer's comeback rate)"
    assert compare("industry", 1) == " (0.8x the average dormant customer's comeback rate)"


def test_a_bin_that_comes_back_less_than_average_is_read_against_the_median() -> None:
    rows, label = _training()
    reference = reference_distribution(rows, labels=label)
    today = pd.DataFrame({"days_since_last_order": [50.0, 900.0, 400.0]})
    compare = yardsticks("customer", today, reference)
    assert compare("days_since_last_order", 0) == (
        " (3.8x the average dormant customer's comeback rate)"  # 40% of days < 100 came back
    )
    assert compare("days_since_last_order", 1) == (", above the median dormant customer's 400 days")


def test_top_reasons_append_the_yardstick_to_each_phrase() -> None:
    contributions = pd.DataFrame({"book_customers": [0.5, -1.0], "hunting_share_30d": [0.2, 0.1]})
    reasons = top_reasons(contributions, REPS.head(2), compare=yardsticks("rep", REPS.head(2)))
    assert reasons.tolist() == [
        "holds 10 customers, below the eligible reps' median of 25; hunting share is 51% in the "
        "last 30 days, down from 68% in the 9 months before the last 90 days",
        "hunting share is 30% in the last 30 days, up from 20% in the 9 months before the last "
        "90 days",
    ]


def test_values_are_rounded_as_the_phrases_round_them() -> None:
    assert [format_value(u, x) for u, x in [("count", 3.0), ("years", 2.26), ("days", 1.0)]] == [
        "3",
        "2.3 years",
        "1 day",
    ]


def test_a_bin_at_about_the_average_rate_is_read_against_the_median() -> None:
    # every bin of days comes back 10% of the time, the lowest 15%: average 10.5%
    days = np.arange(1000.0)
    label = (days % 10 == 0).astype(float)
    label[[1, 2, 3, 4, 5]] = 1
    reference = reference_distribution(pd.DataFrame({"days_since_last_order": days}), labels=label)
    today = pd.DataFrame({"days_since_last_order": [50.0, 900.0, 400.0]})
    compare = yardsticks("customer", today, reference)
    assert compare("days_since_last_order", 0) == (
        " (1.4x the average dormant customer's comeback rate)"
    )
    assert compare("days_since_last_order", 1) == (", above the median dormant customer's 400 days")


def test_a_reason_that_points_nowhere_gives_way_to_one_that_points() -> None:
    # row 1 holds the median book (40): its biggest push reads "at the median"; row 2's only
    # push is a hunting share unchanged from its own past
    contributions = pd.DataFrame(
        {"book_customers": [0.0, 0.9, -1.0], "hunting_share_30d": [0.0, 0.1, 0.3]}
    )
    compare = yardsticks("rep", REPS)
    plain = top_reasons(contributions, REPS, compare=compare)
    pointed = top_reasons(contributions, REPS, compare=compare, level=is_level)

    assert plain[1].startswith("holds 40 customers, at the eligible reps' median of 40; ")
    assert pointed[1] == (
        "hunting share is 30% in the last 30 days, up from 20% in the 9 months before the last "
        "90 days"
    )
    assert pointed[2] == plain[2]  # nothing else pushes: the level reason stays
    assert "unchanged from 46%" in pointed[2]
    assert pointed[0] == plain[0] == ""
