"""Baselines: rule directions (given or learned), missing values, the logistic regressions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stagnation.training import RuleScore, baselines

# days since the last touch of six dormant customers, and whether they came back
DAYS = pd.DataFrame({"days_since_last_touch": [100.0, 120, 200, 400, 600, np.nan]})


@pytest.mark.parametrize(
    ("label", "sign"),
    [
        ([1, 1, 0, 0, 0, 0], -1.0),  # the recently touched came back: fewer days = likelier
        ([0, 0, 0, 1, 1, 0], 1.0),  # the long-forgotten came back: more days = likelier
    ],
)
def test_rule_learns_its_direction_from_the_training_auc(label: list[int], sign: float) -> None:
    rule = RuleScore("days_since_last_touch").fit(DAYS, label)
    assert rule.sign_ == sign
    assert rule.training_auc_ > 0.5


def test_a_given_direction_is_kept() -> None:
    rule = RuleScore("days_since_last_touch", higher_is_riskier=True).fit(DAYS, [1, 1, 0, 0, 0, 0])
    assert rule.sign_ == 1.0
    assert rule.training_auc_ < 0.5


def test_missing_values_score_lowest_and_scores_are_monotone() -> None:
    for higher in (True, False):
        rule = RuleScore("days_since_last_touch", higher_is_riskier=higher).fit(DAYS, [0, 1] * 3)
        score = rule.predict_proba(DAYS)[:, 1]
        assert score[-1] == 0.0 and (score[:-1] > 0).all()
        known = np.diff(score[:-1])
        assert (known > 0).all() if higher else (known < 0).all()


def test_rule_reads_one_named_column_and_ignores_the_rest() -> None:
    rule = RuleScore("days_since_last_touch").fit(DAYS.assign(other=1.0), [1, 1, 0, 0, 0, 0])
    np.testing.assert_allclose(
        rule.predict_proba(DAYS.assign(other=-5.0)), rule.predict_proba(DAYS.assign(other=9.0))
    )
    with pytest.raises(ValueError, match="no column"):
        rule.predict_proba(pd.DataFrame({"x": [1.0]}))


def test_baselines_of_each_target() -> None:
    assert set(baselines("customer-recycling")) == {
        "pool_rule_days_since_followup",
        "pool_rule_days_since_order",
        "rfm_logistic",
    }
    reps = baselines("rep-passivity")
    assert set(reps) == {"trailing_drift_rule", "classic_logistic"}
    assert reps["trailing_drift_rule"].get_params()["higher_is_riskier"] is False
    with pytest.raises(ValueError, match="unknown model"):
        baselines("churn")  # type: ignore[arg-type]


def test_rfm_logistic_handles_missing_recency_and_ranks_recency() -> None:
    rng = np.random.default_rng(0)
    n = 400
    days = np.where(rng.random(n) < 0.3, np.nan, rng.uniform(90, 900, n))  # NaN: never ordered
    X = pd.DataFrame(
        {
            "days_since_last_order": days,
            "orders_lifetime": np.where(np.isnan(days), 0, rng.integers(1, 20, n)),
            "order_value_lifetime": rng.uniform(0, 1e5, n),
            "unused": rng.normal(size=n),
        }
    )
    y = (~np.isnan(days)) & (np.nan_to_num(days, nan=1e9) < 300)
    model = baselines("customer-recycling")["rfm_logistic"].fit(X, y)
    proba = model.predict_proba(X)[:, 1]
    assert proba[y].mean() > proba[~y].mean() + 0.2


def test_the_company_pool_rule_joins_the_customer_baselines_when_the_extract_has_one() -> None:
    from stagnation.training._baselines import baselines

    assert "pool_rule_company" not in baselines("customer-recycling")
    rules = {"enabled": True, "contact_expire_days": 30, "deal_expire_days": 90}
    rule = baselines("customer-recycling", rules)["pool_rule_company"]
    assert "pool_rule_company" not in baselines("customer-recycling", rules | {"enabled": False})
    X = pd.DataFrame(
        {
            "days_since_last_touch": [10.0, 40.0, 200.0, np.nan],
            "days_since_owner_change": [20.0, 20.0, 20.0, 400.0],
            "customer_age_days": [500.0, 500.0, 500.0, 500.0],
        }
    )
    y = np.array([0, 0, 1, 1])  # the longer overdue, the likelier here
    score = rule.fit(X, y).predict_proba(X)[:, 1]
    assert list(np.argsort(score)) == [0, 1, 2, 3]  # overdue 0.33, 1.33, 6.67, 16.7 (never touched)
