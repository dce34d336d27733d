"""promote (champion vs challenger on the challenger's holdout) and export (a model folder)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mlflow
import pytest
from mlflow import MlflowClient

from stagnation.errors import PathTaken, StoreError
from stagnation.tracking import _registry, export, load_model, promote, to_model_input
from stagnation.training._result import TrainingResult

NAME = "stagnation-customer-recycling"


def _aliases(uri: str) -> dict[str, str]:
    aliases = MlflowClient(tracking_uri=uri).get_registered_model(NAME).aliases
    return {k: str(v) for k, v in aliases.items()}


def test_promote_refuses_a_worse_challenger(promotion_store: str, worse: TrainingResult) -> None:
    result = promote("customer-recycling")

    assert (result.champion, result.challenger, result.promoted) == ("1", "2", False)
    assert list(result.comparison.columns) == ["champion", "challenger", "difference"]
    assert list(result.comparison.index) == ["roc_auc", "pr_auc", "lift_at_10", "brier"]
    assert result.comparison.loc["roc_auc", "difference"] < 0
    assert result.rows == len(worse.holdout)  # scored on the challenger's holdout
    assert result.message.startswith("not promoted")
    assert _aliases(promotion_store) == {"champion": "1", "challenger": "2"}


def test_force_promotes_a_worse_challenger(promotion_store: str) -> None:
    result = promote(NAME, force=True)

    assert (result.promoted, result.forced) == (True, True)
    assert _aliases(promotion_store) == {"champion": "2", "challenger": "2"}
    tags = MlflowClient(tracking_uri=promotion_store).get_model_version(NAME, "2").tags
    assert tags["promotion"].startswith("forced promotion")


def test_promote_accepts_a_better_challenger(promotion_store: str) -> None:
    client = MlflowClient(tracking_uri=promotion_store)
    client.set_registered_model_alias(NAME, "champion", "2")  # the worse model serves
    client.set_registered_model_alias(NAME, "challenger", "1")

    result = promote(NAME)

    assert (result.champion, result.challenger) == ("2", "1")
    assert (result.promoted, result.forced) == (True, False)
    assert result.comparison.loc["roc_auc", "difference"] > 0
    assert result.message.startswith("promoted")
    assert _aliases(promotion_store)["champion"] == "1"


def test_promote_with_one_version_has_nothing_to_do(logged_store: str) -> None:
    result = promote(NAME)
    assert not result.promoted and result.comparison.empty
    assert "already both champion and challenger" in result.message


def test_promote_without_challenger_says_so(logged_store: str) -> None:
    MlflowClient(tracking_uri=logged_store).delete_registered_model_alias(NAME, "challenger")
    result = promote(NAME)
    assert not result.promoted and "no 'challenger'" in result.message


def test_promote_and_export_name_unknown_models(store: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no registered model 'nope'"):
        promote("nope")
    with pytest.raises(ValueError, match="no registered model"):
        export("rep-passivity", out=tmp_path / "m")


def test_export_writes_a_folder_that_loads_and_predicts(
    logged_store: str, tmp_path: Path, customer_result: TrainingResult
) -> None:
    out = tmp_path / "models" / "customer"

    assert export("customer-recycling", out=out) == out

    assert (out / "MLmodel").is_file()
    assert (out / "code" / "stagnation" / "tracking" / "_pyfunc.py").is_file()
    marker = json.loads((out / "stagnation_export.json").read_text())
    assert (marker["registered_model"], marker["version"]) == (NAME, "1")
    assert marker["alias"] == "champion"
    requirements = (out / "requirements.txt").read_text()
    assert "lightgbm==" in requirements and "pytest" not in requirements
    model = mlflow.pyfunc.load_model(str(out))
    X = to_model_input(customer_result.holdout[customer_result.feature_names])
    assert model.predict(X)["score"].between(0, 1).all()
    _, settings = load_model(out)
    assert settings.dormant_days == 90
    assert [p.name for p in out.parent.iterdir()] == ["customer"]  # no staging leftovers


def test_export_replaces_a_previous_export_but_nothing_else(
    promotion_store: str, tmp_path: Path
) -> None:
    out = tmp_path / "m"
    export(NAME, out=out)
    export(NAME, alias="challenger", out=out)
    assert json.loads((out / "stagnation_export.json").read_text())["version"] == "2"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".m.")) == []

    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(PathTaken, match="not a previous model export"):
        export(NAME, out=precious)
    assert (precious / "notes.txt").read_text() == "keep me"
    with pytest.raises(ValueError, match="no version aliased 'staging'"):
        export(NAME, alias="staging", out=tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_newer_data_means_a_later_cutoff_not_a_later_grid_date() -> None:
    from types import SimpleNamespace

    from stagnation.tracking._registry import _newer_data

    def version(**tags: str) -> Any:
        return SimpleNamespace(tags=tags)

    # same extract and cutoff, weekly vs monthly grid: snapshots end two days apart
    weekly = version(cutoff="2026-01-01 00:00:00", data_end="2025-10-03")
    monthly = version(cutoff="2026-01-01 00:00:00", data_end="2025-10-01")
    assert not _newer_data(weekly, monthly)
    later = version(cutoff="2026-02-01 00:00:00", data_end="2025-11-01")
    assert _newer_data(later, monthly) and not _newer_data(monthly, later)
    # versions logged before the cutoff tag: the last snapshot date decides
    assert _newer_data(version(data_end="2025-10-03"), version(data_end="2025-10-01"))


def test_force_promotes_versions_that_cannot_be_compared(
    promotion_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the champion asks for a column the challenger's holdout does not have
    monkeypatch.setattr(_registry, "model_features", lambda model: ["no_such_column"])
    with pytest.raises(StoreError, match="cannot be compared"):
        promote(NAME)
    assert _aliases(promotion_store) == {"champion": "1", "challenger": "2"}

    result = promote(NAME, force=True)

    assert (result.promoted, result.forced) == (True, True)
    assert result.message.startswith("forced: ")
    assert _aliases(promotion_store)["champion"] == "2"


def test_force_does_not_hide_a_bug_in_scoring(
    promotion_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise ValueError("a bug in the scoring code")

    monkeypatch.setattr(_registry, "to_model_input", broken)
    with pytest.raises(ValueError, match="a bug in the scoring code"):
        promote(NAME, force=True)
    assert _aliases(promotion_store) == {"champion": "1", "challenger": "2"}
