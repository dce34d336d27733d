"""LightGBMRisk: categoricals inside, time-ordered early stopping, contributions; calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stagnation.training import LightGBMRisk, LightGBMValue, calibrate


def frame(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    stage = rng.choice(["prospecting", "maintaining", "deepening"], size=n)
    logit = 1.5 * x + np.where(stage == "deepening", 1.5, -0.5) - 2
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    X = pd.DataFrame(
        {
            "x": x,
            "noise": rng.normal(size=n),
            "stage": pd.Categorical(stage, categories=["prospecting", "maintaining", "deepening"]),
        }
    )
    as_of = pd.Series(pd.date_range("2024-01-01", periods=12, freq="MS").repeat(n // 12))
    return X, y, as_of


def test_categories_are_learned_and_plain_strings_score_the_same() -> None:
    X, y, as_of = frame()
    model = LightGBMRisk(n_bags=2).fit(X, y, sample_order=as_of)
    assert model.categories_ == {"stage": ["prospecting", "maintaining", "deepening"]}
    as_strings = X.astype({"stage": "str"})
    np.testing.assert_allclose(model.predict_proba(as_strings), model.predict_proba(X))
    assert list(model.get_feature_names_out()) == ["x", "noise", "stage"]
    assert model.feature_importances_.shape == (3,)
    assert model.feature_importances_[0] > model.feature_importances_[1]  # x beats noise


def test_an_unknown_category_is_read_as_missing() -> None:
    X, y, as_of = frame()
    model = LightGBMRisk(n_bags=1).fit(X, y, sample_order=as_of)
    new = X.head(3).astype({"stage": "str"}).assign(stage="a stage never seen")
    missing = X.head(3).astype({"stage": "str"}).assign(stage=None)
    np.testing.assert_allclose(model.predict_proba(new), model.predict_proba(missing))


def test_early_stopping_holds_back_the_latest_dates() -> None:
    X, y, as_of = frame()
    stopped = LightGBMRisk(n_bags=1, n_estimators=400).fit(X, y, sample_order=as_of)
    assert 1 <= stopped.n_estimators_ < 400  # 400 trees on 600 rows overfit: it stops early
    full = LightGBMRisk(n_bags=1, n_estimators=50, early_stopping_fraction=0).fit(X, y)
    assert full.n_estimators_ == 50
    assert stopped.scale_pos_weight_ == pytest.approx((~y).sum() / y.sum())


def test_contributions_add_up_to_the_raw_score() -> None:
    X, y, as_of = frame()
    model = LightGBMRisk(n_bags=3).fit(X, y, sample_order=as_of)
    contrib = model.contributions(X.head(20))
    assert list(contrib.columns) == ["x", "noise", "stage"]
    raw = model.decision_function(X.head(20))
    bias = raw - contrib.sum(axis=1).to_numpy()
    np.testing.assert_allclose(bias, bias[0])  # the bias column is the same on every row


def test_monotone_constraints_are_kept() -> None:
    X, y, as_of = frame()
    model = LightGBMRisk(n_bags=1, monotone_constraints={"x": 1}).fit(X, y, sample_order=as_of)
    grid = pd.concat([X.head(1)] * 50, ignore_index=True).assign(x=np.linspace(-3, 3, 50))
    assert (np.diff(model.predict_proba(grid)[:, 1]) >= -1e-12).all()


def test_a_frame_fitted_model_refuses_an_array() -> None:
    X, y, as_of = frame()
    model = LightGBMRisk(n_bags=1).fit(X, y, sample_order=as_of)
    with pytest.raises(ValueError, match="pass a DataFrame"):
        model.predict_proba(X.to_numpy())


@pytest.mark.parametrize(("positives", "method"), [(20, "sigmoid"), (80, "isotonic")])
def test_calibrate_picks_sigmoid_for_few_positives(positives: int, method: str) -> None:
    X, y, as_of = frame(seed=1)
    model = LightGBMRisk(n_bags=1).fit(X, y, sample_order=as_of)
    X_cal, _, _ = frame(n=1200, seed=2)
    y_cal = np.zeros(len(X_cal), dtype=int)
    y_cal[:positives] = 1
    calibrated = calibrate(model, X_cal, y_cal)
    assert calibrated.method == method
    proba = calibrated.predict_proba(X)[:, 1]
    assert ((proba >= 0) & (proba <= 1)).all()
    assert proba.mean() == pytest.approx(positives / len(X_cal), rel=0.5)


def test_calibrate_refuses_a_single_class() -> None:
    X, y, as_of = frame()
    model = LightGBMRisk(n_bags=1).fit(X, y, sample_order=as_of)
    with pytest.raises(ValueError, match="single class"):
        calibrate(model, X, np.zeros(len(X)))


def test_value_model_predicts_on_the_original_scale() -> None:
    X, _, _ = frame()
    value = np.exp(8 + X["x"].to_numpy())
    model = LightGBMValue().fit(X, value)
    pred = model.predict(X)
    assert (pred > 0).all()
    assert np.corrcoef(np.log(pred), np.log(value))[0, 1] > 0.9
