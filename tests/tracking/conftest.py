"""Hermetic MLflow for the tracking tests: one migrated sqlite template, one copy per test.

Migrating a fresh sqlite registry costs ~1.5 s (DESIGN.md section 4), so a session fixture
migrates one and every test copies it into its own tmp folder, points ``MLFLOW_TRACKING_URI``
at the copy and works from that folder: runs, artifacts and exports all stay in tmp.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest
from lightgbm import LGBMClassifier, LGBMRegressor

from stagnation.training import ModelCard, classification_metrics
from stagnation.training._result import ENTITY_ID, TrainingResult

if TYPE_CHECKING:  # imported lazily at run time: MLflow must come after pytest_configure
    from stagnation.tracking import ModelVersionInfo

FEATURES = ["days_since_order", "orders_365d", "industry"]
INDUSTRIES = ["manufacturing", "retail", "services"]


def pytest_configure(config: pytest.Config) -> None:
    """Disable MLflow telemetry before the test modules first import MLflow (it starts then)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@pytest.fixture(autouse=True)
def _quiet_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("GIT_PYTHON_REFRESH", "quiet")
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a migrated, empty sqlite tracking store (created once per session)."""
    from mlflow import MlflowClient

    folder = tmp_path_factory.mktemp("mlflow-template")
    db = folder / "mlflow.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)  # the Default experiment's artifact root is resolved from the cwd
        MlflowClient(tracking_uri=f"sqlite:///{db}").search_experiments()
    return db


def _use_copy(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Copy ``template`` to ``tmp_path/mlflow.db``, work from there, point MLflow at it."""
    db = tmp_path / "mlflow.db"
    shutil.copyfile(template, db)
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{db}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


def _prelogged(
    folder: Path, template: Path, results: list[TrainingResult]
) -> tuple[Path, list[ModelVersionInfo]]:
    """Return a store in ``folder`` holding ``results`` logged in order (for read-mostly tests).

    Their artifacts stay in ``folder``; tests get a copy of the database only, so they must not
    log new runs into these stores (use :func:`store` for that).
    """
    from stagnation.tracking import log_training

    db = folder / "mlflow.db"
    shutil.copyfile(template, db)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        mp.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        infos = [
            log_training(result, tracking_uri=f"sqlite:///{db}", source_commit="template")
            for result in results
        ]
    return db, infos


