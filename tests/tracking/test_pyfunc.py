"""The pyfunc model: plain columns in (categoricals as strings), scores out, settings kept."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from stagnation.tracking import load_model, model_features, to_model_input
from stagnation.training._result import TrainingResult

CUSTOMER = "models:/stagnation-customer-recycling"
REP = "models:/stagnation-rep-passivity"


def test_loaded_model_scores_plain_columns_like_the_classifier(
    logged_store: str, customer_result: TrainingResult
) -> None:
    model, settings = load_model(f"{CUSTOMER}@champion")
    X = customer_result.holdout[customer_result.feature_names]
    plain = X.assign(industry=X["industry"].astype(str))  # as read from a CSV

    out = model.predict(to_model_input(plain))

    expected = customer_result.model.predict_proba(X)[:, 1]
    assert list(out.columns) == ["score", "expected_value"]
    np.testing.assert_allclose(out["score"], expected, rtol=1e-12)
    assert out["score"].between(0, 1).all()
    value = np.clip(customer_result.value_model.predict(X), 0, None)
    np.testing.assert_allclose(out["expected_value"], expected * value)
    assert model_features(model) == ["days_since_order", "orders_365d", "industry"]
    assert settings.horizon_days == 180 and settings.labels.dormant_days == 90
    assert settings.cutoff == datetime(2025, 3, 1)
    assert settings.lightgbm_params == {"n_estimators": 40, "learning_rate": 0.1}


def test_unknown_and_missing_categories_score_as_missing(
    logged_store: str, rep_result: TrainingResult
) -> None:
    model, settings = load_model(f"{REP}/1", tracking_uri=logged_store)
    rows = pd.DataFrame(
        {
            "days_since_order": [100.0, 100.0, 100.0],
            "orders_365d": [2.0, 2.0, 2.0],
            "industry": ["never-seen", None, "retail"],
        }
    )

    out = model.predict(rows)

    assert list(out.columns) == ["score"]  # no value model for reps
    learned = rep_result.holdout["industry"].cat.categories
    X = rows.assign(industry=pd.Categorical([None, None, "retail"], categories=learned))
    np.testing.assert_allclose(out["score"], rep_result.model.predict_proba(X)[:, 1])
    assert settings.horizon_days == 90


def test_signature_is_plain_and_example_has_no_ids(
    logged_store: str, customer_result: TrainingResult
) -> None:
    model = mlflow.pyfunc.load_model(f"{CUSTOMER}/1")
    inputs = {c["name"]: c["type"] for c in model.metadata.get_input_schema().to_dict()}
    assert inputs == {"days_since_order": "double", "orders_365d": "double", "industry": "string"}
    example = model.input_example
    assert list(example.columns) == ["days_since_order", "orders_365d", "industry"]
    assert len(example) == 1  # one synthetic row describing no real customer
    holdout = customer_result.holdout
    assert example["days_since_order"].iloc[0] == pytest.approx(
        holdout["days_since_order"].median()
    )
    assert example["industry"].iloc[0] == holdout["industry"].mode().iloc[0]


def test_category_dtype_is_refused_by_mlflow_so_convert_first(
    logged_store: str, rep_result: TrainingResult
) -> None:
    model, _ = load_model(f"{REP}/1")
    raw = rep_result.holdout[rep_result.feature_names]
    with pytest.raises(mlflow.exceptions.MlflowException, match="industry"):
        model.predict(raw)
    assert len(model.predict(to_model_input(raw))) == len(raw)


def test_to_model_input_keeps_order_and_reports_missing_columns() -> None:
    frame = pd.DataFrame({"b": pd.array([1, None], dtype="Int64"), "a": ["x", None], "id": [1, 2]})
    out = to_model_input(frame, ["a", "b"])
    assert list(out.columns) == ["a", "b"]
    assert out["a"].tolist() == ["x", None]
    assert out["b"].dtype == "float64" and np.isnan(out["b"].iloc[1])
    with pytest.raises(ValueError, match=r"\['c'\]"):
        to_model_input(frame, ["a", "c"])


def test_load_model_refuses_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not an MLflow model folder"):
        load_model(tmp_path)


def test_the_drift_reference_travels_as_one_json_string_and_loads_back_equal(
    store: str, customer_result: TrainingResult
) -> None:
    from stagnation.tracking import log_training
    from stagnation.training import with_drift_reference

    rows = customer_result.holdout
    result = with_drift_reference(customer_result, rows, pd.Timestamp("2025-03-01"), rows)
    assert result.card.reference  # bins of every feature
    log_training(result, tracking_uri=store, source_commit="test")

    raw = mlflow.pyfunc.load_model(f"{CUSTOMER}/1").metadata.metadata["stagnation"]["settings"]
    _, card = load_model(f"{CUSTOMER}/1")

    assert isinstance(raw["reference"], str)  # one YAML scalar, not thousands of nodes
    assert card.reference == result.card.reference
    assert card.model_dump() == result.card.model_dump()
