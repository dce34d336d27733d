"""``train --engine spark``: grid, snapshots and drift reference built on Spark, LightGBM here.

One small simulated company (20 reps, 2,000 customers, 30 months; the customer model at a
90-day horizon and 60-day dormancy, so that 30 months hold a holdout with positives) is trained
once by the command on Spark (the test keeps the result it logs) and once on pandas with the
same options. What must agree, and how closely:

- the extract's facts on the model card (data range, table sizes, ``as_of`` grid, every
  split's rows and positives): exactly;
- the snapshots (the holdout's rows, features and labels): to 1e-9 relative, as in every parity
  test. Spark's window sums differ from the pandas ones in the last digits (about 1e-11
  relative): a sum is a difference of running sums over all events sorted by entity, and a
  partition's running sums run over other entities;
- the pool rules' metrics (no fit: the same scores): 1e-9; the RFM logistic regression's ROC
  AUC (fitted on the same rows in another order, see below): 1e-3 (2.3e-4 measured);
- LightGBM's holdout ROC AUC: 0.05 only (0.021 measured; 0.11 on a fold). Training puts the
  rows in an order no id can change, by a hash of their values' bits (``id_free_order`` in
  ``training/_order.py``); the last digits change the hash, so LightGBM's seeded bagging draws
  other rows and grows other trees. Ordered by id instead, the two engines' training on the
  sample agrees to 7e-15 in every metric (README, "Scaling out").
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import pytest
from typer.testing import CliRunner

from stagnation import cli
from stagnation.crm import load_crm
from stagnation.simulator import SimConfig, simulate, write_sample
from stagnation.spark import SparkExtract
from stagnation.training import ModelName, TrainingResult
from stagnation.workflow import train_model

pytestmark = pytest.mark.slow

#: The facts of a split that come from the snapshots alone.
SPLIT_FACTS = (
    "train_before",
    "validate_from",
    "validate_to",
    "train_rows",
    "validation_rows",
    "train_positives",
    "validation_positives",
)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated company: every table, and the simulator's truth."""
    folder = tmp_path_factory.mktemp("small") / "extract"
    write_sample(simulate(SimConfig(seed=11, reps=20, customers=2000, months=30)), folder)
    return folder


@dataclass
class Trained:
    """``train --engine spark`` run once (its exit code, output and store), the result it
    logged, and the same training on the pandas engine."""

    exit_code: int
    output: str
    tracking_uri: str
    on_spark: TrainingResult
    on_pandas: TrainingResult


@pytest.fixture(scope="module")
def trained(spark: object, company: Path, tmp_path_factory: pytest.TempPathFactory) -> Trained:
    """Run the command (the one Spark training of this module), keeping what it trained."""
    store = tmp_path_factory.mktemp("store")
    uri = f"sqlite:///{store / 'mlflow.db'}"
    calls: list[tuple[dict[str, Any], TrainingResult]] = []

    def keep(crm: Any, name: ModelName, **options: Any) -> TrainingResult:
        assert isinstance(crm, SparkExtract)  # --engine spark never loads the extract here
        result = train_model(crm, name, **options)
        calls.append((options, result))
        return result

    args = ["train", str(company), "--model", "customer-recycling", "--engine", "spark"]
    args += ["--horizon-days", "90", "--dormant-days", "60"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.chdir(store)
        patch.setattr("stagnation.workflow.train_model", keep)
        result = CliRunner().invoke(cli.app, args)
    assert len(calls) == 1, result.output
    options, on_spark = calls[0]
    options.pop("progress")
    on_pandas = train_model(load_crm(company), "customer-recycling", **options)
    return Trained(result.exit_code, result.output, uri, on_spark, on_pandas)


def test_train_on_spark_registers_a_version(trained: Trained) -> None:
    assert trained.exit_code == 0, trained.output
    assert "stagnation-customer-recycling version 1 (champion, challenger)" in trained.output
    client = mlflow.MlflowClient(tracking_uri=trained.tracking_uri)
    version = client.get_model_version_by_alias("stagnation-customer-recycling", "champion")
    assert str(version.version) == "1"


def test_the_card_holds_the_same_extract_grid_and_splits(
    trained: Trained,
) -> None:
    want, got = trained.on_pandas.card, trained.on_spark.card
    assert got.tables == want.tables and set(want.tables) >= {"customers", "orders", "reps"}
    assert (got.data_start, got.data_end, got.cutoff) == (
        want.data_start,
        want.data_end,
        want.cutoff,
    )
    assert got.grid == want.grid and len(want.grid) > 10
    assert (got.rows, got.positives, got.holdout_rows) == (
        want.rows,
        want.positives,
        want.holdout_rows,
    )
    assert list(got.splits) == list(want.splits) and "holdout" in want.splits
    for split in want.splits:
        facts = {k: want.splits[split][k] for k in SPLIT_FACTS}
        assert {k: got.splits[split][k] for k in SPLIT_FACTS} == facts, split
    assert got.labels == want.labels and got.labels.horizon_days == 90


def test_the_snapshots_and_the_rules_agree_the_fitted_models_nearly(
    trained: Trained,
) -> None:
    want, got = trained.on_pandas, trained.on_spark
    assert want.holdout["label"].sum() >= 10
    # training orders rows by a hash of their values' bits: the last digits reorder them
    rows = ["customer_id", "as_of"]
    pd.testing.assert_frame_equal(
        got.holdout.sort_values(rows, ignore_index=True),
        want.holdout.sort_values(rows, ignore_index=True),
        rtol=1e-9,
        atol=1e-6,
    )
    keys = ["model", "split", "metric"]
    paired = want.metrics.merge(got.metrics, on=keys, suffixes=("_pandas", "_spark"))
    assert len(paired) == len(want.metrics) == len(got.metrics)
    rules = paired[paired["model"].str.startswith("pool_rule")]  # no fit: the same scores
    assert len(rules) > 0
    pd.testing.assert_series_equal(
        rules["value_spark"], rules["value_pandas"], rtol=1e-9, check_names=False
    )
    fitted = paired[(paired["model"] == "rfm_logistic") & (paired["metric"] == "roc_auc")]
    assert set(want.card.splits) <= set(fitted["split"])  # and the pooled rows
    assert (fitted["value_spark"] - fitted["value_pandas"]).abs().max() < 1e-3
    auc = paired.set_index(keys).loc[("lightgbm", "holdout", "roc_auc")]
    assert auc["value_pandas"] > 0.6
    assert abs(auc["value_spark"] - auc["value_pandas"]) < 0.05


def test_the_drift_reference_is_taken_at_the_cutoff_on_spark_too(
    trained: Trained,
) -> None:
    want, got = trained.on_pandas.card, trained.on_spark.card
    assert want.reference is not None and got.reference is not None
    assert got.reference_as_of == want.reference_as_of == want.cutoff
    assert list(got.reference) == list(want.reference) == list(want.features)
    for feature, bins in want.reference.items():
        assert got.reference[feature].keys() == bins.keys(), feature


def test_train_on_spark_without_activities_refuses_the_rep_model(
    spark: object, company: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "no-activities"
    shutil.copytree(company, folder)
    (folder / "activities.parquet").unlink()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.chdir(tmp_path)
    args = ["train", str(folder), "--model", "rep-passivity", "--engine", "spark"]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 2, result.output
    assert "needs the activities table" in result.output
    assert "Traceback" not in result.output