@pytest.fixture
def store(template_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Return the URI of an empty store of this test's own."""
    return _use_copy(template_db, tmp_path, monkeypatch)


@pytest.fixture(scope="session")
def _logged_template(
    tmp_path_factory: pytest.TempPathFactory,
    template_db: Path,
    customer_result: TrainingResult,
    rep_result: TrainingResult,
) -> Path:
    folder = tmp_path_factory.mktemp("mlflow-logged")
    return _prelogged(folder, template_db, [customer_result, rep_result])[0]


@pytest.fixture
def logged_store(_logged_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Return the URI of a store with version 1 of both models (champion and challenger)."""
    return _use_copy(_logged_template, tmp_path, monkeypatch)


@pytest.fixture(scope="session")
def _promotion_template(
    tmp_path_factory: pytest.TempPathFactory,
    template_db: Path,
    customer_result: TrainingResult,
    worse: TrainingResult,
) -> tuple[Path, list[ModelVersionInfo]]:
    folder = tmp_path_factory.mktemp("mlflow-promotion")
    return _prelogged(folder, template_db, [customer_result, worse])


@pytest.fixture(scope="session")
def promotion_infos(_promotion_template: tuple[Path, list[ModelVersionInfo]]) -> list[Any]:
    """Return what :func:`log_training` returned for the two versions of the promotion store."""
    return _promotion_template[1]


@pytest.fixture
def promotion_store(
    _promotion_template: tuple[Path, list[ModelVersionInfo]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """Return the URI of a store with customer v1 (good, champion) and v2 (worse, challenger)."""
    return _use_copy(_promotion_template[0], tmp_path, monkeypatch)


def _frame(name: str, seed: int, n: int) -> pd.DataFrame:
    """Return synthetic snapshots whose label depends on recency, frequency and industry."""
    rng = np.random.default_rng(seed)
    days = rng.uniform(90, 900, n)
    orders = rng.poisson(3, n)
    industry = rng.choice(INDUSTRIES, n)
    logit = 1.5 - days / 250 + 0.4 * orders + np.where(industry == "retail", 1.0, 0.0)
    label = rng.uniform(size=n) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(
        {
            ENTITY_ID[name]: np.arange(n) + 1000,
            "as_of": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 2, n) * 30, "D"),
            "days_since_order": days,
            "orders_365d": orders,
            "industry": pd.Categorical(industry, categories=INDUSTRIES),
            "label": label,
        }
    )
    frame.loc[frame.index[:5], "days_since_order"] = np.nan  # missing values happen
    if name == "customer-recycling":
        frame["value"] = np.where(label, rng.gamma(2.0, 500.0, n), 0.0)
    return frame


def make_result(
    name: str = "customer-recycling", *, good: bool = True, seed: int = 0, n: int = 400
) -> TrainingResult:
    """Return a small, real TrainingResult: LightGBM fitted on synthetic data.

    ``good=False`` fits the classifier on shuffled labels, so it ranks the holdout no better
    than chance: the worse challenger of the promotion tests.
    """
    train = _frame(name, seed, n)
    holdout = _frame(name, seed + 1, n // 2)
    X = train[FEATURES]
    y = train["label"].to_numpy()
    if not good:
        y = np.random.default_rng(seed + 7).permutation(y)
    model = LGBMClassifier(
        n_estimators=40, learning_rate=0.1, min_child_samples=10, verbose=-1, n_jobs=1
    )
    model.fit(X, y)
    value_model = None
    if name == "customer-recycling":
        won = train[train["label"]]
        value_model = LGBMRegressor(n_estimators=20, min_child_samples=5, verbose=-1, n_jobs=1)
        value_model.fit(won[FEATURES], won["value"])
    label = holdout["label"].to_numpy()
    scores = pd.DataFrame(
        {
            "lightgbm": model.predict_proba(holdout[FEATURES])[:, 1],
            "days_since_last_order": -holdout["days_since_order"].fillna(9999).to_numpy(),
        }
    )
    rows = []
    for split in ["fold_1", "fold_2", "holdout"]:
        for model_name in scores.columns:
            for metric, value in classification_metrics(label, scores[model_name]).items():
                if metric not in {"n", "positives"}:
                    rows.append((model_name, split, metric, value))
    contributions = pd.DataFrame(
        model.predict(holdout[FEATURES].head(60), pred_contrib=True)[:, :-1],
        columns=FEATURES,
        index=holdout.index[:60],
    )
    card = ModelCard.parse(
        {
            "model": name,
            "labels": {
                "horizon_days": 180 if name == "customer-recycling" else 90,
                "dormant_days": 90,
            },
            "data_start": "2023-01-01",
            "data_end": "2024-12-01",  # before the holdout: promote compares on every row
            "cutoff": pd.Timestamp("2025-03-01"),
            "grid": [f"2024-{m:02d}-01" for m in range(1, 13)] * 3,
            "features": FEATURES,
            "lightgbm_params": {"n_estimators": 40, "learning_rate": 0.1},
        }
    )
    return TrainingResult(
        name=name,  # type: ignore[arg-type]
        model=model,
        feature_names=list(FEATURES),
        value_model=value_model,
        card=card,
        metrics=pd.DataFrame(rows, columns=["model", "split", "metric", "value"]),
        holdout=holdout,
        holdout_scores=scores,
        feature_importance=pd.Series(
            model.booster_.feature_importance("gain"), index=FEATURES, name="gain"
        ),
        contributions=contributions,
    )


@pytest.fixture(scope="session")
def customer_result() -> TrainingResult:
    return make_result("customer-recycling")


@pytest.fixture(scope="session")
def rep_result() -> TrainingResult:
    return make_result("rep-passivity", seed=3)


@pytest.fixture(scope="session")
def worse() -> TrainingResult:
    """A customer model fitted on shuffled labels: a challenger that must not be promoted."""
    return make_result("customer-recycling", good=False, seed=5)
