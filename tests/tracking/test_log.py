"""log_training: one run with its evidence, a registered version, aliases, tags; URI resolution."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

from stagnation.tracking import ModelVersionInfo, log_training, resolve_tracking_uri
from stagnation.training._result import TrainingResult

NAME = "stagnation-customer-recycling"


def _aliases(uri: str, name: str = NAME) -> dict[str, str]:
    aliases = MlflowClient(tracking_uri=uri).get_registered_model(name).aliases
    return {k: str(v) for k, v in aliases.items()}


def test_first_version_gets_champion_and_challenger_second_only_challenger(
    promotion_store: str, promotion_infos: list[ModelVersionInfo]
) -> None:
    first, second = promotion_infos  # log_training of two customer models into an empty store

    assert (first.name, first.version, first.aliases) == (NAME, "1", ("champion", "challenger"))
    assert (second.version, second.aliases) == ("2", ("challenger",))
    assert first.model_uri == f"models:/{NAME}/1"
    assert first.run_id != second.run_id
    assert _aliases(promotion_store) == {"champion": "1", "challenger": "2"}


def _run_files(client: MlflowClient, run_id: str) -> set[str]:
    files = {a.path for a in client.list_artifacts(run_id)}
    for folder in ("plots", "holdout"):
        files |= {a.path for a in client.list_artifacts(run_id, folder)}
    return files


def test_run_holds_params_metrics_artifacts_and_version_notes(
    logged_store: str, tmp_path: Path, customer_result: TrainingResult
) -> None:
    client = MlflowClient(tracking_uri=logged_store)
    version = client.get_model_version(NAME, "1")
    run = client.get_run(version.run_id)

    assert client.get_experiment(run.info.experiment_id).name == NAME
    params = run.data.params
    assert params["labels.horizon_days"] == "180"  # the card nests its label settings
    assert params["lightgbm_params.n_estimators"] == "40"
    assert params["cutoff"] == "2025-03-01T00:00:00"
    assert params["grid"] == "<36 items: see settings.json>"  # too long for a param
    holdout = customer_result.metrics.query("model == 'lightgbm' and split == 'holdout'")
    roc = float(holdout.loc[holdout["metric"] == "roc_auc", "value"].iloc[0])
    assert run.data.metrics["holdout_lightgbm_roc_auc"] == pytest.approx(roc)
    assert "fold_1_days_since_last_order_lift_at_10" in run.data.metrics
    assert {
        "model_card.md",
        "metrics.csv",
        "settings.json",
        "feature_names.json",
        "feature_importance.csv",
        "holdout/holdout.parquet",
        "holdout/holdout_scores.parquet",
        "plots/lift_gain.png",
        "plots/roc_pr.png",
        "plots/calibration.png",
        "plots/feature_importance.png",
        "plots/contributions.png",
    } <= _run_files(client, run.info.run_id)

    local = Path(
        mlflow.artifacts.download_artifacts(
            run_id=run.info.run_id, tracking_uri=logged_store, dst_path=str(tmp_path / "dl")
        )
    )
    card = (local / "model_card.md").read_text()
    assert card.startswith("# stagnation-customer-recycling v1")
    assert "within 180 days" in card and "in the 90 days before it" in card
    assert "| days_since_last_order |" in card and "`template`" in card
    assert json.loads((local / "settings.json").read_text())["grid"][0] == "2024-01-01"

    assert version.tags["source_commit"] == "template"
    assert (version.tags["data_start"], version.tags["data_end"]) == ("2023-01-01", "2024-12-01")
    assert float(version.tags["roc_auc"]) == pytest.approx(roc, abs=1e-4)
    assert version.tags["best_baseline"] == "days_since_last_order"
    assert version.tags["horizon_days"] == "180" and version.tags["dormant_days"] == "90"
    assert "Holdout: roc_auc" in version.description


def test_rep_model_has_its_own_experiment_and_name(logged_store: str) -> None:
    assert _aliases(logged_store, "stagnation-rep-passivity") == {
        "champion": "1",
        "challenger": "1",
    }
    client = MlflowClient(tracking_uri=logged_store)
    assert client.get_experiment_by_name("stagnation-rep-passivity") is not None


def test_explicit_uri_beats_env_and_global_state_is_restored(
    store: str, template_db: Path, tmp_path: Path, customer_result: TrainingResult
) -> None:
    other_db = tmp_path / "other" / "mlflow.db"
    other_db.parent.mkdir()
    shutil.copyfile(template_db, other_db)
    other = f"sqlite:///{other_db}"

    info = log_training(customer_result, tracking_uri=other)

    assert _aliases(other)["champion"] == info.version == "1"
    assert not MlflowClient(tracking_uri=store).search_registered_models()
    assert os.environ["MLFLOW_TRACKING_URI"] == store  # the env var is untouched
    assert "MLFLOW_REGISTRY_URI" not in os.environ
    assert mlflow.get_tracking_uri() == store
    # the source commit defaults to the checkout's (or "unknown" outside one)
    tags = MlflowClient(tracking_uri=other).get_model_version(NAME, "1").tags
    assert tags["source_commit"]


def test_without_env_the_default_is_mlflow_db_in_the_working_folder(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, customer_result: TrainingResult
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    assert resolve_tracking_uri() == f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert resolve_tracking_uri("sqlite:///x.db") == "sqlite:///x.db"

    info = log_training(customer_result)  # `store` put the template at ./mlflow.db

    run = MlflowClient(tracking_uri=store).get_run(info.run_id)
    assert run.info.artifact_uri.startswith((tmp_path / "mlruns").as_uri())
    assert "MLFLOW_TRACKING_URI" not in os.environ


def test_feature_names_must_not_hold_ids(customer_result: TrainingResult) -> None:
    bad = replace(customer_result, feature_names=["customer_id", *customer_result.feature_names])
    with pytest.raises(ValueError, match="non-features"):
        log_training(bad, tracking_uri="sqlite:///never-created.db")
