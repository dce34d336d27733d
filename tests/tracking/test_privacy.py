"""No ids in MLflow unless asked for: the holdout keeps its rows, not who they are."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import mlflow
import pandas as pd
from mlflow import MlflowClient
from tests._privacy import ids_in_files

from stagnation.tracking import compare, log_training
from stagnation.tracking._log import input_example, logged_holdout
from stagnation.training._result import TrainingResult

NAME = "stagnation-customer-recycling"


def _named(result: TrainingResult) -> TrainingResult:
    """Return ``result`` with ids no code or number could contain by chance."""
    ids = "secret-customer-" + result.holdout["customer_id"].astype(str)
    return replace(result, holdout=result.holdout.assign(customer_id=ids))


def _holdout(uri: str, version: str, dst: Path) -> pd.DataFrame:
    run_id = MlflowClient(tracking_uri=uri).get_model_version(NAME, version).run_id
    path = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path="holdout/holdout.parquet", dst_path=str(dst), tracking_uri=uri
    )
    return pd.read_parquet(path)


def test_the_holdout_is_logged_without_ids_by_default(
    store: str, tmp_path: Path, customer_result: TrainingResult
) -> None:
    customer_result = _named(customer_result)
    info = log_training(customer_result, tracking_uri=store, source_commit="t")
    holdout = _holdout(store, info.version, tmp_path / "dl")
    assert "customer_id" not in holdout.columns
    assert holdout["row"].tolist() == list(range(len(customer_result.holdout)))
    # entities are numbered in order of first row: the same number for the same customer
    codes = pd.factorize(customer_result.holdout["customer_id"])[0]
    assert holdout["entity"].tolist() == codes.tolist()
    expected = customer_result.holdout.drop(columns="customer_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(
        holdout.drop(columns=["row", "entity"]), expected, check_dtype=False
    )
    run = MlflowClient(tracking_uri=store).get_run(info.run_id)
    assert run.data.tags["stagnation.log_ids"] == "false"
    ids = set(customer_result.holdout["customer_id"].astype(str))
    assert ids_in_files(tmp_path, ids) == {}
    assert ids_in_files(Path(store.removeprefix("sqlite:///")).parent, ids) == {}  # store too


def test_log_ids_keeps_them_and_says_so(
    store: str, tmp_path: Path, customer_result: TrainingResult
) -> None:
    customer_result = _named(customer_result)
    info = log_training(customer_result, tracking_uri=store, source_commit="t", log_ids=True)
    holdout = _holdout(store, info.version, tmp_path / "dl")
    assert holdout["customer_id"].tolist() == customer_result.holdout["customer_id"].tolist()
    run = MlflowClient(tracking_uri=store).get_run(info.run_id)
    assert run.data.tags["stagnation.log_ids"] == "true"
    ids = set(customer_result.holdout["customer_id"].astype(str))
    assert ids_in_files(tmp_path, ids)  # the sweep finds them when they are there


def test_promotion_compares_on_the_id_free_holdout(
    store: str, customer_result: TrainingResult
) -> None:
    log_training(customer_result, tracking_uri=store, source_commit="t")
    log_training(customer_result, tracking_uri=store, source_commit="t")
    result = compare(NAME, tracking_uri=store)
    assert result.rows == len(customer_result.holdout)
    assert result.comparison.loc["roc_auc", "difference"] == 0.0


def test_input_example_is_one_synthetic_row(customer_result: TrainingResult) -> None:
    example = input_example(customer_result)
    holdout = customer_result.holdout
    assert len(example) == 1 and list(example.columns) == customer_result.feature_names
    assert example["orders_365d"].iloc[0] == holdout["orders_365d"].median()
    anonymous = logged_holdout(customer_result)
    assert anonymous.columns[0] == "row" and "customer_id" not in anonymous.columns
    assert logged_holdout(customer_result, log_ids=True) is customer_result.holdout
